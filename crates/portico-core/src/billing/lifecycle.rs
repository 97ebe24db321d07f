//! The practice's status as its subscription makes it: a pure function of the account's
//! state and the time, so the webhook handler and the sweep that ends trials and grace
//! periods always agree.

use chrono::{DateTime, Utc};

use super::settings::BillingSettings;
use crate::entities::{billing_account, tenant_status};

/// The subscription state the status is derived from.
#[derive(Clone, Copy, Debug)]
pub struct State<'a> {
    /// The provider's status of the subscription; `None` before any.
    pub subscription_status: Option<&'a str>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub past_due_since: Option<DateTime<Utc>>,
}

impl<'a> From<&'a billing_account::Model> for State<'a> {
    fn from(account: &'a billing_account::Model) -> Self {
        Self {
            subscription_status: account.subscription_status.as_deref(),
            trial_ends_at: account.trial_ends_at,
            past_due_since: account.past_due_since,
        }
    }
}

/// trial -> active -> past_due (for the grace period) -> suspended; cancelled when the
/// subscription ends. A trial without a subscription ends in suspension.
pub fn status(state: State<'_>, grace: chrono::Duration, now: DateTime<Utc>) -> &'static str {
    let in_grace = || state.past_due_since.is_none_or(|since| now < since + grace);
    match state.subscription_status {
        // A first payment that never went through leaves the practice where it was: on its
        // trial while that lasts.
        None | Some("incomplete_expired") => match state.trial_ends_at {
            Some(end) if now >= end => tenant_status::SUSPENDED,
            _ => tenant_status::TRIAL,
        },
        Some("trialing") => tenant_status::TRIAL,
        Some("active") => tenant_status::ACTIVE,
        Some("canceled") => tenant_status::CANCELLED,
        // Stripe stopped retrying, or the subscription is paused: nothing is being paid.
        Some("unpaid" | "paused") => tenant_status::SUSPENDED,
        // `past_due`, `incomplete` (the first payment is not through yet), and any status
        // added later: a payment is owed, and the grace period runs.
        Some(_) if in_grace() => tenant_status::PAST_DUE,
        Some(_) => tenant_status::SUSPENDED,
    }
}

/// Shown to staff while billing is not in order (a fixed sentence: no figures, no names).
pub fn reason(billing_status: &str) -> Option<&'static str> {
    match billing_status {
        tenant_status::SUSPENDED => {
            Some("The practice's subscription is not paid; an admin can settle it in Billing.")
        }
        tenant_status::CANCELLED => Some(
            "The practice's subscription has ended; its data is kept for export for a limited time.",
        ),
        _ => None,
    }
}

/// What staff are told while billing needs attention, and until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The trial ends then.
    Trial(Option<DateTime<Utc>>),
    /// A payment failed; the practice is suspended then unless it is paid.
    PastDue(Option<DateTime<Utc>>),
    /// New work is refused until the subscription is paid.
    Suspended,
    /// The subscription ended; the data is kept for export until then.
    Cancelled(Option<DateTime<Utc>>),
}

pub fn notice(account: &billing_account::Model, settings: &BillingSettings) -> Option<Notice> {
    match account.status.as_str() {
        tenant_status::TRIAL => Some(Notice::Trial(account.trial_ends_at)),
        tenant_status::PAST_DUE => Some(Notice::PastDue(grace_ends_at(account, settings))),
        tenant_status::SUSPENDED => Some(Notice::Suspended),
        tenant_status::CANCELLED => Some(Notice::Cancelled(retained_until(account, settings))),
        _ => None,
    }
}

/// When a practice that is past due is suspended unless it pays.
pub fn grace_ends_at(
    account: &billing_account::Model,
    settings: &BillingSettings,
) -> Option<DateTime<Utc>> {
    account.past_due_since.map(|since| since + settings.grace)
}

/// Until when a cancelled practice's data is kept for export.
pub fn retained_until(
    account: &billing_account::Model,
    settings: &BillingSettings,
) -> Option<DateTime<Utc>> {
    account.cancelled_at.map(|at| at + settings.retention)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn state(sub: Option<&str>) -> State<'_> {
        State {
            subscription_status: sub,
            trial_ends_at: Some(at(20)),
            past_due_since: Some(at(10)),
        }
    }

    #[test]
    fn a_trial_without_a_subscription_ends_in_suspension() {
        let grace = Duration::days(14);
        assert_eq!(status(state(None), grace, at(19)), tenant_status::TRIAL);
        assert_eq!(status(state(None), grace, at(20)), tenant_status::SUSPENDED);
    }

    #[test]
    fn a_first_payment_that_never_went_through_leaves_the_trial_running() {
        let grace = Duration::days(14);
        let expired = state(Some("incomplete_expired"));
        assert_eq!(status(expired, grace, at(19)), tenant_status::TRIAL);
        assert_eq!(status(expired, grace, at(20)), tenant_status::SUSPENDED);
    }

    #[test]
    fn a_payment_owed_is_past_due_for_the_grace_period_then_suspended() {
        let grace = Duration::days(14);
        for owed in ["past_due", "incomplete", "some_future_status"] {
            assert_eq!(
                status(state(Some(owed)), grace, at(23)),
                tenant_status::PAST_DUE
            );
            assert_eq!(
                status(state(Some(owed)), grace, at(24)),
                tenant_status::SUSPENDED
            );
        }
    }

    #[test]
    fn the_provider_statuses_map_to_practice_statuses() {
        let grace = Duration::days(14);
        for (sub, expected) in [
            ("trialing", tenant_status::TRIAL),
            ("active", tenant_status::ACTIVE),
            ("unpaid", tenant_status::SUSPENDED),
            ("paused", tenant_status::SUSPENDED),
            ("canceled", tenant_status::CANCELLED),
            // The first payment never went through, after the trial ended.
            ("incomplete_expired", tenant_status::SUSPENDED),
        ] {
            assert_eq!(status(state(Some(sub)), grace, at(25)), expected, "{sub}");
        }
    }
}
