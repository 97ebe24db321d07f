//! Webhooks: a practice admin registers an endpoint; a booked visit reaches it as a Standard
//! Webhooks message (verified here with the specification's own library) carrying ids only;
//! a failing receiver is tried again and every attempt logged; an endpoint failing for good
//! is turned off and its admins told; a replay sends the same message again; a rotated
//! secret signs beside the new one; addresses of private networks and plain http are refused;
//! and another practice sees none of it.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, Ordering},
    },
    time::Duration,
};

use axum::{Router, extract::State, http::HeaderMap, routing::post};
use portico_core::{entities::webhook_delivery, identity::Role, webhooks::schedule::ATTEMPTS};
use portico_tests::{Signed, TestApp, spawn_app, spawn_app_with, wait_until};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::support::{
    gid,
    processes::relay,
    scheduling::{Practice, book, booked_id, days_ahead, practice, slots, starts},
};

const CREATE: &str = "mutation($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
        endpoint { id url eventTypes enabled } secret userErrors { field code message } } }";
const ENDPOINTS: &str = "{ webhookEndpoints { id url enabled disabledReason } }";
const LOG: &str = "query($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason
    deliveries(first: 20) { edges { node { id messageId eventType status attemptCount
        nextAttemptAt lastStatusCode lastError replayOf
        attempts { statusCode durationMs error } } } } } }";
const ROTATE: &str = "mutation($id: ID!) { rotateWebhookSecret(input: { id: $id }) {
    secret endpoint { previousSecretValidUntil } } }";
const ENABLE: &str = "mutation($id: ID!, $on: Boolean!) {
    setWebhookEndpointEnabled(input: { id: $id, enabled: $on }) { endpoint { enabled } } }";
const REPLAY_SINCE: &str = "mutation($id: ID!, $since: DateTime!) {
    replayWebhookDeliveries(input: { endpointId: $id, since: $since }) {
        replayed userErrors { field code } } }";

/// One request a receiver got.
#[derive(Clone)]
pub(crate) struct Received {
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

/// What a receiver shares with its handler: the requests so far and the status to answer.
type Shared = (Arc<Mutex<Vec<Received>>>, Arc<AtomicU16>);

/// A receiver on 127.0.0.1 that records what it gets and answers with `status`.
#[derive(Clone)]
pub(crate) struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    pub(crate) url: String,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(204));
        let state = (Arc::clone(&got), Arc::clone(&status));
        let app = Router::new()
            .route(
                "/hooks",
                post(
                    |State((got, status)): State<Shared>,
                     headers: HeaderMap,
                     body: String| async move {
                        got.lock().unwrap().push(Received { headers, body });
                        let code = status.load(Ordering::SeqCst);
                        let code = axum::http::StatusCode::from_u16(code).unwrap();
                        if code.is_redirection() {
                            // Where a redirect points: never followed.
                            let mut headers = HeaderMap::new();
                            headers.insert("location", "/elsewhere".parse().unwrap());
                            (code, headers)
                        } else {
                            (code, HeaderMap::new())
                        }
                    },
                ),
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { got, status, url }
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits for the `n`-th request and returns it.
    pub(crate) async fn nth(&self, n: usize) -> Received {
        wait_until(
            &format!("webhook request {n}"),
            Duration::from_secs(30),
            async || self.received().get(n - 1).cloned(),
        )
        .await
    }
}

pub(crate) async fn create(app: &TestApp, admin: &Signed, url: &str, types: &[&str]) -> Value {
    let (_, body) = app
        .gql_as(
            &admin.slug,
            &admin.access,
            CREATE,
            json!({ "input": { "url": url, "description": "Scheduling sync",
                "eventTypes": types } }),
        )
        .await;
    body["data"]["createWebhookEndpoint"].clone()
}

async fn log(app: &TestApp, admin: &Signed, endpoint: &str) -> Value {
    let (_, body) = app
        .gql_as(&admin.slug, &admin.access, LOG, json!({ "id": endpoint }))
        .await;
    body["data"]["webhookEndpoint"].clone()
}

fn deliveries(log: &Value) -> Vec<Value> {
    log["deliveries"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn verify(secret: &str, got: &Received) -> Result<(), standardwebhooks::WebhookError> {
    standardwebhooks::Webhook::new(secret)?.verify(got.body.as_bytes(), &got.headers)
}

/// `replayWebhookDeliveries` of `endpoint` since `since`: its payload.
async fn replay_since(app: &TestApp, admin: &Signed, endpoint: &str, since: &str) -> Value {
    let (_, body) = app
        .gql_as(
            &admin.slug,
            &admin.access,
            REPLAY_SINCE,
            json!({ "id": endpoint, "since": since }),
        )
        .await;
    body["data"]["replayWebhookDeliveries"].clone()
}

/// Makes every pending delivery of the test database due now (the schedule's wait passed),
/// through the owner's connection, and asks for a relay.
async fn due_now(app: &TestApp, admin: &Signed, attempts_used: Option<i32>) {
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(webhook_delivery::Column::Status.eq("pending"));
    if let Some(used) = attempts_used {
        update = update.col_expr(webhook_delivery::Column::Attempts, Expr::value(used));
    }
    update.exec(&owner).await.unwrap();
    let tenant = app.db();
    let found = portico_core::tenants::find_by_slug(&tenant, &admin.slug)
        .await
        .unwrap()
        .unwrap();
    relay(app, found.id()).await;
}

/// A booked visit of a new patient, by the practice's admin: the visit's and the chart's ids.
pub(crate) async fn book_a_visit(app: &TestApp, p: &Practice) -> (String, String) {
    book_the_nth_visit(app, p, 0).await
}

/// [`book_a_visit`] in the day's `nth` open slot (each booking needs its own).
async fn book_the_nth_visit(app: &TestApp, p: &Practice, nth: usize) -> (String, String) {
    let slug = p.admin.slug.as_str();
    let tenant = portico_core::tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap();
    let names = ["Ines", "Joao", "Kemal"];
    let chart = app.add_patient(&tenant, names[nth % names.len()]).await;
    let day = days_ahead(p, 3);
    let open = starts(&slots(app, &p.admin.access, slug, p, day, day).await);
    let patient = gid("Patient", chart.id);
    let booked = book(app, &p.admin.access, p, &patient, open[nth]).await;
    (booked_id(&booked), patient)
}

/// The code of the `userErrors` entry about `field` in a mutation's payload.
fn refusal<'a>(payload: &'a Value, field: &str) -> Option<&'a str> {
    payload["userErrors"]
        .as_array()?
        .iter()
        .find(|e| e["field"] == field)?["code"]
        .as_str()
}

#[tokio::test]
async fn a_booked_visit_reaches_the_endpoint_signed_by_the_standard_with_ids_only() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let p = practice(&app, "hookone").await;
    let admin = p.admin.clone();
    let created = create(
        &app,
        &admin,
        &receiver.url,
        &["APPOINTMENT_BOOKED", "APPOINTMENT_CANCELLED"],
    )
    .await;
    let secret = created["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["endpoint"]["enabled"], true);
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
    // The list never shows the secret again.
    let (_, listed) = app
        .gql_as("hookone", &admin.access, ENDPOINTS, json!({}))
        .await;
    assert!(!listed.to_string().contains(secret));

    let (appointment, patient) = book_a_visit(&app, &p).await;
    let got = receiver.nth(1).await;
    verify(secret, &got).unwrap_or_else(|e| panic!("signature: {e}"));
    assert!(verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &got).is_err());
    let message_id = got.headers["webhook-id"].to_str().unwrap().to_owned();
    assert!(message_id.starts_with("msg_"), "{message_id}");
    let body: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(body["type"], "appointment.booked");
    assert_eq!(body["data"]["appointmentId"], appointment.as_str());
    assert_eq!(body["data"]["patientId"], patient.as_str());
    // Ids and the event only: no name, no time of the visit.
    assert_eq!(body["data"].as_object().unwrap().len(), 2, "{body}");
    assert!(!got.body.contains("Ines"), "{body}");
    // The receiver looks the ids up through the API, as the payload promises.
    let (_, looked_up) = app
        .gql_as(
            "hookone",
            &admin.access,
            "query($id: ID!) { appointments(patientId: $id) { id } }",
            json!({ "id": patient }),
        )
        .await;
    assert_eq!(
        looked_up["data"]["appointments"][0]["id"],
        appointment.as_str(),
        "{looked_up}"
    );

    // The log shows the delivery, its one attempt and the receiver's status.
    let shown = wait_until(
        "the delivery recorded",
        Duration::from_secs(30),
        async || {
            let d = deliveries(&log(&app, &admin, &endpoint).await);
            (d.first().map(|d| d["status"] == "DELIVERED") == Some(true)).then_some(d)
        },
    )
    .await;
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["messageId"], message_id.as_str());
    assert_eq!(shown[0]["eventType"], "APPOINTMENT_BOOKED");
    assert_eq!(shown[0]["attempts"][0]["statusCode"], 204);
    assert!(shown[0]["attempts"][0]["error"].is_null());
    // An event the endpoint did not ask for is not sent (a completed visit), and no other
    // request came.
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn a_failing_receiver_is_tried_again_then_turned_off_and_its_admins_told_and_replay_resends()
{
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let p = practice(&app, "hooktwo").await;
    let admin = p.admin.clone();
    let created = create(&app, &admin, &receiver.url, &["APPOINTMENT_BOOKED"]).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
    receiver.answer(503);
    book_a_visit(&app, &p).await;
    let first = receiver.nth(1).await;
    let message_id = first.headers["webhook-id"].to_str().unwrap().to_owned();
    let pending = wait_until(
        "the failure recorded",
        Duration::from_secs(30),
        async || {
            let d = deliveries(&log(&app, &admin, &endpoint).await);
            (d.first().map(|d| d["attemptCount"] == 1) == Some(true)).then_some(d)
        },
    )
    .await;
    assert_eq!(pending[0]["status"], "PENDING");
    assert_eq!(pending[0]["lastStatusCode"], 503);
    assert_eq!(pending[0]["lastError"], "HTTP_STATUS");
    assert!(pending[0]["nextAttemptAt"].is_string(), "{pending:?}");

    // A redirect is not followed: the attempt fails and nothing else is requested.
    receiver.answer(307);
    due_now(&app, &admin, None).await;
    let second = receiver.nth(2).await;
    assert_eq!(second.headers["webhook-id"].to_str().unwrap(), message_id);
    verify(&secret, &second).unwrap();
    wait_until(
        "the redirect recorded",
        Duration::from_secs(30),
        async || {
            let d = deliveries(&log(&app, &admin, &endpoint).await);
            d[0]["lastError"] == "REDIRECT_NOT_FOLLOWED"
        },
    )
    .await;

    // The last attempt of the schedule fails: given up, the endpoint off, the admins told.
    receiver.answer(500);
    due_now(&app, &admin, Some(ATTEMPTS - 1)).await;
    let shown = wait_until(
        "the endpoint turned off",
        Duration::from_secs(30),
        async || {
            let shown = log(&app, &admin, &endpoint).await;
            (shown["enabled"] == false).then_some(shown)
        },
    )
    .await;
    assert_eq!(shown["disabledReason"], "FAILING");
    let d = deliveries(&shown);
    assert_eq!(d[0]["status"], "FAILED");
    assert_eq!(d[0]["attempts"].as_array().unwrap().len(), 3);
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "hooktwo")
        .await
        .unwrap()
        .unwrap();
    relay(&app, tenant.id()).await;
    let notice = app.wait_for_email_to(&admin.email).await;
    assert!(notice.contains("127.0.0.1"), "{notice}");
    assert!(notice.contains("/console/settings/webhooks"), "{notice}");
    assert!(!notice.contains(&message_id), "{notice}");

    // A replay needs the endpoint on; then it sends the same message once.
    let since = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let refused = replay_since(&app, &admin, &endpoint, &since).await;
    assert_eq!(
        refusal(&refused, "endpointId"),
        Some("WEBHOOK_ENDPOINT_DISABLED"),
        "{refused}"
    );
    let (_, on) = app
        .gql_as(
            "hooktwo",
            &admin.access,
            ENABLE,
            json!({ "id": endpoint, "on": true }),
        )
        .await;
    assert_eq!(
        on["data"]["setWebhookEndpointEnabled"]["endpoint"]["enabled"],
        true
    );
    receiver.answer(200);
    let replayed = replay_since(&app, &admin, &endpoint, &since).await;
    assert_eq!(replayed["replayed"], 1, "{replayed}");
    let again = receiver.nth(4).await;
    assert_eq!(again.headers["webhook-id"].to_str().unwrap(), message_id);
    verify(&secret, &again).unwrap();
    // Replayed once: asking again finds nothing left to replay.
    let twice = replay_since(&app, &admin, &endpoint, &since).await;
    assert_eq!(twice["replayed"], 0, "{twice}");
    // A time beyond 30 days is refused.
    let far = replay_since(
        &app,
        &admin,
        &endpoint,
        &(chrono::Utc::now() - chrono::Duration::days(40)).to_rfc3339(),
    )
    .await;
    assert_eq!(refusal(&far, "since"), Some("INVALID_RANGE"));
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_for_a_day() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let p = practice(&app, "hookrot").await;
    let admin = p.admin.clone();
    let created = create(&app, &admin, &receiver.url, &["APPOINTMENT_BOOKED"]).await;
    let old = created["secret"].as_str().unwrap().to_owned();
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
    let (_, rotated) = app
        .gql_as("hookrot", &admin.access, ROTATE, json!({ "id": endpoint }))
        .await;
    let new = rotated["data"]["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{rotated}"))
        .to_owned();
    assert_ne!(new, old);
    let until: chrono::DateTime<chrono::Utc> =
        rotated["data"]["rotateWebhookSecret"]["endpoint"]["previousSecretValidUntil"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    let hours = (until - chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours), "{until}");
    book_a_visit(&app, &p).await;
    let got = receiver.nth(1).await;
    let signature = got.headers["webhook-signature"].to_str().unwrap();
    assert_eq!(signature.split(' ').count(), 2, "{signature}");
    verify(&new, &got).unwrap();
    verify(&old, &got).unwrap();
}

#[tokio::test]
async fn addresses_that_are_not_allowed_and_bad_input_are_refused_and_nothing_is_saved() {
    let app = spawn_app_with(|c| c.notify.webhooks_allow_loopback_http = false).await;
    let admin = app.practice_admin("hookbad").await;
    for (url, why) in [
        ("http://hooks.example.org/in", "plain http"),
        ("https://10.0.0.7/in", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fd00::1]/in", "unique local"),
        ("https://localhost:8443/in", "loopback"),
        ("http://127.0.0.1:9/in", "loopback http"),
        ("https://user:pw@hooks.example.org/in", "credentials"),
        ("ftp://hooks.example.org/in", "scheme"),
        ("not a url", "not a url"),
    ] {
        let refused = create(&app, &admin, url, &["APPOINTMENT_BOOKED"]).await;
        assert_eq!(
            refusal(&refused, "url"),
            Some("WEBHOOK_URL_NOT_ALLOWED"),
            "{why}: {refused}"
        );
        assert!(refused["secret"].is_null());
        assert!(!refused.to_string().contains("pw"), "{refused}");
    }
    let none = create(&app, &admin, "https://hooks.example.org/in", &[]).await;
    assert_eq!(
        refusal(&none, "eventTypes"),
        Some("WEBHOOK_EVENTS_REQUIRED")
    );
    let (_, listed) = app
        .gql_as("hookbad", &admin.access, ENDPOINTS, json!({}))
        .await;
    assert_eq!(listed["data"]["webhookEndpoints"], json!([]), "{listed}");
    // A public https address with a query string is accepted.
    let ok = create(
        &app,
        &admin,
        "https://hooks.example.org/in?route=7",
        &["PATIENT_ACTIVATED"],
    )
    .await;
    assert_eq!(
        ok["endpoint"]["eventTypes"],
        json!(["PATIENT_ACTIVATED"]),
        "{ok}"
    );
}

#[tokio::test]
async fn another_practice_and_staff_see_no_endpoint_and_get_no_event_of_this_one() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let other = Receiver::start().await;
    let p = practice(&app, "hookmine").await;
    let admin = p.admin.clone();
    let created = create(&app, &admin, &receiver.url, &["APPOINTMENT_BOOKED"]).await;
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
    let stranger = app.practice_admin("hookother").await;
    create(&app, &stranger, &other.url, &["APPOINTMENT_BOOKED"]).await;
    // Another practice's admin: not found, and not in their list.
    let (_, body) = app
        .gql_as(
            "hookother",
            &stranger.access,
            LOG,
            json!({ "id": endpoint }),
        )
        .await;
    assert_eq!(
        portico_tests::error_code(&body),
        Some("NOT_FOUND"),
        "{body}"
    );
    let (_, listed) = app
        .gql_as("hookother", &stranger.access, ENDPOINTS, json!({}))
        .await;
    assert!(!listed.to_string().contains(&endpoint));
    // Staff of the practice: refused.
    let (staff, _) = app.add_user("hookmine", Role::Staff).await;
    let (_, body) = app
        .gql_as("hookmine", &staff.access, ENDPOINTS, json!({}))
        .await;
    assert_eq!(
        portico_tests::error_code(&body),
        Some("FORBIDDEN"),
        "{body}"
    );
    // This practice's booking reaches this practice's receiver only.
    book_a_visit(&app, &p).await;
    receiver.nth(1).await;
    let theirs = portico_core::tenants::find_by_slug(&app.db(), "hookother")
        .await
        .unwrap()
        .unwrap();
    relay(&app, theirs.id()).await;
    let mine = portico_core::tenants::find_by_slug(&app.db(), "hookmine")
        .await
        .unwrap()
        .unwrap();
    relay(&app, mine.id()).await;
    // Once both relays have run (this practice's delivery is recorded), the other
    // receiver still has nothing.
    wait_until(
        "the delivery recorded",
        Duration::from_secs(30),
        async || {
            deliveries(&log(&app, &admin, &endpoint).await)
                .first()
                .is_some_and(|d| d["status"] == "DELIVERED")
        },
    )
    .await;
    assert!(other.received().is_empty());
}

#[tokio::test]
async fn finished_deliveries_leave_the_log_after_their_time_and_a_removed_endpoint_takes_its_log() {
    use portico_core::{TenantTx, tenancy::Access, webhooks::deliveries};
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let p = practice(&app, "hookpurge").await;
    let admin = p.admin.clone();
    let created = create(&app, &admin, &receiver.url, &["APPOINTMENT_BOOKED"]).await;
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
    book_a_visit(&app, &p).await;
    receiver.nth(1).await;
    wait_until(
        "the delivery recorded",
        Duration::from_secs(30),
        async || {
            deliveries(&log(&app, &admin, &endpoint).await)
                .first()
                .is_some_and(|d| d["status"] == "DELIVERED")
        },
    )
    .await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "hookpurge")
        .await
        .unwrap()
        .unwrap();
    let purge_before = async |cutoff| {
        let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
            .await
            .unwrap();
        let removed = deliveries::purge_finished_before(&tx, cutoff)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        removed
    };
    // Younger than the cutoff: kept.
    assert_eq!(
        purge_before(chrono::Utc::now() - deliveries::KEPT_FOR).await,
        0
    );
    assert_eq!(deliveries(&log(&app, &admin, &endpoint).await).len(), 1);
    // Older: gone, with its attempts.
    assert_eq!(
        purge_before(chrono::Utc::now() + chrono::Duration::minutes(1)).await,
        1
    );
    assert!(deliveries(&log(&app, &admin, &endpoint).await).is_empty());

    // A removed endpoint takes its log with it and is gone from the list.
    book_the_nth_visit(&app, &p, 1).await;
    receiver.nth(2).await;
    let (_, deleted) = app
        .gql_as(
            "hookpurge",
            &admin.access,
            "mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedId } }",
            json!({ "id": endpoint }),
        )
        .await;
    assert_eq!(
        deleted["data"]["deleteWebhookEndpoint"]["deletedId"],
        endpoint.as_str(),
        "{deleted}"
    );
    let (_, listed) = app
        .gql_as("hookpurge", &admin.access, ENDPOINTS, json!({}))
        .await;
    assert_eq!(listed["data"]["webhookEndpoints"], json!([]));
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    use sea_orm::PaginatorTrait;
    let left = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::TenantId.eq(tenant.id().as_uuid()))
        .count(&owner)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
