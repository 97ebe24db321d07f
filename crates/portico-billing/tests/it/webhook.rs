//! `verify_webhook` on deliveries signed and built by the fake's helpers.

use chrono::{TimeZone, Utc};
use portico_billing::{WebhookRejection, verify_webhook, verify_webhook_at};
use portico_core::billing::events::{BillingEvent, EventKind, SubscriptionSnapshot};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::stripe_api::{
    WEBHOOK_SECRET, checkout_completed_event, delivery, event, invoice_event, sign,
    subscription_event,
};

const CREATED: i64 = 1_780_000_000;

fn verify(event: &Value) -> Result<BillingEvent, WebhookRejection> {
    let (payload, header) = delivery(event, WEBHOOK_SECRET, CREATED + 5);
    verify_webhook_at(&payload, &header, WEBHOOK_SECRET, CREATED + 10)
}

fn at(unix: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).unwrap()
}

#[test]
fn a_subscription_update_maps_to_its_snapshot() {
    let tenant = Uuid::now_v7();
    let event = subscription_event(
        "evt_1",
        "customer.subscription.updated",
        CREATED,
        "sub_1",
        "cus_1",
        "active",
        Some(tenant),
        "price_base",
    );
    let verified = verify(&event).unwrap();
    assert_eq!(
        verified,
        BillingEvent {
            id: "evt_1".to_owned(),
            event_type: "customer.subscription.updated".to_owned(),
            created: at(CREATED),
            kind: EventKind::Subscription(SubscriptionSnapshot {
                id: "sub_1".to_owned(),
                customer_id: "cus_1".to_owned(),
                status: "active".to_owned(),
                trial_end: None,
                current_period_start: Some(at(CREATED - 3600)),
                current_period_end: Some(at(CREATED - 3600 + 30 * 86_400)),
                prices: vec!["price_base".to_owned()],
                tenant_id: Some(tenant),
            }),
        }
    );
}

#[test]
fn a_trialing_subscription_created_carries_its_trial_end() {
    let event = subscription_event(
        "evt_2",
        "customer.subscription.created",
        CREATED,
        "sub_1",
        "cus_1",
        "trialing",
        None,
        "price_base",
    );
    let EventKind::Subscription(snapshot) = verify(&event).unwrap().kind else {
        panic!("not a subscription");
    };
    assert_eq!(snapshot.status, "trialing");
    assert_eq!(snapshot.trial_end, Some(at(CREATED + 14 * 86_400)));
    assert_eq!(snapshot.tenant_id, None);
}

#[test]
fn a_deleted_subscription_is_canceled() {
    let event = subscription_event(
        "evt_3",
        "customer.subscription.deleted",
        CREATED,
        "sub_1",
        "cus_1",
        "canceled",
        None,
        "price_base",
    );
    let EventKind::Subscription(snapshot) = verify(&event).unwrap().kind else {
        panic!("not a subscription");
    };
    assert_eq!(snapshot.status, "canceled");
}

#[test]
fn an_older_api_version_subscription_has_its_period_at_the_top_level() {
    let mut event = subscription_event(
        "evt_4",
        "customer.subscription.updated",
        CREATED,
        "sub_1",
        "cus_1",
        "past_due",
        None,
        "price_seat",
    );
    let object = &mut event["data"]["object"];
    object["current_period_end"] = json!(CREATED + 100);
    object["items"]["data"][0]
        .as_object_mut()
        .unwrap()
        .remove("current_period_end");
    event["api_version"] = json!("2024-06-20");
    let EventKind::Subscription(snapshot) = verify(&event).unwrap().kind else {
        panic!("not a subscription");
    };
    assert_eq!(snapshot.current_period_end, Some(at(CREATED + 100)));
    assert_eq!(snapshot.status, "past_due");
    assert_eq!(snapshot.prices, ["price_seat"]);
}

#[test]
fn an_expanded_customer_is_read_by_its_id() {
    let mut event = subscription_event(
        "evt_5",
        "customer.subscription.updated",
        CREATED,
        "sub_1",
        "cus_1",
        "active",
        None,
        "price_base",
    );
    event["data"]["object"]["customer"] =
        json!({ "id": "cus_expanded", "object": "customer", "email": "a@example.com" });
    let EventKind::Subscription(snapshot) = verify(&event).unwrap().kind else {
        panic!("not a subscription");
    };
    assert_eq!(snapshot.customer_id, "cus_expanded");

    let mut invoice = invoice_event("evt_5b", "invoice.paid", CREATED, "in_1", "cus_1", None);
    invoice["data"]["object"]["customer"] = json!({ "id": "cus_expanded", "object": "customer" });
    let EventKind::Invoice { customer_id, .. } = verify(&invoice).unwrap().kind else {
        panic!("not an invoice");
    };
    assert_eq!(customer_id, "cus_expanded");
}

#[test]
fn a_completed_checkout_names_the_tenant_customer_and_subscription() {
    let tenant = Uuid::now_v7();
    let event = checkout_completed_event(
        "evt_6",
        CREATED,
        "cs_test_1",
        "cus_1",
        Some("sub_1"),
        Some(tenant),
    );
    assert_eq!(
        verify(&event).unwrap().kind,
        EventKind::CheckoutCompleted {
            tenant_id: Some(tenant),
            customer_id: "cus_1".to_owned(),
            subscription_id: Some("sub_1".to_owned()),
        }
    );
}

#[test]
fn a_completed_checkout_without_reference_falls_back_to_metadata() {
    let tenant = Uuid::now_v7();
    let mut event = checkout_completed_event("evt_7", CREATED, "cs_test_1", "cus_1", None, None);
    event["data"]["object"]["metadata"] = json!({ "tenant_id": tenant.to_string() });
    assert_eq!(
        verify(&event).unwrap().kind,
        EventKind::CheckoutCompleted {
            tenant_id: Some(tenant),
            customer_id: "cus_1".to_owned(),
            subscription_id: None,
        }
    );

    let mut not_uuid = checkout_completed_event("evt_8", CREATED, "cs_test_1", "cus_1", None, None);
    not_uuid["data"]["object"]["client_reference_id"] = json!("not-a-uuid");
    let EventKind::CheckoutCompleted { tenant_id, .. } = verify(&not_uuid).unwrap().kind else {
        panic!("not a checkout");
    };
    assert_eq!(tenant_id, None);
}

#[test]
fn invoice_paid_and_failed_map_with_their_subscription() {
    let paid = invoice_event(
        "evt_9",
        "invoice.paid",
        CREATED,
        "in_1",
        "cus_1",
        Some("sub_1"),
    );
    assert_eq!(
        verify(&paid).unwrap().kind,
        EventKind::Invoice {
            customer_id: "cus_1".to_owned(),
            subscription_id: Some("sub_1".to_owned()),
            paid: true,
        }
    );
    let failed = invoice_event(
        "evt_10",
        "invoice.payment_failed",
        CREATED,
        "in_2",
        "cus_1",
        Some("sub_1"),
    );
    assert_eq!(
        verify(&failed).unwrap().kind,
        EventKind::Invoice {
            customer_id: "cus_1".to_owned(),
            subscription_id: Some("sub_1".to_owned()),
            paid: false,
        }
    );
}

#[test]
fn an_older_api_version_invoice_has_its_subscription_at_the_top_level() {
    let mut event = invoice_event("evt_11", "invoice.paid", CREATED, "in_1", "cus_1", None);
    event["data"]["object"]["subscription"] = json!("sub_old");
    let EventKind::Invoice {
        subscription_id, ..
    } = verify(&event).unwrap().kind
    else {
        panic!("not an invoice");
    };
    assert_eq!(subscription_id.as_deref(), Some("sub_old"));
}

#[test]
fn another_event_type_is_other() {
    let event = event(
        "evt_12",
        "customer.updated",
        CREATED,
        json!({ "id": "cus_1", "object": "customer", "created": CREATED, "livemode": false }),
    );
    let verified = verify(&event).unwrap();
    assert_eq!(verified.kind, EventKind::Other);
    assert_eq!(verified.event_type, "customer.updated");
}

#[test]
fn a_signature_with_another_secret_is_refused() {
    let event = invoice_event("evt_13", "invoice.paid", CREATED, "in_1", "cus_1", None);
    let (payload, header) = delivery(&event, "whsec_someone_else", CREATED);
    let rejection = verify_webhook_at(&payload, &header, WEBHOOK_SECRET, CREATED).unwrap_err();
    assert_eq!(rejection, WebhookRejection::BadSignature);
    assert_eq!(rejection.code(), "BAD_SIGNATURE");
}

#[test]
fn a_tampered_payload_or_a_broken_header_is_refused() {
    let event = invoice_event("evt_14", "invoice.paid", CREATED, "in_1", "cus_1", None);
    let (payload, header) = delivery(&event, WEBHOOK_SECRET, CREATED);
    let tampered = payload.replace("cus_1", "cus_2");
    for (payload, header) in [
        (tampered.as_str(), header.as_str()),
        (payload.as_str(), ""),
        (payload.as_str(), "t=abc,v1=00"),
        (payload.as_str(), "v1=00"),
    ] {
        assert_eq!(
            verify_webhook_at(payload, header, WEBHOOK_SECRET, CREATED),
            Err(WebhookRejection::BadSignature),
            "{header}"
        );
    }
}

#[test]
fn a_signature_301_seconds_old_is_stale_and_300_is_not() {
    let event = invoice_event("evt_15", "invoice.paid", CREATED, "in_1", "cus_1", None);
    let (payload, header) = delivery(&event, WEBHOOK_SECRET, CREATED);
    let rejection =
        verify_webhook_at(&payload, &header, WEBHOOK_SECRET, CREATED + 301).unwrap_err();
    assert_eq!(rejection, WebhookRejection::Stale);
    assert_eq!(rejection.code(), "STALE_SIGNATURE");
    assert!(verify_webhook_at(&payload, &header, WEBHOOK_SECRET, CREATED + 300).is_ok());
}

#[test]
fn a_fresh_delivery_is_accepted_at_the_current_time() {
    let now = Utc::now().timestamp();
    let event = invoice_event("evt_16", "invoice.paid", now, "in_1", "cus_1", None);
    let (payload, header) = delivery(&event, WEBHOOK_SECRET, now);
    assert_eq!(
        verify_webhook(&payload, &header, WEBHOOK_SECRET)
            .unwrap()
            .id,
        "evt_16"
    );
    let old = sign(&payload, WEBHOOK_SECRET, now - 3600);
    assert_eq!(
        verify_webhook(&payload, &old, WEBHOOK_SECRET),
        Err(WebhookRejection::Stale)
    );
}

#[test]
fn a_signed_payload_that_is_not_an_event_is_malformed() {
    let missing_customer = {
        let mut event = invoice_event("evt_17", "invoice.paid", CREATED, "in_1", "cus_1", None);
        event["data"]["object"]
            .as_object_mut()
            .unwrap()
            .remove("customer");
        event.to_string()
    };
    let missing_status = {
        let mut event = subscription_event(
            "evt_18",
            "customer.subscription.updated",
            CREATED,
            "sub_1",
            "cus_1",
            "active",
            None,
            "price_base",
        );
        event["data"]["object"]
            .as_object_mut()
            .unwrap()
            .remove("status");
        event.to_string()
    };
    for payload in [
        "not json".to_owned(),
        "{}".to_owned(),
        json!({ "id": "evt_19", "type": "invoice.paid", "created": CREATED }).to_string(),
        missing_customer,
        missing_status,
    ] {
        let header = sign(&payload, WEBHOOK_SECRET, CREATED);
        let rejection = verify_webhook_at(&payload, &header, WEBHOOK_SECRET, CREATED).unwrap_err();
        assert_eq!(rejection, WebhookRejection::Malformed, "{payload}");
        assert_eq!(rejection.code(), "MALFORMED_EVENT");
    }
}

#[test]
fn an_unsigned_garbage_payload_is_a_bad_signature_not_malformed() {
    assert_eq!(
        verify_webhook_at("not json", "t=1,v1=00", WEBHOOK_SECRET, 1),
        Err(WebhookRejection::BadSignature)
    );
    let stale = sign("not json", WEBHOOK_SECRET, CREATED);
    assert_eq!(
        verify_webhook_at("not json", &stale, WEBHOOK_SECRET, CREATED + 1000),
        Err(WebhookRejection::Stale)
    );
}

#[test]
fn the_envelope_is_what_the_sdk_parses() {
    let event = event(
        "evt_20",
        "billing.meter.created",
        CREATED,
        json!({ "id": "mtr_1" }),
    );
    let (payload, header) = delivery(&event, WEBHOOK_SECRET, CREATED);
    let parsed = stripe_webhook::Webhook::construct_event_with_timestamp(
        &payload,
        &header,
        WEBHOOK_SECRET,
        CREATED,
    )
    .unwrap();
    assert_eq!(parsed.id.as_str(), "evt_20");
    assert_eq!(verify(&event).unwrap().kind, EventKind::Other);
}

/// The SDK types subscriptions, sessions and invoices even with no object features (they
/// live in async-stripe-shared) and requires every field of its own API version; an
/// authentic event that does not fit them is still mapped.
#[test]
fn an_object_the_sdk_cannot_type_is_still_mapped() {
    let event = subscription_event(
        "evt_21",
        "customer.subscription.updated",
        CREATED,
        "sub_1",
        "cus_1",
        "active",
        None,
        "price_base",
    );
    let (payload, header) = delivery(&event, WEBHOOK_SECRET, CREATED);
    let sdk = stripe_webhook::Webhook::construct_event_with_timestamp(
        &payload,
        &header,
        WEBHOOK_SECRET,
        CREATED,
    );
    assert!(
        matches!(sdk, Err(stripe_webhook::WebhookError::BadParse(_))),
        "{sdk:?}"
    );
    assert!(matches!(
        verify(&event).unwrap().kind,
        EventKind::Subscription(_)
    ));
}

/// An authentic delivery nested 100,000 levels deep (a signed body is parsed twice: by the
/// SDK and by the mapping) is refused as malformed; nothing recurses into it without a bound.
#[test]
fn a_signed_body_nested_without_bound_is_malformed_not_a_crash() {
    const LEVELS: usize = 100_000;
    let payload = format!(
        r#"{{"id": "evt_deep", "type": "customer.subscription.updated", "created": {CREATED}, "data": {{"object": {}1{}}}}}"#,
        r#"{"a": ["#.repeat(LEVELS),
        "]}".repeat(LEVELS)
    );
    let header = sign(&payload, WEBHOOK_SECRET, CREATED + 5);
    assert_eq!(
        verify_webhook_at(&payload, &header, WEBHOOK_SECRET, CREATED + 10),
        Err(WebhookRejection::Malformed)
    );
}
