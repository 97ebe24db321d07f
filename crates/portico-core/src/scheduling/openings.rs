//! Changes that give a provider time back (an appointment moved or cancelled, by staff, in
//! the portal or from a reminder's link; a block or holiday removed) and the waitlist
//! notices each one sets off, in the same transaction. Each returns how many notices it
//! wrote to the outbox; the caller relays the outbox once the transaction has committed.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    CoreResult, TenantTx, admin_changes,
    audit::Actor,
    entities::{appointment, schedule_block},
    notify::Portal,
    scheduling::{
        appointments::{self, Channel, Move, PracticeClock},
        blocks, catalog,
        reminders::{self, Answer},
        waitlist::{self, Opening},
    },
};

/// Moves an appointment (see [`appointments::reschedule`]); the waitlist hears of the old
/// time. Returns the new appointment.
pub async fn reschedule(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    change: Move,
    portal: &Portal,
) -> CoreResult<(appointment::Model, usize)> {
    let (new, old) = appointments::reschedule(tx, actor, clock, change).await?;
    let notices = waitlist::on_opening(tx, actor, clock, (&old).into(), portal).await?;
    Ok((new, notices))
}

/// Cancels an appointment (see [`appointments::cancel`]); the waitlist hears of its time.
pub async fn cancel(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    id: Uuid,
    channel: Channel,
    by: Option<Uuid>,
    portal: &Portal,
) -> CoreResult<(appointment::Model, usize)> {
    let cancelled = appointments::cancel(tx, actor, clock, id, channel, by).await?;
    let notices = waitlist::on_opening(tx, actor, clock, (&cancelled).into(), portal).await?;
    Ok((cancelled, notices))
}

/// Answers a reminder through its one-time link (see [`reminders::answer`]); a cancelled
/// visit's time goes to the waitlist.
pub async fn answer_reminder(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    token: &str,
    answer: Answer,
    portal: &Portal,
) -> CoreResult<(appointment::Model, usize)> {
    let visit = reminders::answer(tx, actor, clock, token.trim(), answer).await?;
    let notices = if answer == Answer::Cancel {
        waitlist::on_opening(tx, actor, clock, (&visit).into(), portal).await?
    } else {
        0
    };
    Ok((visit, notices))
}

/// Whether a reminder's answer left the visit confirmed, and whether cancelled.
pub fn answered(visit: &appointment::Model) -> (bool, bool) {
    (
        visit.confirmed_at.is_some(),
        visit.status == appointments::CANCELLED,
    )
}

/// Removes a block, time off or holiday (audited); the waitlist hears of the time, for
/// every provider when a holiday ends.
pub async fn remove_block(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    id: Uuid,
    portal: &Portal,
) -> CoreResult<(schedule_block::Model, usize)> {
    let removed = blocks::remove(tx, id).await?;
    admin_changes::record(
        tx,
        actor,
        "schedule_block.remove",
        "ScheduleBlock",
        removed.id,
    )
    .await?;
    // A holiday frees every provider's time.
    let providers = match removed.provider_id {
        Some(provider) => vec![provider],
        None => catalog::providers(tx, false)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect(),
    };
    let mut notices = 0;
    for provider_id in providers {
        notices += waitlist::on_opening(
            tx,
            actor,
            clock,
            freed(provider_id, removed.starts_at, removed.ends_at),
            portal,
        )
        .await?;
    }
    Ok((removed, notices))
}

fn freed(provider_id: Uuid, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Opening {
    Opening {
        provider_id,
        starts_at,
        ends_at,
        vacated_by: None,
    }
}
