//! Appointments: a patient's list, the practice's schedule, and booking, rescheduling,
//! cancelling and recording outcomes.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId,
    notify::Portal,
    ports::Job,
    scheduling::{
        appointments::{self, Booking, Move},
        waitlist,
    },
    tenancy::Access,
};

use super::{
    access::{Need, abort, actor, check_patient, clock, finish, principal, uuid_of},
    objects::{Appointment, Catalog},
};
use crate::{
    ApiError,
    context::ContextExt,
    user_error::{UserError, settle},
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
        let (principal, _) = principal(ctx, Need::See).await?;
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let patient = uuid_of("Patient", "patientId", &patient_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let break_glass =
            match check_patient(&tx, &principal, patient, Need::See, &request_id).await {
                Ok(break_glass) => break_glass,
                Err(e) => return abort(tx, e, &request_id).await,
            };
        let found = async {
            let list = appointments::for_patient(
                &tx,
                &actor(ctx, &principal, break_glass),
                PatientId::from_uuid(patient),
                upcoming.unwrap_or(true).then_some(clock.now),
                u64::try_from(first.unwrap_or(50).clamp(1, 200)).unwrap_or(50),
            )
            .await?;
            Ok::<_, portico_core::CoreError>((list, Catalog::load(&tx).await?))
        }
        .await;
        let (list, catalog) = finish(tx, found, &request_id).await?;
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
        let principal = ctx.authorize("appointments", "read").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        if to <= from || to - from > chrono::Duration::days(31) {
            return Err(ApiError::BadUserInput {
                field: "to",
                code: "INVALID_RANGE",
                message: "the range must end after it starts, at most 31 days later".to_owned(),
            }
            .into());
        }
        let provider = provider_id
            .as_ref()
            .map(|id| uuid_of("Provider", "providerId", id))
            .transpose()?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let found = async {
            // Another practice's provider, or none, is not found rather than a free day.
            if let Some(provider) = provider {
                portico_core::scheduling::catalog::find_provider(&tx, provider).await?;
            }
            let list = appointments::schedule(
                &tx,
                &actor(ctx, &principal, None),
                provider,
                from,
                to,
                1000,
            )
            .await?;
            Ok::<_, portico_core::CoreError>((list, Catalog::load(&tx).await?))
        }
        .await;
        let (list, catalog) = finish(tx, found, &request_id).await?;
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
    fn settled(
        result: Result<(portico_core::entities::appointment::Model, Arc<Catalog>), Vec<UserError>>,
        clock: portico_core::scheduling::appointments::PracticeClock,
    ) -> Self {
        match result {
            Ok((model, catalog)) => Self {
                appointment: Some(Appointment {
                    model,
                    catalog,
                    clock,
                }),
                user_errors: Vec::new(),
            },
            Err(user_errors) => Self {
                appointment: None,
                user_errors,
            },
        }
    }
}

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
        let (principal, channel) = principal(ctx, Need::Book).await?;
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let patient = uuid_of("Patient", "patientId", &input.patient_id)?;
        let booking = Booking {
            patient_id: PatientId::from_uuid(patient),
            appointment_type_id: uuid_of(
                "AppointmentType",
                "appointmentTypeId",
                &input.appointment_type_id,
            )?,
            provider_id: uuid_of("Provider", "providerId", &input.provider_id)?,
            location_id: uuid_of("Location", "locationId", &input.location_id)?,
            start: input.start,
            channel,
            booked_by: Some(principal.user_id.as_uuid()),
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let break_glass =
            match check_patient(&tx, &principal, patient, Need::Book, &request_id).await {
                Ok(break_glass) => break_glass,
                Err(e) => return abort(tx, e, &request_id).await,
            };
        let booked = async {
            let booked =
                appointments::book(&tx, &actor(ctx, &principal, break_glass), clock, booking)
                    .await?;
            Ok((booked, Catalog::load(&tx).await?))
        }
        .await;
        let settled = settle(tx, booked, &request_id).await?;
        if settled.is_ok() {
            super::reminders::send_due_now(ctx).await?;
            // A write-back to the practice's EHR may wait in the outbox too.
            relay_outbox(ctx, 1).await?;
        }
        Ok(AppointmentPayload::settled(settled, clock))
    }

    /// Moves an appointment in one step: the new time is taken and the old one released, or
    /// nothing changes.
    async fn reschedule_appointment(
        &self,
        ctx: &Context<'_>,
        input: RescheduleAppointmentInput,
    ) -> async_graphql::Result<AppointmentPayload> {
        let (principal, channel) = principal(ctx, Need::Book).await?;
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let change = Move {
            appointment_id: uuid_of("Appointment", "appointmentId", &input.appointment_id)?,
            start: input.start,
            provider_id: input
                .provider_id
                .as_ref()
                .map(|id| uuid_of("Provider", "providerId", id))
                .transpose()?,
            location_id: input
                .location_id
                .as_ref()
                .map(|id| uuid_of("Location", "locationId", id))
                .transpose()?,
            channel,
            by: Some(principal.user_id.as_uuid()),
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let old = match appointments::find(&tx, change.appointment_id).await {
            Ok(old) => old,
            Err(e) => return abort(tx, ApiError::from_core(e, &request_id), &request_id).await,
        };
        let break_glass =
            match check_patient(&tx, &principal, old.patient_id, Need::Book, &request_id).await {
                Ok(break_glass) => break_glass,
                Err(e) => return abort(tx, e, &request_id).await,
            };
        let actor = actor(ctx, &principal, break_glass);
        let text = notice_text(ctx)?;
        let result = async {
            let (new, old) = appointments::reschedule(&tx, &actor, clock, change).await?;
            let notices = waitlist::on_opening(&tx, &actor, clock, (&old).into(), &text).await?;
            Ok((new, Catalog::load(&tx).await?, notices))
        }
        .await;
        let settled = settle(tx, result, &request_id).await?;
        let settled = match settled {
            Ok((new, catalog, notices)) => {
                // Plus the EHR write-back of the change, when the practice has one.
                relay_outbox(ctx, notices + 1).await?;
                Ok((new, catalog))
            }
            Err(errors) => Err(errors),
        };
        Ok(AppointmentPayload::settled(settled, clock))
    }

    /// Cancels an appointment. From the portal, only outside the practice's cancellation
    /// window (`INSIDE_CANCELLATION_WINDOW`: call the office).
    async fn cancel_appointment(
        &self,
        ctx: &Context<'_>,
        input: CancelAppointmentInput,
    ) -> async_graphql::Result<AppointmentPayload> {
        let (principal, channel) = principal(ctx, Need::Book).await?;
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let id = uuid_of("Appointment", "appointmentId", &input.appointment_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let found = match appointments::find(&tx, id).await {
            Ok(found) => found,
            Err(e) => return abort(tx, ApiError::from_core(e, &request_id), &request_id).await,
        };
        let break_glass =
            match check_patient(&tx, &principal, found.patient_id, Need::Book, &request_id).await {
                Ok(break_glass) => break_glass,
                Err(e) => return abort(tx, e, &request_id).await,
            };
        let actor = actor(ctx, &principal, break_glass);
        let text = notice_text(ctx)?;
        let result = async {
            let cancelled = appointments::cancel(
                &tx,
                &actor,
                clock,
                id,
                channel,
                Some(principal.user_id.as_uuid()),
            )
            .await?;
            let notices =
                waitlist::on_opening(&tx, &actor, clock, (&cancelled).into(), &text).await?;
            Ok((cancelled, Catalog::load(&tx).await?, notices))
        }
        .await;
        let settled = match settle(tx, result, &request_id).await? {
            Ok((cancelled, catalog, notices)) => {
                // Plus the EHR write-back of the change, when the practice has one.
                relay_outbox(ctx, notices + 1).await?;
                Ok((cancelled, catalog))
            }
            Err(errors) => Err(errors),
        };
        Ok(AppointmentPayload::settled(settled, clock))
    }

    /// Records whether a past visit happened (staff).
    async fn record_appointment_outcome(
        &self,
        ctx: &Context<'_>,
        input: RecordAppointmentOutcomeInput,
    ) -> async_graphql::Result<AppointmentPayload> {
        let principal = ctx.authorize("appointments", "write").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let id = uuid_of("Appointment", "appointmentId", &input.appointment_id)?;
        let outcome = match input.outcome {
            VisitOutcome::Completed => appointments::COMPLETED,
            VisitOutcome::NoShow => appointments::NO_SHOW,
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let found = match appointments::find(&tx, id).await {
            Ok(found) => found,
            Err(e) => return abort(tx, ApiError::from_core(e, &request_id), &request_id).await,
        };
        let break_glass =
            match check_patient(&tx, &principal, found.patient_id, Need::Book, &request_id).await {
                Ok(break_glass) => break_glass,
                Err(e) => return abort(tx, e, &request_id).await,
            };
        let result = async {
            let updated = appointments::set_outcome(
                &tx,
                &actor(ctx, &principal, break_glass),
                id,
                outcome,
                clock.now,
            )
            .await?;
            Ok((updated, Catalog::load(&tx).await?))
        }
        .await;
        Ok(AppointmentPayload::settled(
            settle(tx, result, &request_id).await?,
            clock,
        ))
    }
}
