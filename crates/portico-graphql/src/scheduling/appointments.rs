//! Appointments: a patient's list, the practice's schedule, and booking, rescheduling,
//! cancelling and recording outcomes.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId,
    entities::appointment,
    notify::Portal,
    ports::Job,
    scheduling::{
        appointments::{self, Booking, Move, PracticeClock},
        catalog, openings,
        patient_access::{self, channel_of},
    },
    tenancy::Access,
};

use super::{
    access::{BOOK, SEE, acting_for, clock},
    objects::{Appointment, Catalog},
};
use crate::{
    context::ContextExt,
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

/// Where the practice's portal lives, for the links in notices.
pub(crate) fn notice_text(ctx: &Context<'_>) -> async_graphql::Result<Portal> {
    let services = ctx.services()?;
    let tenant = ctx.tenant()?;
    Ok(Portal::new(&services.public_url, &tenant.tenant.slug))
}

/// After a commit that wrote outbox messages: asks a worker to relay them now (the
/// every-minute sweep catches it if this fails).
pub(crate) async fn relay_outbox(ctx: &Context<'_>, written: usize) -> async_graphql::Result<()> {
    if written == 0 {
        return Ok(());
    }
    let tenant_id = ctx.tenant()?.id();
    if let Err(e) = ctx
        .services()?
        .queue
        .enqueue(Job::RelayOutbox { tenant_id })
        .await
    {
        tracing::warn!(error = %e, "outbox relay not queued; the sweep will relay it");
    }
    Ok(())
}

#[derive(Default)]
pub struct AppointmentsQuery;

#[Object]
impl AppointmentsQuery {
    /// A patient's appointments: upcoming booked ones soonest first, or (with
    /// `upcoming: false`) all of them, latest first.
    async fn appointments(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
        #[graphql(desc = "Only booked appointments still to come (the default).")] upcoming: Option<
            bool,
        >,
        #[graphql(desc = "At most this many (1 to 200; 50 by default).")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<Appointment>> {
        let clock = clock(ctx)?;
        let patient = global_id::parse("Patient", "patientId", &patient_id)?;
        let upcoming_after = upcoming.unwrap_or(true).then_some(clock.now);
        let limit = u64::try_from(first.unwrap_or(50).clamp(1, 200)).unwrap_or(50);
        let (list, catalog) = ctx
            .run(SEE, Access::Write, async |tx, caller| {
                let actor = acting_for(tx, caller, patient, patient_access::Need::See).await?;
                let patient = PatientId::from_uuid(patient);
                let list =
                    appointments::for_patient(tx, &actor, patient, upcoming_after, limit).await?;
                Ok((list, Catalog::load(tx).await?))
            })
            .await?;
        Ok(Appointment::list(list, &catalog, clock))
    }

    /// The practice's schedule between two instants (at most 31 days), one provider's when
    /// given (staff).
    async fn schedule(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        provider_id: Option<ID>,
    ) -> async_graphql::Result<Vec<Appointment>> {
        let clock = clock(ctx)?;
        let provider = global_id::parse_opt("Provider", "providerId", provider_id.as_ref())?;
        let (list, catalog) = ctx
            .run(
                Need::to("appointments", "read"),
                Access::Write,
                async |tx, caller| {
                    appointments::check_schedule_range(from, to)?;
                    // Another practice's provider, or none, is not found rather than a free day.
                    if let Some(provider) = provider {
                        catalog::find_provider(tx, provider).await?;
                    }
                    let list =
                        appointments::schedule(tx, &caller.actor, provider, from, to, 1000).await?;
                    Ok((list, Catalog::load(tx).await?))
                },
            )
            .await?;
        Ok(Appointment::list(list, &catalog, clock))
    }
}

#[derive(InputObject)]
pub struct BookAppointmentInput {
    patient_id: ID,
    appointment_type_id: ID,
    provider_id: ID,
    location_id: ID,
    /// An `availableSlots` start.
    start: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct RescheduleAppointmentInput {
    appointment_id: ID,
    /// An `availableSlots` start for the same type.
    start: DateTime<Utc>,
    /// Another provider or location; the same when unset.
    provider_id: Option<ID>,
    location_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CancelAppointmentInput {
    appointment_id: ID,
}

#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
pub enum VisitOutcome {
    Completed,
    NoShow,
}

#[derive(InputObject)]
pub struct RecordAppointmentOutcomeInput {
    appointment_id: ID,
    outcome: VisitOutcome,
}

#[derive(SimpleObject, Default)]
pub struct AppointmentPayload {
    appointment: Option<Appointment>,
    user_errors: Vec<UserError>,
}

impl AppointmentPayload {
    fn of(model: appointment::Model, catalog: Arc<Catalog>, clock: PracticeClock) -> Self {
        Self {
            appointment: Some(Appointment {
                model,
                catalog,
                clock,
            }),
            user_errors: Vec::new(),
        }
    }
}

refusable!(AppointmentPayload);

#[derive(Default)]
pub struct AppointmentsMutation;

#[Object]
impl AppointmentsMutation {
    /// Books an open slot for a patient: the patient or a proxy with `book` in the portal,
    /// or staff on the patient's behalf. `SLOT_UNAVAILABLE` when someone else took it first.
    async fn book_appointment(
        &self,
        ctx: &Context<'_>,
        input: BookAppointmentInput,
    ) -> async_graphql::Result<AppointmentPayload> {
        let clock = clock(ctx)?;
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let appointment_type_id = global_id::parse(
            "AppointmentType",
            "appointmentTypeId",
            &input.appointment_type_id,
        )?;
        let provider_id = global_id::parse("Provider", "providerId", &input.provider_id)?;
        let location_id = global_id::parse("Location", "locationId", &input.location_id)?;
        let portal = notice_text(ctx)?;
        let outcome = ctx
            .mutate(BOOK, async |tx, caller| {
                let viewer = caller.viewer();
                let actor = acting_for(tx, caller, patient, patient_access::Need::Book).await?;
                let booking = Booking {
                    patient_id: PatientId::from_uuid(patient),
                    appointment_type_id,
                    provider_id,
                    location_id,
                    start: input.start,
                    channel: channel_of(&viewer),
                    booked_by: Some(caller.principal.user_id.as_uuid()),
                };
                let booked = appointments::book(tx, &actor, clock, booking).await?;
                // The check-in forms the visit asks for: the patient is told there are some.
                let told =
                    portico_core::forms::requests::tell_booked(tx, &portal, booked.id, Utc::now())
                        .await?;
                Ok((booked, Catalog::load(tx).await?, told))
            })
            .await?;
        if let Ok((_, _, told)) = &outcome {
            super::reminders::send_due_now(ctx).await?;
            // A write-back to the practice's EHR may wait in the outbox too.
            relay_outbox(ctx, told + 1).await?;
        }
        Ok(outcome.payload(|(model, catalog, _)| AppointmentPayload::of(model, catalog, clock)))
    }

    /// Moves an appointment in one step: the new time is taken and the old one released, or
    /// nothing changes.
    async fn reschedule_appointment(
        &self,
        ctx: &Context<'_>,
        input: RescheduleAppointmentInput,
    ) -> async_graphql::Result<AppointmentPayload> {
        let clock = clock(ctx)?;
        let appointment_id =
            global_id::parse("Appointment", "appointmentId", &input.appointment_id)?;
        let provider_id =
            global_id::parse_opt("Provider", "providerId", input.provider_id.as_ref())?;
        let location_id =
            global_id::parse_opt("Location", "locationId", input.location_id.as_ref())?;
        let portal = notice_text(ctx)?;
        let outcome = ctx
            .mutate(BOOK, async |tx, caller| {
                let viewer = caller.viewer();
                let old = appointments::find(tx, appointment_id).await?;
                let actor =
                    acting_for(tx, caller, old.patient_id, patient_access::Need::Book).await?;
                let change = Move {
                    appointment_id,
                    start: input.start,
                    provider_id,
                    location_id,
                    channel: channel_of(&viewer),
                    by: Some(caller.principal.user_id.as_uuid()),
                };
                let (new, notices) =
                    openings::reschedule(tx, &actor, clock, change, &portal).await?;
                Ok((new, Catalog::load(tx).await?, notices))
            })
            .await?;
        if let Ok((_, _, notices)) = &outcome {
            // Plus the EHR write-back of the change, when the practice has one.
            relay_outbox(ctx, notices + 1).await?;
        }
        Ok(outcome.payload(|(new, catalog, _)| AppointmentPayload::of(new, catalog, clock)))
    }

    /// Cancels an appointment. From the portal, only outside the practice's cancellation
    /// window (`INSIDE_CANCELLATION_WINDOW`: call the office).
    async fn cancel_appointment(
        &self,
        ctx: &Context<'_>,
        input: CancelAppointmentInput,
    ) -> async_graphql::Result<AppointmentPayload> {
        let clock = clock(ctx)?;
        let id = global_id::parse("Appointment", "appointmentId", &input.appointment_id)?;
        let portal = notice_text(ctx)?;
        let outcome = ctx
            .mutate(BOOK, async |tx, caller| {
                let viewer = caller.viewer();
                let found = appointments::find(tx, id).await?;
                let actor =
                    acting_for(tx, caller, found.patient_id, patient_access::Need::Book).await?;
                let by = Some(caller.principal.user_id.as_uuid());
                let (cancelled, notices) =
                    openings::cancel(tx, &actor, clock, id, channel_of(&viewer), by, &portal)
                        .await?;
                Ok((cancelled, Catalog::load(tx).await?, notices))
            })
            .await?;
        if let Ok((_, _, notices)) = &outcome {
            // Plus the EHR write-back of the change, when the practice has one.
            relay_outbox(ctx, notices + 1).await?;
        }
        Ok(outcome
            .payload(|(cancelled, catalog, _)| AppointmentPayload::of(cancelled, catalog, clock)))
    }

    /// Records whether a past visit happened (staff).
    async fn record_appointment_outcome(
        &self,
        ctx: &Context<'_>,
        input: RecordAppointmentOutcomeInput,
    ) -> async_graphql::Result<AppointmentPayload> {
        let clock = clock(ctx)?;
        let id = global_id::parse("Appointment", "appointmentId", &input.appointment_id)?;
        let outcome = match input.outcome {
            VisitOutcome::Completed => appointments::COMPLETED,
            VisitOutcome::NoShow => appointments::NO_SHOW,
        };
        let done = ctx
            .mutate(Need::to("appointments", "write"), async |tx, caller| {
                let found = appointments::find(tx, id).await?;
                let actor =
                    acting_for(tx, caller, found.patient_id, patient_access::Need::Book).await?;
                let updated = appointments::set_outcome(tx, &actor, id, outcome, clock.now).await?;
                Ok((updated, Catalog::load(tx).await?))
            })
            .await?;
        Ok(done.payload(|(updated, catalog)| AppointmentPayload::of(updated, catalog, clock)))
    }
}
