//! Booking, rescheduling and cancelling appointments.
//!
//! Two bookings can never hold overlapping time with one provider: the slot is checked inside
//! the writing transaction, and the database has the last word. On PostgreSQL an exclusion
//! constraint over `(tenant, provider, time range)` for booked rows refuses the second of two
//! concurrent inserts; on SQLite writing transactions are serialised (`BEGIN IMMEDIATE`), so
//! the second sees the first. Either way the loser gets `SLOT_UNAVAILABLE` and nothing changes.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::{self, Access, Actor},
    entities::{appointment, patient},
    events::{self, Event},
    scheduling::{
        catalog,
        search::{self, Audience, Offer, SlotQuery},
    },
};

pub const BOOKED: &str = "booked";
pub const RESCHEDULED: &str = "rescheduled";
pub const CANCELLED: &str = "cancelled";
pub const COMPLETED: &str = "completed";
pub const NO_SHOW: &str = "no_show";

/// The cancellation window when a practice has not set its own.
pub const DEFAULT_CANCELLATION_WINDOW_HOURS: i32 = 24;

/// The constraint that refuses overlapping appointments (booked, or held with an outcome)
/// on PostgreSQL.
const NO_OVERLAP: &str = "appointments_no_overlap";

fn access<'a>(action: &'a str, a: &appointment::Model) -> Access<'a> {
    Access {
        action,
        resource_type: "Appointment",
        resource_id: Some(a.id),
        patient_id: Some(a.patient_id),
    }
}

fn slot_unavailable() -> CoreError {
    CoreError::invalid(
        "start",
        "SLOT_UNAVAILABLE",
        "this time is no longer available; choose another",
    )
}

fn is_overlap(err: &DbErr) -> bool {
    err.to_string().contains(NO_OVERLAP)
}

/// Who books, and through what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The patient or their proxy, in the portal: online rules and the cancellation window.
    Portal,
    /// Staff on the patient's behalf.
    Staff,
}

impl Channel {
    fn audience(self) -> Audience {
        match self {
            Self::Portal => Audience::Portal,
            Self::Staff => Audience::Staff,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Staff => "staff",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Booking {
    pub patient_id: PatientId,
    pub appointment_type_id: Uuid,
    pub provider_id: Uuid,
    pub location_id: Uuid,
    pub start: DateTime<Utc>,
    pub channel: Channel,
    /// The user who booked (the patient, a proxy or staff).
    pub booked_by: Option<Uuid>,
}

/// The practice's time zone and cancellation window, read from its directory row.
#[derive(Clone, Copy, Debug)]
pub struct PracticeClock {
    pub tz: Tz,
    pub cancellation_window: Duration,
    pub now: DateTime<Utc>,
}

impl PracticeClock {
    pub fn of(tenant: &crate::entities::tenant::Model, now: DateTime<Utc>) -> Self {
        let hours = tenant
            .cancellation_window_hours
            .unwrap_or(DEFAULT_CANCELLATION_WINDOW_HOURS);
        Self {
            tz: tenant.time_zone.parse().unwrap_or(chrono_tz::UTC),
            cancellation_window: Duration::hours(i64::from(hours)),
            now,
        }
    }
}

async fn chart(tx: &TenantTx, id: PatientId) -> CoreResult<patient::Model> {
    tx.find::<patient::Entity>()
        .filter(patient::Column::Id.eq(id.as_uuid()))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// Whether the patient has been seen before: a completed visit or a booked one that is past,
/// or a finished encounter in the chart (visits entered by staff or synced from the EHR).
async fn established(tx: &TenantTx, patient: Uuid, now: DateTime<Utc>) -> CoreResult<bool> {
    let encounter = tx
        .find::<crate::entities::encounter::Entity>()
        .filter(crate::entities::encounter::Column::PatientId.eq(patient))
        .filter(crate::entities::encounter::Column::Status.eq("finished"))
        .one(tx.conn())
        .await?;
    if encounter.is_some() {
        return Ok(true);
    }
    let earlier = tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::PatientId.eq(patient))
        .filter(appointment::Column::Status.is_in([COMPLETED, BOOKED]))
        .filter(appointment::Column::StartsAt.lt(now))
        .one(tx.conn())
        .await?;
    Ok(earlier.is_some())
}

/// Books `booking` if its slot is open, inside the caller's writing transaction.
pub async fn book(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    booking: Booking,
) -> CoreResult<appointment::Model> {
    audit::lock(tx).await?;
    let created = insert(tx, clock, booking, None).await?;
    audit::record(tx, actor, access("appointment.create", &created)).await?;
    Ok(created)
}

async fn insert(
    tx: &TenantTx,
    clock: PracticeClock,
    booking: Booking,
    rescheduled_from: Option<Uuid>,
) -> CoreResult<appointment::Model> {
    let patient = chart(tx, booking.patient_id).await?;
    let kind = catalog::find_type(tx, booking.appointment_type_id).await?;
    search::bookable(&kind, booking.channel.audience())?;
    if booking.channel == Channel::Portal && kind.eligibility != "any" {
        let seen = established(tx, patient.id, clock.now).await?;
        if seen != (kind.eligibility == "established") {
            return Err(CoreError::invalid(
                "appointmentTypeId",
                "NOT_ELIGIBLE",
                if seen {
                    "this type is for new patients; choose another"
                } else {
                    "this type is for patients who have been seen before; choose another"
                },
            ));
        }
    }
    let local = booking.start.with_timezone(&clock.tz).date_naive();
    let offers = search::available(
        tx,
        clock.tz,
        SlotQuery {
            appointment_type_id: kind.id,
            provider_id: Some(booking.provider_id),
            location_id: Some(booking.location_id),
            from: local.pred_opt().unwrap_or(local),
            to: local.succ_opt().unwrap_or(local),
        },
        booking.channel.audience(),
        clock.now,
    )
    .await
    .map_err(|e| match e {
        CoreError::NotFound => slot_unavailable(),
        other => other,
    })?;
    let wanted = Offer {
        start: booking.start,
        end: booking.start + Duration::minutes(i64::from(kind.duration_minutes)),
        provider_id: booking.provider_id,
        location_id: booking.location_id,
    };
    if !offers.contains(&wanted) {
        return Err(slot_unavailable());
    }
    let now = Utc::now();
    let created = appointment::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(patient.id),
        provider_id: Set(wanted.provider_id),
        location_id: Set(wanted.location_id),
        appointment_type_id: Set(kind.id),
        starts_at: Set(wanted.start),
        ends_at: Set(wanted.end),
        status: Set(BOOKED.to_owned()),
        booked_by: Set(booking.booked_by),
        booked_via: Set(booking.channel.as_str().to_owned()),
        rescheduled_from: Set(rescheduled_from),
        cancelled_at: Set(None),
        cancelled_by: Set(None),
        confirmed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await
    .map_err(|e| {
        if is_overlap(&e) {
            slot_unavailable()
        } else {
            e.into()
        }
    })?;
    events::publish(
        tx,
        Event::AppointmentBooked {
            appointment: &created,
            at: clock.now,
        },
    )
    .await?;
    Ok(created)
}

/// The appointment, unaudited: callers audit what they do with it.
pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<appointment::Model> {
    tx.find::<appointment::Entity>()
        .filter(appointment::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

pub async fn get(tx: &TenantTx, actor: &Actor, id: Uuid) -> CoreResult<appointment::Model> {
    let found = find(tx, id).await?;
    audit::record(tx, actor, access("appointment.read", &found)).await?;
    Ok(found)
}

/// A booked appointment the channel may still change, or why not.
fn changeable(
    found: &appointment::Model,
    channel: Channel,
    clock: PracticeClock,
) -> CoreResult<()> {
    if found.status != BOOKED {
        return Err(CoreError::invalid(
            "appointmentId",
            "APPOINTMENT_NOT_ACTIVE",
            "this appointment was already cancelled, moved or held",
        ));
    }
    if found.starts_at <= clock.now {
        return Err(CoreError::invalid(
            "appointmentId",
            "APPOINTMENT_IN_PAST",
            "this appointment has already started",
        ));
    }
    if channel == Channel::Portal && found.starts_at - clock.now < clock.cancellation_window {
        return Err(CoreError::invalid(
            "appointmentId",
            "INSIDE_CANCELLATION_WINDOW",
            format!(
                "this visit is less than {} hours away; please call the office to change or cancel it",
                clock.cancellation_window.num_hours()
            ),
        ));
    }
    Ok(())
}

/// Moves a booked appointment out of `booked`, only if it still is: of two concurrent changes
/// to one appointment, one wins and the other gets `APPOINTMENT_NOT_ACTIVE`.
async fn release(
    tx: &TenantTx,
    found: &appointment::Model,
    status: &str,
    by: Option<Uuid>,
) -> CoreResult<()> {
    let now = Utc::now();
    let mut update = tx
        .update::<appointment::Entity>()
        .col_expr(appointment::Column::Status, Expr::value(status))
        .col_expr(appointment::Column::UpdatedAt, Expr::value(now));
    if status == CANCELLED {
        update = update
            .col_expr(appointment::Column::CancelledAt, Expr::value(Some(now)))
            .col_expr(appointment::Column::CancelledBy, Expr::value(by));
    }
    let result = update
        .filter(appointment::Column::Id.eq(found.id))
        .filter(appointment::Column::Status.eq(BOOKED))
        .exec(tx.conn())
        .await?;
    if result.rows_affected == 0 {
        return Err(CoreError::invalid(
            "appointmentId",
            "APPOINTMENT_NOT_ACTIVE",
            "this appointment was already cancelled, moved or held",
        ));
    }
    events::publish(
        tx,
        Event::AppointmentReleased {
            appointment: found,
            status,
        },
    )
    .await?;
    Ok(())
}

#[derive(Clone, Copy, Debug)]
pub struct Move {
    pub appointment_id: Uuid,
    pub start: DateTime<Utc>,
    /// Another provider or location; the same ones when unset.
    pub provider_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    pub channel: Channel,
    pub by: Option<Uuid>,
}

/// Moves an appointment in one step: the new slot is taken and the old one released, or
/// (when the new slot is not available) nothing changes. Returns the new appointment and the
/// old one, whose time may now interest the waitlist.
pub async fn reschedule(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    change: Move,
) -> CoreResult<(appointment::Model, appointment::Model)> {
    audit::lock(tx).await?;
    let old = find(tx, change.appointment_id).await?;
    changeable(&old, change.channel, clock)?;
    // Released first so the new time may overlap the old; if booking fails, the caller's
    // rollback puts the old appointment back as it was.
    release(tx, &old, RESCHEDULED, change.by).await?;
    let new = insert(
        tx,
        clock,
        Booking {
            patient_id: PatientId::from_uuid(old.patient_id),
            appointment_type_id: old.appointment_type_id,
            provider_id: change.provider_id.unwrap_or(old.provider_id),
            location_id: change.location_id.unwrap_or(old.location_id),
            start: change.start,
            channel: change.channel,
            booked_by: change.by,
        },
        Some(old.id),
    )
    .await?;
    audit::record(tx, actor, access("appointment.reschedule", &old)).await?;
    audit::record(tx, actor, access("appointment.create", &new)).await?;
    Ok((new, old))
}

/// Cancels a booked appointment; from the portal, only outside the practice's window.
pub async fn cancel(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    id: Uuid,
    channel: Channel,
    by: Option<Uuid>,
) -> CoreResult<appointment::Model> {
    audit::lock(tx).await?;
    let found = find(tx, id).await?;
    changeable(&found, channel, clock)?;
    release(tx, &found, CANCELLED, by).await?;
    audit::record(tx, actor, access("appointment.cancel", &found)).await?;
    find(tx, id).await
}

/// Records how a past visit went (`completed` or `no_show`).
pub async fn set_outcome(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
    outcome: &str,
    now: DateTime<Utc>,
) -> CoreResult<appointment::Model> {
    if ![COMPLETED, NO_SHOW].contains(&outcome) {
        return Err(CoreError::invalid(
            "outcome",
            "INVALID_OUTCOME",
            "must be completed or no_show",
        ));
    }
    audit::lock(tx).await?;
    let found = find(tx, id).await?;
    if found.status != BOOKED && found.status != COMPLETED && found.status != NO_SHOW {
        return Err(CoreError::invalid(
            "appointmentId",
            "APPOINTMENT_NOT_ACTIVE",
            "this appointment was cancelled or moved",
        ));
    }
    if found.starts_at > now {
        return Err(CoreError::invalid(
            "appointmentId",
            "APPOINTMENT_IN_FUTURE",
            "record the outcome once the visit has started",
        ));
    }
    let changed = found.status != outcome;
    let mut active: appointment::ActiveModel = found.into();
    active.status = Set(outcome.to_owned());
    active.updated_at = Set(Utc::now());
    let updated = active.update(tx.conn()).await?;
    // The same outcome recorded again is no news (no second write-back or webhook).
    if changed {
        events::publish(
            tx,
            Event::AppointmentOutcome {
                appointment: &updated,
                status: outcome,
            },
        )
        .await?;
    }
    audit::record(tx, actor, access("appointment.outcome", &updated)).await?;
    Ok(updated)
}

/// A patient's appointments, soonest first; with `upcoming_after`, only booked ones starting
/// after it.
pub async fn for_patient(
    tx: &TenantTx,
    actor: &Actor,
    patient: PatientId,
    upcoming_after: Option<DateTime<Utc>>,
    limit: u64,
) -> CoreResult<Vec<appointment::Model>> {
    let mut query = tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::PatientId.eq(patient.as_uuid()));
    query = match upcoming_after {
        Some(after) => query
            .filter(appointment::Column::Status.eq(BOOKED))
            .filter(appointment::Column::StartsAt.gt(after))
            .order_by_asc(appointment::Column::StartsAt),
        None => query.order_by_desc(appointment::Column::StartsAt),
    };
    let found = query.limit(limit).all(tx.conn()).await?;
    for a in &found {
        audit::record(tx, actor, access("appointment.list", a)).await?;
    }
    Ok(found)
}

/// A schedule spans at most this long.
pub const SCHEDULE_SPAN_DAYS: i64 = 31;

/// `INVALID_RANGE` unless `to` comes after `from`, at most [`SCHEDULE_SPAN_DAYS`] later.
pub fn check_schedule_range(from: DateTime<Utc>, to: DateTime<Utc>) -> CoreResult<()> {
    if to <= from || to - from > Duration::days(SCHEDULE_SPAN_DAYS) {
        return Err(CoreError::invalid(
            "to",
            "INVALID_RANGE",
            "the range must end after it starts, at most 31 days later",
        ));
    }
    Ok(())
}

/// The practice's booked appointments between two instants (one provider's, when given).
pub async fn schedule(
    tx: &TenantTx,
    actor: &Actor,
    provider: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> CoreResult<Vec<appointment::Model>> {
    let mut query = tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::Status.is_in([BOOKED, COMPLETED, NO_SHOW]))
        .filter(appointment::Column::StartsAt.lt(to))
        .filter(appointment::Column::EndsAt.gt(from))
        .order_by_asc(appointment::Column::StartsAt);
    if let Some(provider) = provider {
        query = query.filter(appointment::Column::ProviderId.eq(provider));
    }
    let found = query.limit(limit).all(tx.conn()).await?;
    for a in &found {
        audit::record(tx, actor, access("appointment.list", a)).await?;
    }
    Ok(found)
}

/// Whether a patient-role `user` may act on `patient`'s appointments: their own chart, or a
/// proxy grant in force with `scope` (`book` to book and change, `read` or `book` to see).
pub async fn patient_may(
    tx: &TenantTx,
    user: crate::UserId,
    patient: Uuid,
    scopes: &[&str],
) -> CoreResult<bool> {
    let own = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(patient))
        .filter(patient::Column::UserId.eq(user.as_uuid()))
        .one(tx.conn())
        .await?
        .is_some();
    if own {
        return Ok(true);
    }
    for scope in scopes {
        if crate::proxies::allows(tx, user, patient, scope).await? {
            return Ok(true);
        }
    }
    Ok(false)
}
