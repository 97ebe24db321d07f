//! The waitlist: a patient (or a proxy with `book`, or staff) asks to hear of an earlier
//! opening for a type, optionally with one provider.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId,
    entities::waitlist_entry,
    scheduling::waitlist::{self, Wish},
    tenancy::Access,
};

use super::access::{Need, abort, actor, check_patient, clock, finish, principal, uuid_of};
use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    user_error::{UserError, settle},
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
        let (principal, _) = principal(ctx, Need::See).await?;
        let request_id = ctx.request()?.request_id.clone();
        let patient = uuid_of("Patient", "patientId", &patient_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let break_glass =
            match check_patient(&tx, &principal, patient, Need::See, &request_id).await {
                Ok(break_glass) => break_glass,
                Err(e) => return abort(tx, e, &request_id).await,
            };
        let found = waitlist::for_patient(
            &tx,
            &actor(ctx, &principal, break_glass),
            PatientId::from_uuid(patient),
        )
        .await;
        Ok(finish(tx, found, &request_id)
            .await?
            .into_iter()
            .map(WaitlistEntry::from)
            .collect())
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

#[derive(Default)]
pub struct WaitlistMutation;

#[Object]
impl WaitlistMutation {
    async fn join_waitlist(
        &self,
        ctx: &Context<'_>,
        input: JoinWaitlistInput,
    ) -> async_graphql::Result<WaitlistPayload> {
        let (principal, _) = principal(ctx, Need::Book).await?;
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let patient = uuid_of("Patient", "patientId", &input.patient_id)?;
        let wish = Wish {
            patient_id: PatientId::from_uuid(patient),
            appointment_type_id: uuid_of(
                "AppointmentType",
                "appointmentTypeId",
                &input.appointment_type_id,
            )?,
            provider_id: input
                .provider_id
                .as_ref()
                .map(|id| uuid_of("Provider", "providerId", id))
                .transpose()?,
            wanted_before: input.wanted_before,
            by: Some(principal.user_id.as_uuid()),
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let break_glass =
            match check_patient(&tx, &principal, patient, Need::Book, &request_id).await {
                Ok(break_glass) => break_glass,
                Err(e) => return abort(tx, e, &request_id).await,
            };
        let joined =
            waitlist::join(&tx, &actor(ctx, &principal, break_glass), wish, clock.now).await;
        Ok(match settle(tx, joined, &request_id).await? {
            Ok(entry) => WaitlistPayload {
                waitlist_entry: Some(entry.into()),
                user_errors: Vec::new(),
            },
            Err(user_errors) => WaitlistPayload {
                waitlist_entry: None,
                user_errors,
            },
        })
    }

    async fn leave_waitlist(
        &self,
        ctx: &Context<'_>,
        input: LeaveWaitlistInput,
    ) -> async_graphql::Result<WaitlistPayload> {
        let (principal, _) = principal(ctx, Need::Book).await?;
        let request_id = ctx.request()?.request_id.clone();
        let id = uuid_of("WaitlistEntry", "waitlistEntryId", &input.waitlist_entry_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let found = waitlist::find(&tx, id).await;
        let found = match found {
            Ok(found) => found,
            Err(e) => return abort(tx, ApiError::from_core(e, &request_id), &request_id).await,
        };
        let break_glass =
            match check_patient(&tx, &principal, found.patient_id, Need::Book, &request_id).await {
                Ok(break_glass) => break_glass,
                Err(e) => return abort(tx, e, &request_id).await,
            };
        let left = waitlist::leave(&tx, &actor(ctx, &principal, break_glass), id).await;
        Ok(match settle(tx, left, &request_id).await? {
            Ok(entry) => WaitlistPayload {
                waitlist_entry: Some(entry.into()),
                user_errors: Vec::new(),
            },
            Err(user_errors) => WaitlistPayload {
                waitlist_entry: None,
                user_errors,
            },
        })
    }
}
