//! Webhook deliveries: the signature and its age are checked by async-stripe-webhook, then
//! the verified JSON is mapped to a [`BillingEvent`]. The SDK's typed objects are not used:
//! they require every field of the API version it was generated for, and Stripe renders an
//! event in the API version of the account, so a legitimate event may not fit them. (The
//! SDK logs such a parse failure at error level under the `stripe_webhook` target; a log
//! filter of `stripe_webhook=off` keeps that noise out.)

use chrono::{DateTime, Utc};
use portico_core::billing::events::{BillingEvent, EventKind, SubscriptionSnapshot};
use serde_json::Value;
use stripe_webhook::{Webhook, WebhookError};
use uuid::Uuid;

use crate::wire::at;

/// Why a delivery was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRejection {
    /// The `Stripe-Signature` header is missing a part, or no signature in it matches.
    #[error("the webhook signature does not match")]
    BadSignature,
    /// Signed more than 300 seconds away from now: possibly a replay.
    #[error("the webhook signature is too old")]
    Stale,
    /// Signed, but not an event Portico can read.
    #[error("the webhook event is malformed")]
    Malformed,
}

impl WebhookRejection {
    /// A stable machine code, for the response and the log.
    pub fn code(self) -> &'static str {
        match self {
            Self::BadSignature => "BAD_SIGNATURE",
            Self::Stale => "STALE_SIGNATURE",
            Self::Malformed => "MALFORMED_EVENT",
        }
    }
}

/// Verifies a delivery (its raw body, its `Stripe-Signature` header and the endpoint's
/// signing secret `whsec_...`) against the current time and maps it.
pub fn verify_webhook(
    payload: &str,
    signature_header: &str,
    secret: &str,
) -> Result<BillingEvent, WebhookRejection> {
    verify_webhook_at(payload, signature_header, secret, Utc::now().timestamp())
}

/// [`verify_webhook`] at the time `now_unix` (seconds since the epoch), for tests.
pub fn verify_webhook_at(
    payload: &str,
    signature_header: &str,
    secret: &str,
    now_unix: i64,
) -> Result<BillingEvent, WebhookRejection> {
    match Webhook::construct_event_with_timestamp(payload, signature_header, secret, now_unix) {
        Ok(_) => {}
        // The SDK checks the signature, then the age, and only then parses: a parse failure
        // means the delivery is authentic and fresh, and the mapping below decides.
        Err(WebhookError::BadParse(_)) => {}
        Err(WebhookError::BadTimestamp(_)) => return Err(WebhookRejection::Stale),
        Err(WebhookError::BadSignature | WebhookError::BadHeader(_) | WebhookError::BadKey) => {
            return Err(WebhookRejection::BadSignature);
        }
    }
    let event: Value = serde_json::from_str(payload).map_err(|_| WebhookRejection::Malformed)?;
    map_event(&event).ok_or(WebhookRejection::Malformed)
}

/// The domain's event from Stripe's JSON; `None` when a field Portico needs is missing.
fn map_event(event: &Value) -> Option<BillingEvent> {
    let id = event.get("id")?.as_str()?.to_owned();
    let event_type = event.get("type")?.as_str()?.to_owned();
    let created = at(event.get("created")?.as_i64()?)?;
    let object = event.get("data")?.get("object")?;
    if !object.is_object() {
        return None;
    }
    let kind = match event_type.as_str() {
        "checkout.session.completed" => checkout_completed(object)?,
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            EventKind::Subscription(subscription(object, &event_type)?)
        }
        "invoice.paid" | "invoice.payment_failed" => EventKind::Invoice {
            customer_id: id_of(object.get("customer"))?,
            subscription_id: invoice_subscription(object),
            paid: event_type == "invoice.paid",
        },
        _ => EventKind::Other,
    };
    Some(BillingEvent {
        id,
        event_type,
        created,
        kind,
    })
}

fn checkout_completed(session: &Value) -> Option<EventKind> {
    let tenant_id =
        uuid_at(session.get("client_reference_id")).or_else(|| tenant_in_metadata(session));
    Some(EventKind::CheckoutCompleted {
        tenant_id,
        customer_id: id_of(session.get("customer"))?,
        subscription_id: id_of(session.get("subscription")),
    })
}

pub(crate) fn subscription(object: &Value, event_type: &str) -> Option<SubscriptionSnapshot> {
    let items = object
        .get("items")
        .and_then(|items| items.get("data"))
        .and_then(Value::as_array);
    let status = match object.get("status").and_then(Value::as_str) {
        Some(status) => status.to_owned(),
        // A deleted subscription is a canceled one, whatever else the payload says.
        None if event_type == "customer.subscription.deleted" => "canceled".to_owned(),
        None => return None,
    };
    // Before API version 2025-03-31 the period is the subscription's; since, each item's.
    let period = |field: &str| {
        timestamp(object.get(field)).or_else(|| {
            items
                .and_then(|items| items.first())
                .and_then(|item| timestamp(item.get(field)))
        })
    };
    let prices = items
        .map(|items| {
            items
                .iter()
                .filter_map(|item| id_of(item.get("price")))
                .collect()
        })
        .unwrap_or_default();
    Some(SubscriptionSnapshot {
        id: object.get("id")?.as_str()?.to_owned(),
        customer_id: id_of(object.get("customer"))?,
        status,
        trial_end: timestamp(object.get("trial_end")),
        current_period_start: period("current_period_start"),
        current_period_end: period("current_period_end"),
        prices,
        tenant_id: tenant_in_metadata(object),
    })
}

/// The invoice's subscription: top level before API version 2025-03-31, under
/// `parent.subscription_details` since.
fn invoice_subscription(invoice: &Value) -> Option<String> {
    id_of(invoice.get("subscription")).or_else(|| {
        id_of(
            invoice
                .get("parent")
                .and_then(|parent| parent.get("subscription_details"))
                .and_then(|details| details.get("subscription")),
        )
    })
}

/// An id given as a string, or as an expanded object with an `id`.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Object(object) => match object.get("id") {
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn timestamp(value: Option<&Value>) -> Option<DateTime<Utc>> {
    at(value?.as_i64()?)
}

fn uuid_at(value: Option<&Value>) -> Option<Uuid> {
    Uuid::parse_str(value?.as_str()?).ok()
}

fn tenant_in_metadata(object: &Value) -> Option<Uuid> {
    uuid_at(object.get("metadata").and_then(|m| m.get("tenant_id")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_are_read_from_strings_and_expanded_objects_only() {
        assert_eq!(id_of(Some(&json!("cus_1"))).as_deref(), Some("cus_1"));
        assert_eq!(
            id_of(Some(&json!({ "id": "cus_1", "object": "customer" }))).as_deref(),
            Some("cus_1")
        );
        for value in [
            json!(""),
            json!(null),
            json!(7),
            json!({ "object": "customer" }),
        ] {
            assert_eq!(id_of(Some(&value)), None, "{value}");
        }
        assert_eq!(id_of(None), None);
    }

    #[test]
    fn a_deleted_subscription_without_status_is_canceled() {
        let object = json!({ "id": "sub_1", "customer": "cus_1" });
        let snapshot = subscription(&object, "customer.subscription.deleted").unwrap();
        assert_eq!(snapshot.status, "canceled");
        assert!(snapshot.prices.is_empty());
        assert_eq!(subscription(&object, "customer.subscription.updated"), None);
    }

    #[test]
    fn an_event_without_an_object_is_not_mapped() {
        let event = json!({ "id": "evt_1", "type": "customer.updated", "created": 1,
            "data": { "object": "cus_1" } });
        assert_eq!(map_event(&event), None);
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(WebhookRejection::BadSignature.code(), "BAD_SIGNATURE");
        assert_eq!(WebhookRejection::Stale.code(), "STALE_SIGNATURE");
        assert_eq!(WebhookRejection::Malformed.code(), "MALFORMED_EVENT");
    }
}
