//! Billing against a local stand-in for Stripe's API: checkout, portal and invoices go out
//! to it; its signed webhooks come in and move the practice's status; a shuffled and
//! repeated log of a subscription's life ends in the same state as the log in order; usage
//! is reported once per month; trials and grace periods run out.

use chrono::Utc;
use portico_core::{billing::plans::Plan, identity::Role, tenants};
use portico_tests::{
    TestApp, error_code, spawn_app, spawn_app_with,
    stripe_api::{
        SECRET_KEY, StripeApi, WEBHOOK_SECRET, checkout_completed_event, delivery, invoice,
        invoice_event, subscription_event,
    },
};
use sea_orm::{ConnectionTrait, Statement};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{gid, records::CREATE_PATIENT, scheduling::practice};

const BILLING: &str = "{ billing { enabled status subscriptionStatus plan { code }
    plans { code name perProviderSeats meteredByActivePatients } trialEndsAt graceEndsAt
    paymentFailedAt cancelledAt dataRetainedUntil notice { kind until } } }";
const CHECKOUT: &str = "mutation($plan: String!) { startCheckout(input: { plan: $plan }) {
    url userErrors { field code } } }";
const PORTAL: &str = "mutation { billingPortalUrl { url userErrors { code } } }";

const BASE: &str = "price_practice_base";

fn plans() -> Vec<Plan> {
    vec![
        Plan {
            code: "starter".into(),
            name: "Starter".into(),
            base_price: "price_starter_base".into(),
            seat_price: None,
            patient_price: Some("price_starter_map".into()),
        },
        Plan {
            code: "practice".into(),
            name: "Practice".into(),
            base_price: BASE.into(),
            seat_price: Some("price_practice_seat".into()),
            patient_price: Some("price_practice_map".into()),
        },
    ]
}

async fn billing_app(stripe: &StripeApi) -> TestApp {
    let base = stripe.base_url.clone();
    spawn_app_with(move |c| {
        c.billing.stripe_secret_key = Some(SecretString::from(SECRET_KEY));
        c.billing.stripe_webhook_secret = Some(SecretString::from(WEBHOOK_SECRET));
        c.billing.stripe_api_base = base;
        c.billing.billing_plans = plans();
    })
    .await
}

async fn tenant_id(app: &TestApp, slug: &str) -> Uuid {
    tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap()
        .tenant
        .id
}

/// Posts a delivery; the status and body.
async fn post(app: &TestApp, payload: String, signature: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(payload)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn deliver(app: &TestApp, event: &Value) -> (u16, Value) {
    let (payload, signature) = delivery(event, WEBHOOK_SECRET, Utc::now().timestamp());
    post(app, payload, &signature).await
}

/// `startCheckout` for `plan`: its payload (`url`, `userErrors`).
async fn checkout(app: &TestApp, slug: &str, token: &str, plan: &str) -> Value {
    let (_, body) = app
        .gql_as(slug, token, CHECKOUT, json!({ "plan": plan }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["startCheckout"].clone()
}

async fn billing(app: &TestApp, slug: &str, token: &str) -> Value {
    let (_, body) = app.gql_as(slug, token, BILLING, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["billing"].clone()
}

#[tokio::test]
async fn without_a_stripe_key_billing_is_off_and_practices_are_self_hosted() {
    let app = spawn_app().await;
    let admin = app.practice_admin("selfhost").await;
    let billing = billing(&app, "selfhost", &admin.access).await;
    assert_eq!(billing["enabled"], false);
    assert_eq!(billing["plan"]["code"], "self_hosted");
    assert_eq!(billing["plans"], json!([]));
    let started = checkout(&app, "selfhost", &admin.access, "starter").await;
    assert_eq!(started["userErrors"][0]["code"], "BILLING_OFF");
    let (_, me) = app
        .gql_as(
            "selfhost",
            &admin.access,
            "{ me { billingNotice { kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["billingNotice"], Value::Null, "{me}");
    let (status, body) = post(&app, "{}".into(), "t=1,v1=00").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("BILLING_OFF"))
    );
}

#[tokio::test]
async fn checkout_portal_and_invoices_go_to_the_provider_for_admins_only() {
    let stripe = StripeApi::start().await;
    let app = billing_app(&stripe).await;
    let admin = app.practice_admin("payer").await;
    let tenant = tenant_id(&app, "payer").await;

    let billing_now = billing(&app, "payer", &admin.access).await;
    assert_eq!(billing_now["enabled"], true);
    assert_eq!(billing_now["status"], "trial");
    assert_eq!(billing_now["plan"], Value::Null);
    assert_eq!(billing_now["notice"]["kind"], "TRIAL", "{billing_now}");
    assert_eq!(billing_now["plans"][1]["code"], "practice");

    let unknown = checkout(&app, "payer", &admin.access, "platinum").await;
    assert_eq!(unknown["userErrors"][0]["code"], "UNKNOWN_PLAN");
    let (_, portal) = app.gql_as("payer", &admin.access, PORTAL, json!({})).await;
    assert_eq!(
        portal["data"]["billingPortalUrl"]["userErrors"][0]["code"],
        "NO_SUBSCRIPTION"
    );

    // Two checkouts: one customer, made on first need, with the practice's id.
    for _ in 0..2 {
        let started = checkout(&app, "payer", &admin.access, "practice").await;
        let url = started["url"]
            .as_str()
            .unwrap_or_else(|| panic!("{started}"));
        assert!(url.starts_with("https://"), "{url}");
    }
    let customers = stripe.customers();
    assert_eq!(customers.len(), 1, "{customers:?}");
    let (customer, fields) = &customers[0];
    assert_eq!(fields.get("metadata[tenant_id]"), Some(&tenant.to_string()));
    let sessions = stripe.checkout_sessions();
    assert_eq!(sessions.len(), 2);
    let (_, form) = &sessions[1];
    assert_eq!(form.get("customer"), Some(customer));
    assert_eq!(form.get("mode").map(String::as_str), Some("subscription"));
    assert_eq!(form.get("client_reference_id"), Some(&tenant.to_string()));
    let prices: Vec<(&str, Option<&str>)> = (0..3)
        .map(|i| {
            (
                form.get(&format!("line_items[{i}][price]"))
                    .map_or("", String::as_str),
                form.get(&format!("line_items[{i}][quantity]"))
                    .map(String::as_str),
            )
        })
        .collect();
    // The base once, a seat per active provider (at least one), the metered price without
    // a quantity.
    assert_eq!(
        prices,
        vec![
            (BASE, Some("1")),
            ("price_practice_seat", Some("1")),
            ("price_practice_map", None)
        ],
        "{form:?}"
    );
    assert!(
        stripe
            .requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {SECRET_KEY}")))
    );

    // Subscribed: a second checkout is refused, the portal opens, invoices are listed.
    let (status, _) = deliver(
        &app,
        &subscription_event(
            "evt_pay_1",
            "customer.subscription.created",
            Utc::now().timestamp(),
            "sub_pay",
            customer,
            "active",
            Some(tenant),
            BASE,
        ),
    )
    .await;
    assert_eq!(status, 200);
    let again = checkout(&app, "payer", &admin.access, "starter").await;
    assert_eq!(again["userErrors"][0]["code"], "ALREADY_SUBSCRIBED");
    let (_, portal) = app.gql_as("payer", &admin.access, PORTAL, json!({})).await;
    assert!(
        portal["data"]["billingPortalUrl"]["url"].as_str().is_some(),
        "{portal}"
    );
    assert_eq!(
        stripe.portal_sessions()[0].1.get("customer"),
        Some(customer)
    );
    stripe.seed_invoice(customer, invoice("in_old", customer, 4900, 1_780_000_000));
    stripe.seed_invoice(customer, invoice("in_new", customer, 5900, 1_790_000_000));
    let (_, invoices) = app
        .gql_as(
            "payer",
            &admin.access,
            "{ billing { plan { code } invoices(first: 5) { id total currency } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        invoices["data"]["billing"]["plan"]["code"], "practice",
        "{invoices}"
    );
    assert_eq!(
        invoices["data"]["billing"]["invoices"],
        json!([
            { "id": "in_new", "total": 5900, "currency": "usd" },
            { "id": "in_old", "total": 4900, "currency": "usd" }
        ])
    );

    // The provider down: a clear code, nothing half-done.
    // (An attempt and its retry.)
    stripe.fail_next(500, "api_error", None);
    stripe.fail_next(500, "api_error", None);
    let (_, down) = app.gql_as("payer", &admin.access, PORTAL, json!({})).await;
    assert_eq!(
        down["data"]["billingPortalUrl"]["userErrors"][0]["code"], "PAYMENT_PROVIDER_UNAVAILABLE",
        "{down}"
    );

    // Staff and patients do not manage billing.
    let (staff, _) = app.add_user("payer", Role::Staff).await;
    let (_, denied) = app.gql_as("payer", &staff.access, BILLING, json!({})).await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"));
    let (patient, _) = app.add_user("payer", Role::Patient).await;
    let (_, denied) = app
        .gql_as(
            "payer",
            &patient.access,
            CHECKOUT,
            json!({ "plan": "starter" }),
        )
        .await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"));
}

#[tokio::test]
async fn webhooks_are_checked_over_the_raw_body_and_applied_once() {
    let stripe = StripeApi::start().await;
    let app = billing_app(&stripe).await;
    let admin = app.practice_admin("hooks").await;
    let tenant = tenant_id(&app, "hooks").await;
    let now = Utc::now().timestamp();
    let event = subscription_event(
        "evt_hooks_1",
        "customer.subscription.created",
        now,
        "sub_hooks",
        "cus_hooks",
        "active",
        Some(tenant),
        BASE,
    );
    let payload = event.to_string();

    // A signature by another secret, one over another body, and a stale one: 400, nothing
    // recorded (the same event is applied when it comes properly signed).
    let forged = portico_tests::stripe_api::sign(&payload, "whsec_someone_else", now);
    assert_eq!(post(&app, payload.clone(), &forged).await.0, 400);
    let other_body = portico_tests::stripe_api::sign(
        &payload.replace("active", "canceled"),
        WEBHOOK_SECRET,
        now,
    );
    let (status, body) = post(&app, payload.clone(), &other_body).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("BAD_SIGNATURE"))
    );
    let stale = portico_tests::stripe_api::sign(&payload, WEBHOOK_SECRET, now - 301);
    let (status, body) = post(&app, payload.clone(), &stale).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("STALE_SIGNATURE"))
    );
    let (status, _) = post(&app, payload.clone(), "garbage").await;
    assert_eq!(status, 400);
    assert_eq!(
        billing(&app, "hooks", &admin.access).await["status"],
        "trial"
    );

    let (status, body) = deliver(&app, &event).await;
    assert_eq!(
        (status, body["duplicate"].as_bool()),
        (200, Some(false)),
        "{body}"
    );
    assert_eq!(
        billing(&app, "hooks", &admin.access).await["status"],
        "active"
    );

    // Replayed (a fresh signature on the same event): answered, not applied again, even
    // after a newer state.
    let cancelled = subscription_event(
        "evt_hooks_2",
        "customer.subscription.deleted",
        now + 10,
        "sub_hooks",
        "cus_hooks",
        "canceled",
        Some(tenant),
        BASE,
    );
    assert_eq!(deliver(&app, &cancelled).await.0, 200);
    let (status, body) = deliver(&app, &event).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(true)));
    let state = billing(&app, "hooks", &admin.access).await;
    assert_eq!(state["status"], "cancelled", "{state}");
    assert!(state["dataRetainedUntil"].is_string());
}

#[tokio::test]
async fn two_events_of_the_same_second_end_in_the_subscription_as_it_stands() {
    let stripe = StripeApi::start().await;
    let app = billing_app(&stripe).await;
    let admin = app.practice_admin("samesec").await;
    let tenant = tenant_id(&app, "samesec").await;
    let at = Utc::now().timestamp();
    // Checkout makes the subscription `incomplete` and then, paid, `active`, in one second;
    // the stale event has the greater id, so `created` and the id alone would keep it.
    let stale = subscription_event(
        "evt_same_b",
        "customer.subscription.created",
        at,
        "sub_same",
        "cus_same",
        "incomplete",
        Some(tenant),
        BASE,
    );
    let current = subscription_event(
        "evt_same_a",
        "customer.subscription.updated",
        at,
        "sub_same",
        "cus_same",
        "active",
        Some(tenant),
        BASE,
    );
    stripe.set_subscription(current["data"]["object"].clone());
    assert_eq!(deliver(&app, &current).await.0, 200);
    assert_eq!(deliver(&app, &stale).await.0, 200);
    let state = billing(&app, "samesec", &admin.access).await;
    assert_eq!(
        (
            state["status"].as_str(),
            state["subscriptionStatus"].as_str()
        ),
        (Some("active"), Some("active")),
        "{state}"
    );
    assert!(
        stripe
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == "/v1/subscriptions/sub_same"),
        "the subscription was fetched"
    );
}

/// A subscription's life: a trial, checkout, paid, a failed renewal, paid again, ended.
fn life(tenant: Uuid, tag: &str, t0: i64) -> Vec<Value> {
    let sub = format!("sub_{tag}");
    let cus = format!("cus_{tag}");
    let id = |n: u32| format!("evt_{tag}_{n}");
    let s = |n, kind, at, status| {
        subscription_event(
            &id(n),
            kind,
            t0 + at,
            &sub,
            &cus,
            status,
            Some(tenant),
            BASE,
        )
    };
    vec![
        s(1, "customer.subscription.created", 0, "trialing"),
        checkout_completed_event(
            &id(2),
            t0,
            &format!("cs_{tag}"),
            &cus,
            Some(&sub),
            Some(tenant),
        ),
        invoice_event(
            &id(3),
            "invoice.paid",
            t0 + 20,
            &format!("in_{tag}_1"),
            &cus,
            Some(&sub),
        ),
        s(4, "customer.subscription.updated", 20, "active"),
        invoice_event(
            &id(5),
            "invoice.payment_failed",
            t0 + 30,
            &format!("in_{tag}_2"),
            &cus,
            Some(&sub),
        ),
        s(6, "customer.subscription.updated", 30, "past_due"),
        invoice_event(
            &id(7),
            "invoice.paid",
            t0 + 40,
            &format!("in_{tag}_2"),
            &cus,
            Some(&sub),
        ),
        s(8, "customer.subscription.updated", 40, "active"),
        s(9, "customer.subscription.deleted", 50, "canceled"),
    ]
}

/// A deterministic shuffle with repeats (a small linear congruential generator).
fn shuffled_with_repeats(events: &[Value], seed: u64) -> Vec<Value> {
    let mut state = seed;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(state >> 33).unwrap_or(0) % bound
    };
    let mut log: Vec<Value> = events.to_vec();
    for _ in 0..4 {
        let pick = events[next(events.len())].clone();
        log.push(pick);
    }
    for i in (1..log.len()).rev() {
        log.swap(i, next(i + 1));
    }
    log
}

const STATE: &str = "{ billing { status subscriptionStatus plan { code } paymentFailedAt
    cancelledAt trialEndsAt } }";

#[tokio::test]
async fn a_shuffled_and_repeated_log_of_a_subscription_ends_as_the_log_in_order() {
    let stripe = StripeApi::start().await;
    let app = billing_app(&stripe).await;
    let t0 = Utc::now().timestamp() - 100;

    // In order, stopping at the failed renewal: past due, with a banner for staff, and
    // everything still works.
    let admin = app.practice_admin("inorder").await;
    let tenant = tenant_id(&app, "inorder").await;
    let events = life(tenant, "inorder", t0);
    for event in &events[..6] {
        assert_eq!(deliver(&app, event).await.0, 200);
    }
    let state = billing(&app, "inorder", &admin.access).await;
    assert_eq!(state["status"], "past_due", "{state}");
    assert!(state["paymentFailedAt"].is_string());
    let (_, me) = app
        .gql_as(
            "inorder",
            &admin.access,
            "{ me { billingNotice { kind until } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["data"]["me"]["billingNotice"]["kind"], "PAST_DUE",
        "{me}"
    );
    assert!(me["data"]["me"]["billingNotice"]["until"].is_string());
    let (_, created) = app
        .gql_as("inorder", &admin.access, CREATE_PATIENT, json!({}))
        .await;
    assert!(created["errors"].is_null(), "{created}");
    for event in &events[6..] {
        assert_eq!(deliver(&app, event).await.0, 200);
    }
    let (_, expected) = app.gql_as("inorder", &admin.access, STATE, json!({})).await;
    let expected = expected["data"]["billing"].clone();
    assert_eq!(expected["status"], "cancelled", "{expected}");
    assert_eq!(expected["subscriptionStatus"], "canceled");
    assert_eq!(expected["plan"]["code"], "practice");
    assert_eq!(expected["paymentFailedAt"], Value::Null);

    // Cancelled: new work is refused; the practice's patients still read their records.
    let (_, refused) = app
        .gql_as("inorder", &admin.access, CREATE_PATIENT, json!({}))
        .await;
    assert_eq!(error_code(&refused), Some("TENANT_SUSPENDED"));
    let (patient, chart) = app.add_user("inorder", Role::Patient).await;
    let own = format!(
        "{{ patient(id: \"{}\") {{ givenName }} }}",
        gid("Patient", chart.unwrap())
    );
    let (_, read) = app
        .gql_as("inorder", &patient.access, &own, json!({}))
        .await;
    assert!(read["errors"].is_null(), "{read}");

    // The same life, shuffled with repeats, for three more practices: the same end.
    for seed in [7_u64, 1_234, 99_991] {
        let slug = format!("shuffle{seed}");
        let admin = app.practice_admin(&slug).await;
        let tenant = tenant_id(&app, &slug).await;
        let log = shuffled_with_repeats(&life(tenant, &slug, t0), seed);
        for event in &log {
            assert_eq!(deliver(&app, event).await.0, 200, "{event}");
        }
        let (_, state) = app.gql_as(&slug, &admin.access, STATE, json!({})).await;
        let mut state = state["data"]["billing"].clone();
        // Each practice's own trial start differs; the rest must match.
        state["trialEndsAt"] = expected["trialEndsAt"].clone();
        assert_eq!(state, expected, "seed {seed}");
    }
}

async fn owner_sql(app: &TestApp, sql_pg: &str, sql_lite: &str, values: Vec<sea_orm::Value>) {
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let backend = owner.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => sql_pg,
        _ => sql_lite,
    };
    owner
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_trial_or_grace_period_that_runs_out_suspends_unless_an_operator_holds_it() {
    let stripe = StripeApi::start().await;
    let app = billing_app(&stripe).await;
    let admin = app.practice_admin("lapsing").await;
    let tenant = tenant_id(&app, "lapsing").await;
    let services = app.services();
    let on = services.billing.clone().unwrap();
    portico_jobs::billing::sweep(&app.db(), &on).await.unwrap();
    assert_eq!(
        billing(&app, "lapsing", &admin.access).await["status"],
        "trial"
    );

    // The trial ran out with no subscription.
    let past = Utc::now() - chrono::Duration::days(1);
    owner_sql(
        &app,
        "UPDATE billing_accounts SET trial_ends_at = $1 WHERE tenant_id = $2",
        "UPDATE billing_accounts SET trial_ends_at = ? WHERE tenant_id = ?",
        vec![past.into(), tenant.into()],
    )
    .await;
    portico_jobs::billing::sweep(&app.db(), &on).await.unwrap();
    let (_, me) = app
        .gql_as(
            "lapsing",
            &admin.access,
            "{ me { tenantStatusReason billingNotice { kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["data"]["me"]["billingNotice"]["kind"], "SUSPENDED",
        "{me}"
    );
    assert!(me["data"]["me"]["tenantStatusReason"].is_string());
    let (_, refused) = app
        .gql_as("lapsing", &admin.access, CREATE_PATIENT, json!({}))
        .await;
    assert_eq!(error_code(&refused), Some("TENANT_SUSPENDED"));
    // A suspended practice can still pay.
    let started = checkout(&app, "lapsing", &admin.access, "starter").await;
    assert!(started["url"].is_string(), "{started}");

    // Paid, then a renewal failed long enough ago that the grace period is over.
    let now = Utc::now().timestamp();
    let customer = stripe.customers()[0].0.clone();
    deliver(
        &app,
        &subscription_event(
            "evt_lapse_1",
            "customer.subscription.updated",
            now,
            "sub_lapse",
            &customer,
            "active",
            Some(tenant),
            BASE,
        ),
    )
    .await;
    assert_eq!(
        billing(&app, "lapsing", &admin.access).await["status"],
        "active"
    );
    deliver(
        &app,
        &subscription_event(
            "evt_lapse_2",
            "customer.subscription.updated",
            now + 1,
            "sub_lapse",
            &customer,
            "past_due",
            Some(tenant),
            BASE,
        ),
    )
    .await;
    assert_eq!(
        billing(&app, "lapsing", &admin.access).await["status"],
        "past_due"
    );
    owner_sql(
        &app,
        "UPDATE billing_accounts SET past_due_since = $1 WHERE tenant_id = $2",
        "UPDATE billing_accounts SET past_due_since = ? WHERE tenant_id = ?",
        vec![
            (Utc::now() - chrono::Duration::days(15)).into(),
            tenant.into(),
        ],
    )
    .await;
    portico_jobs::billing::sweep(&app.db(), &on).await.unwrap();
    assert_eq!(
        billing(&app, "lapsing", &admin.access).await["status"],
        "suspended"
    );

    // Paid again: active. An operator's suspension then holds whatever the subscription
    // does, and lifting it returns the practice to what its subscription makes it.
    deliver(
        &app,
        &subscription_event(
            "evt_lapse_3",
            "customer.subscription.updated",
            now + 2,
            "sub_lapse",
            &customer,
            "active",
            Some(tenant),
            BASE,
        ),
    )
    .await;
    assert_eq!(
        billing(&app, "lapsing", &admin.access).await["status"],
        "active"
    );
    let op = app.operator().await;
    let id = gid("Tenant", tenant);
    let (_, held) = app
        .gql_as("platform", &op.access,
            "mutation($id: ID!) { suspendTenant(input: { id: $id, reason: \"Review\" }) { tenant { status } } }",
            json!({ "id": id }))
        .await;
    assert_eq!(
        held["data"]["suspendTenant"]["tenant"]["status"], "suspended",
        "{held}"
    );
    deliver(
        &app,
        &subscription_event(
            "evt_lapse_4",
            "customer.subscription.updated",
            now + 3,
            "sub_lapse",
            &customer,
            "active",
            Some(tenant),
            BASE,
        ),
    )
    .await;
    assert_eq!(
        billing(&app, "lapsing", &admin.access).await["status"],
        "suspended"
    );
    // Operators see the hold and the subscription behind it.
    let (_, listed) = app
        .gql_as(
            "platform",
            &op.access,
            "{ tenants { slug status operatorHold billing { plan subscriptionStatus } } }",
            json!({}),
        )
        .await;
    let entry = listed["data"]["tenants"]
        .as_array()
        .and_then(|all| all.iter().find(|t| t["slug"] == "lapsing"))
        .cloned()
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(
        entry,
        json!({ "slug": "lapsing", "status": "suspended", "operatorHold": true,
                "billing": { "plan": "practice", "subscriptionStatus": "active" } })
    );
    let (_, lifted) = app
        .gql_as(
            "platform",
            &op.access,
            "mutation($id: ID!) { reactivateTenant(input: { id: $id }) { tenant { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        lifted["data"]["reactivateTenant"]["tenant"]["status"], "active",
        "{lifted}"
    );
}

#[tokio::test]
async fn monthly_active_patients_are_reported_once_per_month() {
    let stripe = StripeApi::start().await;
    let app = billing_app(&stripe).await;
    let admin = app.practice_admin("metered").await;
    let tenant = tenant_id(&app, "metered").await;
    let services = app.services();
    let on = services.billing.clone().unwrap();
    let practice = tenants::find_by_id(&app.db(), portico_core::TenantId::from_uuid(tenant))
        .await
        .unwrap()
        .unwrap();
    let tz = portico_core::adoption::rollup::zone(&practice.tenant.time_zone);
    let month = Utc::now().with_timezone(&tz).date_naive();
    let month = chrono::Datelike::with_day(&month, 1).unwrap();
    let db = app.db();
    let report = || {
        portico_core::billing::usage::report(
            &db,
            &on,
            portico_core::TenantId::from_uuid(tenant),
            Some(month),
            Utc::now(),
        )
    };

    // No subscription: nothing to bill.
    assert_eq!(
        report().await.unwrap(),
        portico_core::billing::usage::Reported::NotBilled
    );

    // Two patients use the portal this month; a chart without a portal account does not
    // count.
    for _ in 0..2 {
        let (patient, chart) = app.add_user("metered", Role::Patient).await;
        let own = format!(
            "{{ patient(id: \"{}\") {{ givenName }} }}",
            gid("Patient", chart.unwrap())
        );
        let (_, read) = app
            .gql_as("metered", &patient.access, &own, json!({}))
            .await;
        assert!(read["errors"].is_null(), "{read}");
    }
    app.add_patient(&practice, "Walkin").await;
    let started = checkout(&app, "metered", &admin.access, "practice").await;
    assert!(started["url"].is_string(), "{started}");
    let customer = stripe.customers()[0].0.clone();
    deliver(
        &app,
        &subscription_event(
            "evt_meter_1",
            "customer.subscription.created",
            Utc::now().timestamp(),
            "sub_meter",
            &customer,
            "active",
            Some(tenant),
            BASE,
        ),
    )
    .await;

    let sent = report().await.unwrap();
    assert_eq!(
        sent,
        portico_core::billing::usage::Reported::Sent { monthly_active: 2 }
    );
    assert_eq!(
        report().await.unwrap(),
        portico_core::billing::usage::Reported::Already { monthly_active: 2 }
    );
    let events = stripe.meter_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0].get("payload[value]").map(String::as_str),
        Some("2")
    );
    assert_eq!(
        events[0].get("payload[stripe_customer_id]"),
        Some(&customer)
    );

    // A worker that stopped after sending and before noting it: the same figure goes again
    // under the same identifier, and the provider counts it once.
    owner_sql(
        &app,
        "UPDATE usage_reports SET reported_at = NULL WHERE tenant_id = $1",
        "UPDATE usage_reports SET reported_at = NULL WHERE tenant_id = ?",
        vec![tenant.into()],
    )
    .await;
    // A third patient signs in meanwhile: the figure kept is the one sent.
    let (late, chart) = app.add_user("metered", Role::Patient).await;
    let own = format!(
        "{{ patient(id: \"{}\") {{ givenName }} }}",
        gid("Patient", chart.unwrap())
    );
    app.gql_as("metered", &late.access, &own, json!({})).await;
    // The nightly job: last month's figure (none used the portal then), and this month's
    // kept and unsent one again.
    portico_jobs::billing::report_usage(&db, &on, portico_core::TenantId::from_uuid(tenant), None)
        .await
        .unwrap();
    assert_eq!(
        report().await.unwrap(),
        portico_core::billing::usage::Reported::Already { monthly_active: 2 }
    );
    let events = stripe.meter_events();
    let this_month: Vec<_> = events
        .iter()
        .filter(|e| e.get("identifier") == events[0].get("identifier"))
        .collect();
    assert_eq!(
        (this_month.len(), events.len()),
        (1, 2),
        "this month's counted once, last month's (0) sent too: {events:?}"
    );
    assert_eq!(
        events[1].get("payload[value]").map(String::as_str),
        Some("0")
    );
}

#[tokio::test]
async fn seats_follow_the_practices_active_providers() {
    use portico_core::billing::seats::{self, Seats};
    let stripe = StripeApi::start().await;
    let app = billing_app(&stripe).await;
    let p = practice(&app, "seated").await;
    let tenant = tenant_id(&app, "seated").await;
    let started = checkout(&app, "seated", &p.admin.access, "practice").await;
    assert!(started["url"].is_string(), "{started}");
    let customer = stripe.customers()[0].0.clone();
    // The subscription Checkout made: the base price and one seat.
    let event = subscription_event(
        "evt_seat_1",
        "customer.subscription.created",
        Utc::now().timestamp(),
        "sub_seat",
        &customer,
        "active",
        Some(tenant),
        BASE,
    );
    let mut subscription = event["data"]["object"].clone();
    if let Some(items) = subscription["items"]["data"].as_array_mut() {
        items.push(
            json!({ "id": "si_seats", "object": "subscription_item", "quantity": 1,
            "price": { "id": "price_practice_seat", "object": "price" } }),
        );
    }
    stripe.set_subscription(subscription);
    assert_eq!(deliver(&app, &event).await.0, 200);
    let on = app.services().billing.clone().unwrap();
    let db = app.db();
    let practice_id = portico_core::TenantId::from_uuid(tenant);

    assert_eq!(
        seats::sync(&db, &on, practice_id).await.unwrap(),
        Seats::Unchanged { seats: 1 }
    );
    assert!(stripe.item_updates().is_empty());

    // A second provider joins: the seat quantity follows, prorated, once.
    let (_, saved) = app
        .gql_as(
            "seated",
            &p.admin.access,
            "mutation($input: ProviderInput!) { saveProvider(input: $input) {
                provider { id } userErrors { code } } }",
            json!({ "input": { "displayName": "Dr. Okafor" } }),
        )
        .await;
    assert!(
        saved["data"]["saveProvider"]["provider"]["id"].is_string(),
        "{saved}"
    );
    assert_eq!(
        seats::sync(&db, &on, practice_id).await.unwrap(),
        Seats::Changed { from: 1, to: 2 }
    );
    assert_eq!(
        seats::sync(&db, &on, practice_id).await.unwrap(),
        Seats::Unchanged { seats: 2 }
    );
    let updates = stripe.item_updates();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].0, "si_seats");
    assert_eq!(updates[0].1.get("quantity").map(String::as_str), Some("2"));
    assert_eq!(
        updates[0].1.get("proration_behavior").map(String::as_str),
        Some("create_prorations")
    );
}
