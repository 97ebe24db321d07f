//! `StripeBilling` against the fake: what it sends, what it reads back, how it fails.

use chrono::{TimeDelta, TimeZone, Utc};
use portico_billing::{StripeBilling, StripeSettings};
use portico_core::billing::{
    gateway::{
        BillingError, BillingGateway, CheckoutRequest, InvoiceSummary, NewCustomer, UsageRecord,
    },
    plans::Plan,
};
use uuid::Uuid;

use crate::stripe_api::{self, SECRET_KEY, StripeApi};

fn billing(api: &StripeApi, key: &str) -> StripeBilling {
    StripeBilling::new(&StripeSettings {
        secret_key: key.to_owned(),
        api_base: Some(api.base_url.clone()),
        meter_event_name: "monthly_active_patients".to_owned(),
    })
    .unwrap()
}

fn plan() -> Plan {
    Plan {
        code: "practice".to_owned(),
        name: "Practice".to_owned(),
        base_price: "price_base".to_owned(),
        seat_price: Some("price_seat".to_owned()),
        patient_price: Some("price_patient".to_owned()),
    }
}

async fn customer(billing: &StripeBilling, tenant_id: Uuid) -> String {
    billing
        .create_customer(&NewCustomer {
            tenant_id,
            name: "Harbour Family Practice".to_owned(),
            email: Some("admin@harbour.example.com".to_owned()),
        })
        .await
        .unwrap()
}

fn checkout(tenant_id: Uuid, customer_id: &str) -> CheckoutRequest {
    CheckoutRequest {
        tenant_id,
        customer_id: customer_id.to_owned(),
        plan: plan(),
        seats: 3,
        trial_end: None,
        success_url: "https://portal.example.com/billing/done".to_owned(),
        cancel_url: "https://portal.example.com/billing".to_owned(),
    }
}

#[tokio::test]
async fn create_customer_sends_name_email_and_tenant_with_the_secret_key() {
    let api = StripeApi::start().await;
    let tenant = Uuid::now_v7();
    let id = customer(&billing(&api, SECRET_KEY), tenant).await;

    assert!(id.starts_with("cus_"), "{id}");
    let customers = api.customers();
    assert_eq!(customers.len(), 1);
    let (created, form) = &customers[0];
    assert_eq!(created, &id);
    assert_eq!(form["name"], "Harbour Family Practice");
    assert_eq!(form["email"], "admin@harbour.example.com");
    assert_eq!(form["metadata[tenant_id]"], tenant.to_string());
    let request = &api.requests()[0];
    assert_eq!(
        request.authorization.as_deref(),
        Some("Bearer sk_test_portico")
    );
    assert!(
        request.idempotency_key.is_some(),
        "POSTs carry an idempotency key"
    );
    assert!(request.stripe_version.is_some());
}

#[tokio::test]
async fn each_request_has_its_own_idempotency_key() {
    let api = StripeApi::start().await;
    let billing = billing(&api, SECRET_KEY);
    customer(&billing, Uuid::now_v7()).await;
    customer(&billing, Uuid::now_v7()).await;
    let keys: Vec<_> = api
        .requests()
        .into_iter()
        .map(|r| r.idempotency_key.unwrap())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
}

#[tokio::test]
async fn checkout_sends_the_plan_prices_seats_and_tenant() {
    let api = StripeApi::start().await;
    let billing = billing(&api, SECRET_KEY);
    let tenant = Uuid::now_v7();
    let customer_id = customer(&billing, tenant).await;

    let url = billing
        .checkout_url(&checkout(tenant, &customer_id))
        .await
        .unwrap();

    let sessions = api.checkout_sessions();
    assert_eq!(sessions.len(), 1);
    let (session, form) = &sessions[0];
    assert!(session.starts_with("cs_test_"), "{session}");
    assert_eq!(url, format!("https://checkout.stripe.com/c/pay/{session}"));
    assert_eq!(form["mode"], "subscription");
    assert_eq!(form["customer"], customer_id);
    assert_eq!(form["client_reference_id"], tenant.to_string());
    assert_eq!(
        form["subscription_data[metadata][tenant_id]"],
        tenant.to_string()
    );
    assert_eq!(form["line_items[0][price]"], "price_base");
    assert_eq!(form["line_items[0][quantity]"], "1");
    assert_eq!(form["line_items[1][price]"], "price_seat");
    assert_eq!(form["line_items[1][quantity]"], "3");
    assert_eq!(form["line_items[2][price]"], "price_patient");
    assert!(
        !form.contains_key("line_items[2][quantity]"),
        "a metered price takes no quantity: {form:?}"
    );
    assert!(!form.contains_key("subscription_data[trial_end]"));
    assert_eq!(
        form["success_url"],
        "https://portal.example.com/billing/done"
    );
    assert_eq!(form["cancel_url"], "https://portal.example.com/billing");
}

#[tokio::test]
async fn checkout_carries_a_trial_that_ends_later_and_drops_one_stripe_would_refuse() {
    let api = StripeApi::start().await;
    let billing = billing(&api, SECRET_KEY);
    let tenant = Uuid::now_v7();
    let customer_id = customer(&billing, tenant).await;
    let trial_end = Utc::now() + TimeDelta::days(10);

    let mut with_trial = checkout(tenant, &customer_id);
    with_trial.trial_end = Some(trial_end);
    billing.checkout_url(&with_trial).await.unwrap();
    let mut ended = checkout(tenant, &customer_id);
    ended.trial_end = Some(Utc::now() - TimeDelta::days(1));
    billing.checkout_url(&ended).await.unwrap();
    // Stripe refuses a trial that ends within 48 hours.
    let mut ending = checkout(tenant, &customer_id);
    ending.trial_end = Some(Utc::now() + TimeDelta::hours(20));
    billing.checkout_url(&ending).await.unwrap();

    let sessions = api.checkout_sessions();
    assert_eq!(
        sessions[0].1["subscription_data[trial_end]"],
        trial_end.timestamp().to_string()
    );
    assert!(!sessions[1].1.contains_key("subscription_data[trial_end]"));
    assert!(!sessions[2].1.contains_key("subscription_data[trial_end]"));
}

#[tokio::test]
async fn checkout_without_seat_or_metered_price_has_just_the_base_price() {
    let api = StripeApi::start().await;
    api.add_customer("cus_dashboard");
    let mut request = checkout(Uuid::now_v7(), "cus_dashboard");
    request.plan.seat_price = None;
    request.plan.patient_price = None;

    billing(&api, SECRET_KEY)
        .checkout_url(&request)
        .await
        .unwrap();

    let form = &api.checkout_sessions()[0].1;
    assert_eq!(form["line_items[0][price]"], "price_base");
    assert!(!form.contains_key("line_items[1][price]"), "{form:?}");
}

#[tokio::test]
async fn portal_session_for_the_customer_returns_its_url() {
    let api = StripeApi::start().await;
    let billing = billing(&api, SECRET_KEY);
    let customer_id = customer(&billing, Uuid::now_v7()).await;

    let url = billing
        .portal_url(&customer_id, "https://portal.example.com/billing")
        .await
        .unwrap();

    let sessions = api.portal_sessions();
    assert_eq!(sessions.len(), 1);
    let (session, form) = &sessions[0];
    assert!(session.starts_with("bps_"), "{session}");
    assert!(
        url.starts_with("https://billing.stripe.com/p/session/"),
        "{url}"
    );
    assert_eq!(form["customer"], customer_id);
    assert_eq!(form["return_url"], "https://portal.example.com/billing");
}

#[tokio::test]
async fn invoices_are_listed_newest_first_with_their_amounts_and_links() {
    let api = StripeApi::start().await;
    let (older, newer) = (1_780_000_000, 1_782_592_000);
    api.seed_invoice(
        "cus_a",
        stripe_api::invoice("in_older01", "cus_a", 4900, older),
    );
    api.seed_invoice(
        "cus_a",
        stripe_api::invoice("in_newer02", "cus_a", 6900, newer),
    );
    api.seed_invoice(
        "cus_b",
        stripe_api::invoice("in_other03", "cus_b", 100, newer),
    );
    let mut open = stripe_api::invoice("in_open0004", "cus_a", 5000, older - 10);
    open["status"] = "open".into();
    open["amount_paid"] = 0.into();
    open["number"] = serde_json::Value::Null;
    open["invoice_pdf"] = serde_json::Value::Null;
    open["currency"] = "EUR".into();
    api.seed_invoice("cus_a", open);

    let invoices = billing(&api, SECRET_KEY)
        .invoices("cus_a", 10)
        .await
        .unwrap();

    let ids: Vec<&str> = invoices.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["in_newer02", "in_older01", "in_open0004"]);
    assert_eq!(
        invoices[0],
        InvoiceSummary {
            id: "in_newer02".to_owned(),
            number: Some("PORT-er02".to_owned()),
            status: Some("paid".to_owned()),
            currency: "usd".to_owned(),
            total: 6900,
            amount_due: 6900,
            amount_paid: 6900,
            created: Utc.timestamp_opt(newer, 0).unwrap(),
            period_start: Utc.timestamp_opt(newer - 30 * 86_400, 0).unwrap(),
            period_end: Utc.timestamp_opt(newer, 0).unwrap(),
            hosted_url: Some("https://invoice.stripe.com/i/in_newer02".to_owned()),
            pdf_url: Some("https://pay.stripe.com/invoice/in_newer02/pdf".to_owned()),
        }
    );
    let open = &invoices[2];
    assert_eq!(open.status.as_deref(), Some("open"));
    assert_eq!((open.amount_due, open.amount_paid), (5000, 0));
    assert_eq!(
        (open.number.as_deref(), open.pdf_url.as_deref()),
        (None, None)
    );
    assert_eq!(open.currency, "eur");

    let request = api.requests().pop().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/v1/invoices")
    );
}

#[tokio::test]
async fn invoices_respect_the_limit() {
    let api = StripeApi::start().await;
    for n in 0..3 {
        api.seed_invoice(
            "cus_a",
            stripe_api::invoice(&format!("in_{n:08}"), "cus_a", 100, 1_780_000_000 + n),
        );
    }
    let invoices = billing(&api, SECRET_KEY)
        .invoices("cus_a", 2)
        .await
        .unwrap();
    assert_eq!(invoices.len(), 2);
    assert_eq!(invoices[0].id, "in_00000002");
}

fn usage(identifier: &str) -> UsageRecord {
    UsageRecord {
        customer_id: "cus_a".to_owned(),
        event_name: "active_patients".to_owned(),
        value: 42,
        identifier: identifier.to_owned(),
        timestamp: Utc.timestamp_opt(1_780_000_000, 0).unwrap(),
    }
}

#[tokio::test]
async fn usage_is_sent_as_a_meter_event() {
    let api = StripeApi::start().await;
    billing(&api, SECRET_KEY)
        .report_usage(&usage("tenant-1:2026-06"))
        .await
        .unwrap();

    let events = api.meter_events();
    assert_eq!(events.len(), 1);
    let form = &events[0];
    assert_eq!(form["event_name"], "active_patients");
    assert_eq!(form["payload[stripe_customer_id]"], "cus_a");
    assert_eq!(form["payload[value]"], "42");
    assert_eq!(form["identifier"], "tenant-1:2026-06");
    assert_eq!(form["timestamp"], "1780000000");
}

#[tokio::test]
async fn usage_with_no_event_name_goes_to_the_configured_meter() {
    let api = StripeApi::start().await;
    let billing = billing(&api, SECRET_KEY);
    assert_eq!(billing.meter_event_name(), "monthly_active_patients");
    let mut record = usage("tenant-1:2026-07");
    record.event_name = String::new();
    billing.report_usage(&record).await.unwrap();
    assert_eq!(
        api.meter_events()[0]["event_name"],
        "monthly_active_patients"
    );
}

#[tokio::test]
async fn usage_reported_twice_under_one_identifier_is_counted_once_and_succeeds() {
    let api = StripeApi::start().await;
    let billing = billing(&api, SECRET_KEY);
    billing
        .report_usage(&usage("tenant-1:2026-06"))
        .await
        .unwrap();
    billing
        .report_usage(&usage("tenant-1:2026-06"))
        .await
        .unwrap();

    assert_eq!(api.meter_events().len(), 1);
    assert_eq!(api.requests().len(), 2, "the duplicate is not retried");
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_stripes_error_type() {
    let api = StripeApi::start().await;
    let error = billing(&api, "sk_test_wrong")
        .create_customer(&NewCustomer {
            tenant_id: Uuid::now_v7(),
            name: "Harbour".to_owned(),
            email: None,
        })
        .await
        .unwrap_err();
    let BillingError::Refused { code } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(code, "invalid_request_error");
    assert!(!error.to_string().contains("sk_test"), "{error}");
    assert!(api.customers().is_empty());
}

#[tokio::test]
async fn a_refusal_carries_the_code_and_never_the_message() {
    let api = StripeApi::start().await;
    let error = billing(&api, SECRET_KEY)
        .portal_url("cus_unknown", "https://portal.example.com/billing")
        .await
        .unwrap_err();
    let BillingError::Refused { code } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(code, "resource_missing");
    assert!(!format!("{error:?}").contains("cus_unknown"), "{error:?}");
}

#[tokio::test]
async fn a_server_error_is_retried_once_with_the_same_idempotency_key() {
    let api = StripeApi::start().await;
    api.fail_next(500, "api_error", None);
    let billing = billing(&api, SECRET_KEY);
    customer(&billing, Uuid::now_v7()).await;

    let requests = api.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].idempotency_key, requests[1].idempotency_key);
    assert_eq!(api.customers().len(), 1);
}

#[tokio::test]
async fn a_server_error_on_every_attempt_is_unavailable() {
    let api = StripeApi::start().await;
    api.fail_next(503, "api_error", None);
    api.fail_next(503, "api_error", None);
    let error = billing(&api, SECRET_KEY)
        .invoices("cus_a", 10)
        .await
        .unwrap_err();
    assert!(matches!(error, BillingError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn a_declined_card_is_a_refusal_with_its_code() {
    let api = StripeApi::start().await;
    api.fail_next(402, "card_error", Some("card_declined"));
    let error = billing(&api, SECRET_KEY)
        .report_usage(&usage("tenant-1:2026-08"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, BillingError::Refused { code } if code == "card_declined"),
        "{error:?}"
    );
    assert_eq!(api.requests().len(), 1, "a 402 is not retried");
}

#[tokio::test]
async fn rate_limited_twice_is_a_refusal_with_its_code() {
    let api = StripeApi::start().await;
    api.fail_next(429, "invalid_request_error", Some("rate_limit"));
    api.fail_next(429, "invalid_request_error", Some("rate_limit"));
    let error = billing(&api, SECRET_KEY)
        .portal_url("cus_a", "https://portal.example.com/billing")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, BillingError::Refused { code } if code == "rate_limit"),
        "{error:?}"
    );
}

#[tokio::test]
async fn nothing_listening_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let billing = StripeBilling::new(&StripeSettings {
        secret_key: SECRET_KEY.to_owned(),
        api_base: Some(base),
        meter_event_name: "m".to_owned(),
    })
    .unwrap();
    let error = billing.invoices("cus_a", 10).await.unwrap_err();
    assert!(matches!(error, BillingError::Unavailable(_)), "{error:?}");
}

#[test]
fn debug_output_hides_the_key() {
    let settings = StripeSettings {
        secret_key: "sk_live_very_secret".to_owned(),
        api_base: None,
        meter_event_name: "m".to_owned(),
    };
    assert!(!format!("{settings:?}").contains("very_secret"));
    assert_eq!(settings.api_base(), "https://api.stripe.com/");
    let billing = StripeBilling::new(&settings).unwrap();
    assert!(!format!("{billing:?}").contains("very_secret"));
}

#[tokio::test]
async fn a_subscription_is_fetched_as_it_stands_and_an_unknown_one_is_none() {
    let api = StripeApi::start().await;
    let billing = billing(&api, SECRET_KEY);
    let tenant = Uuid::now_v7();
    let event = stripe_api::subscription_event(
        "evt_fetch",
        "customer.subscription.updated",
        1_790_000_000,
        "sub_fetch",
        "cus_fetch",
        "past_due",
        Some(tenant),
        "price_base",
    );
    api.set_subscription(event["data"]["object"].clone());
    let found = billing.subscription("sub_fetch").await.unwrap().unwrap();
    assert_eq!(
        (
            found.id.as_str(),
            found.customer_id.as_str(),
            found.status.as_str()
        ),
        ("sub_fetch", "cus_fetch", "past_due")
    );
    assert_eq!(found.prices, vec!["price_base".to_owned()]);
    assert_eq!(found.tenant_id, Some(tenant));
    assert_eq!(
        found.current_period_start,
        Utc.timestamp_opt(1_790_000_000 - 3600, 0).single()
    );
    assert_eq!(billing.subscription("sub_unknown").await.unwrap(), None);
    // Not a subscription id: never asked for.
    assert_eq!(billing.subscription("../customers").await.unwrap(), None);
    assert!(
        !api.requests().iter().any(|r| r.path.contains("customers")),
        "{:?}",
        api.requests()
    );
}

#[tokio::test]
async fn a_seat_quantity_is_set_once_and_left_alone_when_right() {
    let api = StripeApi::start().await;
    let billing = billing(&api, SECRET_KEY);
    let event = stripe_api::subscription_event(
        "evt_seats",
        "customer.subscription.updated",
        1_790_000_000,
        "sub_seats",
        "cus_seats",
        "active",
        None,
        "price_base",
    );
    let mut subscription = event["data"]["object"].clone();
    if let Some(items) = subscription["items"]["data"].as_array_mut() {
        items.push(
            serde_json::json!({ "id": "si_seat", "object": "subscription_item",
            "quantity": 2, "price": { "id": "price_seat", "object": "price" } }),
        );
    }
    api.set_subscription(subscription);

    assert_eq!(
        billing
            .set_item_quantity("sub_seats", "price_seat", 2)
            .await
            .unwrap(),
        Some(2)
    );
    assert!(
        api.item_updates().is_empty(),
        "nothing sent when already right"
    );
    assert_eq!(
        billing
            .set_item_quantity("sub_seats", "price_seat", 5)
            .await
            .unwrap(),
        Some(2)
    );
    assert_eq!(
        billing
            .set_item_quantity("sub_seats", "price_seat", 5)
            .await
            .unwrap(),
        Some(5)
    );
    let updates = api.item_updates();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].0, "si_seat");
    assert_eq!(updates[0].1.get("quantity").map(String::as_str), Some("5"));
    // No item of that price, or no such subscription: nothing to set.
    assert_eq!(
        billing
            .set_item_quantity("sub_seats", "price_other", 1)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        billing
            .set_item_quantity("sub_missing", "price_seat", 1)
            .await
            .unwrap(),
        None
    );
}
