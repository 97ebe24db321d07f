//! The waitlist: a patient (or a proxy with `book`, or staff) asks to hear of an earlier
//! opening for a type, optionally with one provider.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId,
    entities::waitlist_entry,
    scheduling::{
        patient_access,
        waitlist::{self, Wish},
    },
    tenancy::Access,
};

use super::access::{BOOK, SEE, acting_for, clock};
use crate::{
    global_id,
    run::{OutcomeExt, Run, refusable},
    user_error::UserError,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum WaitlistStatus {
    Waiting,
    /// Told of an opening (once; join again to hear of the next).
    Notified,
    Removed,
}

#[derive(SimpleObject)]
pub struct WaitlistEntry {
    id: ID,
    patient_id: ID,
    appointment_type_id: ID,
    provider_id: Option<ID>,
    wanted_before: DateTime<Utc>,
    status: WaitlistStatus,
    created_at: DateTime<Utc>,
    notified_at: Option<DateTime<Utc>>,
}

impl From<waitlist_entry::Model> for WaitlistEntry {
    fn from(e: waitlist_entry::Model) -> Self {
        Self {
            id: global_id::encode("WaitlistEntry", e.id),
            patient_id: global_id::encode("Patient", e.patient_id),
            appointment_type_id: global_id::encode("AppointmentType", e.appointment_type_id),
            provider_id: e.provider_id.map(|p| global_id::encode("Provider", p)),
            wanted_before: e.wanted_before,
            status: match e.status.as_str() {
                "notified" => WaitlistStatus::Notified,
                "removed" => WaitlistStatus::Removed,
                _ => WaitlistStatus::Waiting,
            },
            created_at: e.created_at,
            notified_at: e.notified_at,
        }
    }
}

#[derive(Default)]
pub struct WaitlistQuery;

#[Object]
impl WaitlistQuery {
    /// A patient's waitlist entries (waiting or notified), oldest first.
    async fn waitlist(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
    ) -> async_graphql::Result<Vec<WaitlistEntry>> {
        let patient = global_id::parse("Patient", "patientId", &patient_id)?;
        let found = ctx
            .run(SEE, Access::Write, async |tx, caller| {
                let actor = acting_for(tx, caller, patient, patient_access::Need::See).await?;
                waitlist::for_patient(tx, &actor, PatientId::from_uuid(patient)).await
            })
            .await?;
        Ok(found.into_iter().map(WaitlistEntry::from).collect())
    }
}

#[derive(InputObject)]
pub struct JoinWaitlistInput {
    patient_id: ID,
    appointment_type_id: ID,
    /// Any provider when unset.
    provider_id: Option<ID>,
    /// Tell me of openings before this time; by default, before my next booked appointment
    /// of this type.
    wanted_before: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct LeaveWaitlistInput {
    waitlist_entry_id: ID,
}

#[derive(SimpleObject, Default)]
pub struct WaitlistPayload {
    waitlist_entry: Option<WaitlistEntry>,
    user_errors: Vec<UserError>,
}

refusable!(WaitlistPayload);

impl WaitlistPayload {
    fn of(entry: waitlist_entry::Model) -> Self {
        Self {
            waitlist_entry: Some(entry.into()),
            user_errors: Vec::new(),
        }
    }
}

#[derive(Default)]
pub struct WaitlistMutation;

#[Object]
impl WaitlistMutation {
    async fn join_waitlist(
        &self,
        ctx: &Context<'_>,
        input: JoinWaitlistInput,
    ) -> async_graphql::Result<WaitlistPayload> {
        let clock = clock(ctx)?;
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let appointment_type_id = global_id::parse(
            "AppointmentType",
            "appointmentTypeId",
            &input.appointment_type_id,
        )?;
        let provider_id =
            global_id::parse_opt("Provider", "providerId", input.provider_id.as_ref())?;
        let outcome = ctx
            .mutate(BOOK, async |tx, caller| {
                let actor = acting_for(tx, caller, patient, patient_access::Need::Book).await?;
                let wish = Wish {
                    patient_id: PatientId::from_uuid(patient),
                    appointment_type_id,
                    provider_id,
                    wanted_before: input.wanted_before,
                    by: Some(caller.principal.user_id.as_uuid()),
                };
                waitlist::join(tx, &actor, wish, clock.now).await
            })
            .await?;
        Ok(outcome.payload(WaitlistPayload::of))
    }

    async fn leave_waitlist(
        &self,
        ctx: &Context<'_>,
        input: LeaveWaitlistInput,
    ) -> async_graphql::Result<WaitlistPayload> {
        let id = global_id::parse("WaitlistEntry", "waitlistEntryId", &input.waitlist_entry_id)?;
        let outcome = ctx
            .mutate(BOOK, async |tx, caller| {
                let found = waitlist::find(tx, id).await?;
                let actor =
                    acting_for(tx, caller, found.patient_id, patient_access::Need::Book).await?;
                waitlist::leave(tx, &actor, id).await
            })
            .await?;
        Ok(outcome.payload(WaitlistPayload::of))
    }
}
