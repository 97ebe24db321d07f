//! One practice's figures for one of its calendar days, computed from timestamped rows only
//! (creation, booking, sending, reply and decision times; portal use from the audit log), so
//! any past day can be computed again and gives the same answer. Saving replaces the day's
//! row.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    CoreResult, TenantTx,
    entities::{
        adoption_rollup::{self, Model as Rollup},
        appointment, appointment_reminder, audit_event, audit_pending, outbox_message, patient,
        recall_notice, refill_request, thread_message, user,
    },
    scheduling::{appointments as booking, reminders::OUTBOX_KEY as REMINDER_KEY},
};

/// Portal use: events of patients (and proxies, who sign in as patients).
const PATIENT_ROLE: &str = "patient";

/// A practice's time zone by name (validated when set; UTC should it ever not parse).
pub fn zone(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// `[start, end)` of `day` in the practice's time zone.
pub fn bounds(day: NaiveDate, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let at = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        // A midnight that does not exist (a DST gap) starts the day at the earliest
        // instant that does.
        tz.from_local_datetime(&midnight)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(midnight + Duration::hours(1)))
                    .earliest()
            })
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    };
    (at(day), at(day + Duration::days(1)))
}

/// The median, halfway between the middle two of an even count.
pub(crate) fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2
    } else {
        values[mid]
    })
}

/// Patients who did anything in `[from, to)`, from their audit events: those sealed into the
/// chain and those still waiting for the sealer.
pub(crate) async fn active_patients(
    tx: &TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CoreResult<i64> {
    let mut ids: std::collections::HashSet<Option<Uuid>> = tx
        .find::<audit_event::Entity>()
        .select_only()
        .column(audit_event::Column::ActorId)
        .distinct()
        .filter(audit_event::Column::ActorRole.eq(PATIENT_ROLE))
        .filter(audit_event::Column::ActorId.is_not_null())
        .filter(audit_event::Column::OccurredAt.gte(from))
        .filter(audit_event::Column::OccurredAt.lt(to))
        .into_tuple()
        .all(tx.conn())
        .await?
        .into_iter()
        .collect();
    let pending: Vec<Option<Uuid>> = tx
        .find::<audit_pending::Entity>()
        .select_only()
        .column(audit_pending::Column::ActorId)
        .distinct()
        .filter(audit_pending::Column::ActorRole.eq(PATIENT_ROLE))
        .filter(audit_pending::Column::ActorId.is_not_null())
        .filter(audit_pending::Column::OccurredAt.gte(from))
        .filter(audit_pending::Column::OccurredAt.lt(to))
        .into_tuple()
        .all(tx.conn())
        .await?;
    ids.extend(pending);
    Ok(ids.len() as i64)
}

/// Reminders with a message (email or text) delivered in `[from, to)`: a reminder sent by
/// both counts once.
async fn delivered_reminders(
    tx: &TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CoreResult<i64> {
    let keys: Vec<String> = tx
        .find::<outbox_message::Entity>()
        .select_only()
        .column(outbox_message::Column::IdempotencyKey)
        .filter(outbox_message::Column::IdempotencyKey.starts_with(REMINDER_KEY))
        .filter(outbox_message::Column::DeliveredAt.gte(from))
        .filter(outbox_message::Column::DeliveredAt.lt(to))
        .into_tuple()
        .all(tx.conn())
        .await?;
    let reminders: std::collections::HashSet<&str> = keys
        .iter()
        .map(|k| k.strip_suffix(":sms").unwrap_or(k))
        .collect();
    Ok(reminders.len() as i64)
}

/// Minutes from each patient message that opened a wait (the first after a staff reply, or
/// the thread's first) on this day to the first staff reply after it.
async fn first_responses(
    tx: &TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CoreResult<Vec<i64>> {
    let threads: Vec<Uuid> = tx
        .find::<thread_message::Entity>()
        .select_only()
        .column(thread_message::Column::ThreadId)
        .distinct()
        .filter(thread_message::Column::AuthorKind.ne("staff"))
        .filter(thread_message::Column::CreatedAt.gte(from))
        .filter(thread_message::Column::CreatedAt.lt(to))
        .into_tuple()
        .all(tx.conn())
        .await?;
    let mut minutes = Vec::new();
    for thread in threads {
        let messages = tx
            .find::<thread_message::Entity>()
            .filter(thread_message::Column::ThreadId.eq(thread))
            .filter(thread_message::Column::Internal.eq(false))
            .order_by_asc(thread_message::Column::CreatedAt)
            .all(tx.conn())
            .await?;
        let mut waiting_since: Option<DateTime<Utc>> = None;
        for m in &messages {
            if m.author_kind == "staff" {
                if let Some(since) = waiting_since.take()
                    && since >= from
                    && since < to
                {
                    minutes.push((m.created_at - since).num_minutes());
                }
            } else if waiting_since.is_none() {
                waiting_since = Some(m.created_at);
            }
        }
    }
    Ok(minutes)
}

/// Computes the figures of `day` (the practice's calendar day in `tz`).
pub async fn compute(tx: &TenantTx, day: NaiveDate, tz: chrono_tz::Tz) -> CoreResult<Rollup> {
    let (from, to) = bounds(day, tz);
    let conn = tx.conn();
    let patients = tx
        .find::<patient::Entity>()
        .filter(patient::Column::CreatedAt.lt(to))
        .count(conn)
        .await? as i64;
    // A chart counts as activated from when its portal account was made.
    let account_ids: Vec<Option<Uuid>> = tx
        .find::<patient::Entity>()
        .select_only()
        .column(patient::Column::UserId)
        .filter(patient::Column::CreatedAt.lt(to))
        .filter(patient::Column::UserId.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let account_ids: Vec<Uuid> = account_ids.into_iter().flatten().collect();
    let activated = if account_ids.is_empty() {
        0
    } else {
        tx.find::<user::Entity>()
            .filter(user::Column::Id.is_in(account_ids))
            .filter(user::Column::CreatedAt.lt(to))
            .count(conn)
            .await? as i64
    };
    let booked = |online: bool| {
        let mut q = tx
            .find::<appointment::Entity>()
            .filter(appointment::Column::CreatedAt.gte(from))
            .filter(appointment::Column::CreatedAt.lt(to))
            // A move is the same booking, not a new one.
            .filter(appointment::Column::RescheduledFrom.is_null());
        if online {
            q = q.filter(appointment::Column::BookedVia.eq("portal"));
        }
        q.count(conn)
    };
    let bookings = booked(false).await? as i64;
    let online_bookings = booked(true).await? as i64;
    let visits = |status: &'static str| {
        tx.find::<appointment::Entity>()
            .filter(appointment::Column::StartsAt.gte(from))
            .filter(appointment::Column::StartsAt.lt(to))
            .filter(appointment::Column::Status.eq(status))
            .count(conn)
    };
    let completed_visits = visits(booking::COMPLETED).await? as i64;
    let no_shows = visits(booking::NO_SHOW).await? as i64;
    let reminders_sent = tx
        .find::<appointment_reminder::Entity>()
        .filter(appointment_reminder::Column::SentAt.gte(from))
        .filter(appointment_reminder::Column::SentAt.lt(to))
        .count(conn)
        .await? as i64;
    let reminders_delivered = delivered_reminders(tx, from, to).await?;
    let recall = |column: recall_notice::Column| {
        tx.find::<recall_notice::Entity>()
            .filter(column.gte(from))
            .filter(column.lt(to))
            .count(conn)
    };
    let recalls_sent = recall(recall_notice::Column::SentAt).await? as i64;
    let recall_bookings = recall(recall_notice::Column::BookedAt).await? as i64;
    let messages = |staff: bool| {
        let q = tx
            .find::<thread_message::Entity>()
            .filter(thread_message::Column::Internal.eq(false))
            .filter(thread_message::Column::CreatedAt.gte(from))
            .filter(thread_message::Column::CreatedAt.lt(to));
        if staff {
            q.filter(thread_message::Column::AuthorKind.eq("staff"))
        } else {
            q.filter(thread_message::Column::AuthorKind.ne("staff"))
        }
        .count(conn)
    };
    let messages_in = messages(false).await? as i64;
    let messages_out = messages(true).await? as i64;
    let refills_requested = tx
        .find::<refill_request::Entity>()
        .filter(refill_request::Column::CreatedAt.gte(from))
        .filter(refill_request::Column::CreatedAt.lt(to))
        .count(conn)
        .await? as i64;
    let decided = tx
        .find::<refill_request::Entity>()
        .filter(refill_request::Column::DecidedAt.gte(from))
        .filter(refill_request::Column::DecidedAt.lt(to))
        .all(conn)
        .await?;
    let turnarounds = decided
        .iter()
        .filter_map(|r| r.decided_at.map(|d| (d - r.created_at).num_minutes()))
        .collect();
    Ok(Rollup {
        tenant_id: tx.tenant_id().as_uuid(),
        id: Uuid::now_v7(),
        day,
        patients,
        activated,
        daily_active: active_patients(tx, from, to).await?,
        monthly_active: active_patients(tx, bounds(day - Duration::days(29), tz).0, to).await?,
        bookings,
        online_bookings,
        completed_visits,
        no_shows,
        reminders_sent,
        reminders_delivered,
        recalls_sent,
        recall_bookings,
        messages_in,
        messages_out,
        median_first_response_minutes: median(first_responses(tx, from, to).await?),
        refills_requested,
        refills_decided: decided.len() as i64,
        median_refill_turnaround_minutes: median(turnarounds),
        computed_at: Utc::now(),
    })
}

/// Computes `day` and saves it in place of the day's row.
pub async fn recompute(tx: &TenantTx, day: NaiveDate, tz: chrono_tz::Tz) -> CoreResult<Rollup> {
    let computed = compute(tx, day, tz).await?;
    let found = tx
        .find::<adoption_rollup::Entity>()
        .filter(adoption_rollup::Column::Day.eq(day))
        .one(tx.conn())
        .await?;
    let mut active: adoption_rollup::ActiveModel = computed.clone().into();
    Ok(match found {
        Some(found) => {
            active.id = Set(found.id);
            active.reset_all().update(tx.conn()).await?
        }
        None => active.reset_all().insert(tx.conn()).await?,
    })
}

/// The most days one recompute may cover.
pub const MAX_RECOMPUTE_DAYS: i64 = 92;

/// Computes the days from `from` to `to` (both included, at most [`MAX_RECOMPUTE_DAYS`];
/// `INVALID_RANGE` otherwise) again, each in place of its row; the number of days computed.
/// The same data gives the same figures.
pub async fn recompute_range(
    tx: &TenantTx,
    from: NaiveDate,
    to: NaiveDate,
    tz: chrono_tz::Tz,
) -> CoreResult<i64> {
    if to < from || (to - from).num_days() >= MAX_RECOMPUTE_DAYS {
        return Err(crate::CoreError::invalid(
            "to",
            "INVALID_RANGE",
            format!("from must not be after to, and the range at most {MAX_RECOMPUTE_DAYS} days"),
        ));
    }
    let mut day = from;
    let mut days = 0;
    while day <= to {
        recompute(tx, day, tz).await?;
        day += Duration::days(1);
        days += 1;
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![30, 10, 20]), Some(20));
        assert_eq!(median(vec![40, 10, 20, 30]), Some(25));
    }

    #[test]
    fn a_day_follows_the_practice_clock_across_daylight_saving() {
        let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let (from, to) = bounds(NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(), tz);
        assert_eq!((to - from).num_hours(), 23);
        assert_eq!(from.to_rfc3339(), "2026-03-08T05:00:00+00:00");
        let (from, to) = bounds(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), tz);
        assert_eq!((to - from).num_hours(), 25);
        assert_eq!(from.to_rfc3339(), "2026-11-01T04:00:00+00:00");
    }
}
