//! Secure messaging between a patient's chart and the practice's care team.
//!
//! A thread belongs to one chart and is addressed to one care-team pool (a patient who writes
//! "to their provider" reaches the provider's own pool). The patient, a proxy whose grant has
//! the `message` scope and the practice's staff take part; internal notes are for staff only
//! and never leave this module towards a patient. A practice's response-time target runs from
//! the oldest patient message the care team has not answered.

pub mod access;
pub mod attachments;
pub mod demo;
pub mod events;
pub mod messages;
pub mod notices;
pub mod pools;
pub mod reads;
pub mod threads;

use chrono::{DateTime, Duration, Utc};

use crate::entities::{message_thread, tenant};

pub const OPEN: &str = "open";
pub const CLOSED: &str = "closed";

pub const CATEGORIES: [&str; 6] = [
    "medical_question",
    "appointment",
    "prescription",
    "test_result",
    "billing",
    "other",
];

/// Hours within which a patient's message should be answered, when a practice has not said.
pub const DEFAULT_RESPONSE_TARGET_HOURS: i32 = 24;

/// The practice's response-time target.
pub fn response_target(practice: &tenant::Model) -> Duration {
    Duration::hours(i64::from(
        practice
            .message_response_target_hours
            .unwrap_or(DEFAULT_RESPONSE_TARGET_HOURS),
    ))
}

/// When the open thread's waiting patient message passes the target, if it waits.
pub fn reply_due(thread: &message_thread::Model, target: Duration) -> Option<DateTime<Utc>> {
    if thread.status != OPEN {
        return None;
    }
    thread.awaiting_reply_since.map(|since| since + target)
}

/// An open thread whose waiting patient message is past the target.
pub fn is_overdue(thread: &message_thread::Model, target: Duration, now: DateTime<Utc>) -> bool {
    reply_due(thread, target).is_some_and(|due| due < now)
}

/// Sets (or with `None`, restores the default of) the practice's response-time target.
pub async fn set_response_target(
    tx: &crate::TenantTx,
    hours: Option<i32>,
) -> crate::CoreResult<tenant::Model> {
    use sea_orm::{ActiveModelTrait, Set};
    if let Some(h) = hours
        && !(1..=720).contains(&h)
    {
        return Err(crate::CoreError::invalid(
            "responseTargetHours",
            "INVALID_RESPONSE_TARGET",
            "between 1 and 720 hours",
        ));
    }
    let found = crate::tenants::own_row(tx).await?;
    tx.changed(crate::caches::Change::Tenant);
    let mut active: tenant::ActiveModel = found.tenant.into();
    active.message_response_target_hours = Set(hours);
    active.updated_at = Set(Utc::now());
    Ok(active.update(tx.conn()).await?)
}

/// Sets the response-time target as [`set_response_target`] does, audited as `actor`'s.
pub async fn change_response_target(
    tx: &crate::TenantTx,
    actor: &crate::audit::Actor,
    hours: Option<i32>,
) -> crate::CoreResult<tenant::Model> {
    let updated = set_response_target(tx, hours).await?;
    crate::admin_changes::record(tx, actor, "settings.messaging", "Tenant", updated.id).await?;
    Ok(updated)
}
