//! The payment provider's webhook events, as the domain needs them. The adapter verifies the
//! signature and maps the provider's JSON to these; the domain never sees the raw payload.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A verified event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingEvent {
    /// The provider's event id (`evt_...`): each is handled once.
    pub id: String,
    /// The provider's event type (`customer.subscription.updated`), kept with the record.
    pub event_type: String,
    /// When the provider created the event: of two events about one subscription, the
    /// later-created one wins, whatever order they arrive in.
    pub created: DateTime<Utc>,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// `checkout.session.completed`: a practice paid through Checkout; links the customer
    /// and the subscription to the practice named by the session's reference.
    CheckoutCompleted {
        tenant_id: Option<Uuid>,
        customer_id: String,
        subscription_id: Option<String>,
    },
    /// `customer.subscription.created|updated|deleted`: the subscription as it stood when
    /// the event was created.
    Subscription(SubscriptionSnapshot),
    /// `invoice.paid` / `invoice.payment_failed`.
    Invoice {
        customer_id: String,
        subscription_id: Option<String>,
        paid: bool,
    },
    /// Any other type: recorded as handled and otherwise ignored.
    Other,
}

/// A subscription's state in one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionSnapshot {
    pub id: String,
    pub customer_id: String,
    /// The provider's status: `trialing`, `active`, `past_due`, `unpaid`, `canceled`,
    /// `incomplete`, `incomplete_expired`, `paused`.
    pub status: String,
    pub trial_end: Option<DateTime<Utc>>,
    /// Start of the period being billed: when a renewal's payment fails, the day the debt
    /// began, which the grace period runs from.
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    /// The prices of its items, which name the plan.
    pub prices: Vec<String>,
    /// `metadata.tenant_id`, set when Portico started the checkout.
    pub tenant_id: Option<Uuid>,
}
