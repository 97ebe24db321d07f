//! The mixed workload of the cluster run, through the load balancer: patients book visits and
//! write to their care team, a nurse answers, and two staff subscribers listen for messages
//! on one replica each. Every call is logged with its time and outcome, so the checks can tell
//! what was acknowledged and what happened outside the fault windows.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, graphql_ws_request};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};
use tokio_util::sync::CancellationToken;

use crate::support::{
    ehr::{connect, counts, sync_now},
    gid,
    messaging::{POST, clinic_for, start, thread_id},
    records::{REQUEST_REFILL, record},
    scheduling::{BOOK, days_ahead, practice_in, slots, starts},
    user_error, uuid_of,
};

/// Active medications on each chart: each is asked to be refilled at most once in a run
/// (a medication has one pending request at a time).
const MEDICATIONS: usize = 12;

pub const SLUG: &str = "cluster";

const UPDATES: &str = "subscription { threadUpdates { kind message { body } } }";

pub struct Patient {
    pub signed: Signed,
    pub chart: String,
    pub thread: String,
    pub medications: Vec<String>,
}

/// The practice the workload runs in, set up before the run.
pub struct Setup {
    pub admin: Signed,
    pub nurse: Signed,
    pub provider: String,
    pub location: String,
    pub kind: String,
    pub patients: Vec<Patient>,
    /// Open slots, each booked at most once by the workload.
    pub slots: Vec<DateTime<Utc>>,
}

/// The practice, its nurse line, `patients` patients each with a conversation and
/// medications, and its EHR connection to `ehr` (a FHIR server that knows every patient by
/// MRN), synced once so that bookings are written back.
pub async fn setup(
    app: &TestApp,
    patients: usize,
    ehr: &portico_tests::fhir_server::FhirServer,
) -> Setup {
    // Open from 06:00 to 22:00: enough slots for every booking of the run.
    let practice = practice_in(app, SLUG, "America/Chicago", "06:00", "22:00").await;
    let clinic = clinic_for(app, practice.admin.clone()).await;
    // One reminder 30 days ahead: every visit the run books (2 to 40 days ahead) inside that
    // gets its reminder at once, so reminders come due while the faults happen.
    let (_, reminders) = app
        .gql_as(
            SLUG,
            &practice.admin.access,
            "mutation { updateReminderSettings(input: { offsetsMinutes: [43200] }) {
                userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        reminders["data"]["updateReminderSettings"]["userErrors"],
        json!([]),
        "{reminders}"
    );
    let mut list = Vec::with_capacity(patients);
    for i in 0..patients {
        let (signed, chart) = app.add_user(SLUG, Role::Patient).await;
        let chart = chart.expect("a patient has a chart");
        let started = start(app, &signed, chart, &clinic.pool, &format!("opening {i}")).await;
        let chart = gid("Patient", chart);
        let mut medications = Vec::with_capacity(MEDICATIONS);
        for m in 0..MEDICATIONS {
            let saved = record(
                app,
                &practice.admin,
                "recordMedication",
                json!({ "patientId": chart, "status": "active", "name": format!("Medication {m}"),
                    "dosage": "1 tablet daily", "refillsLeft": 3, "prescriberName": "Dr. Outside" }),
            )
            .await;
            medications.push(
                saved["medication"]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{saved}"))
                    .to_owned(),
            );
        }
        list.push(Patient {
            thread: thread_id(&started),
            chart,
            signed,
            medications,
        });
    }
    seed_ehr_patients(app, ehr).await;
    connect(app, SLUG, &practice.admin.access, &ehr.base_url).await;
    let run = sync_now(app, SLUG).await;
    let linked = counts(&run, "Patient").applied;
    assert_eq!(
        linked as usize, patients,
        "every patient is linked to the EHR: {}",
        run.counts
    );
    let from = days_ahead(&practice, 2);
    let to = days_ahead(&practice, 40);
    let open = starts(&slots(app, &list[0].signed.access, SLUG, &practice, from, to).await);
    Setup {
        admin: practice.admin,
        nurse: clinic.nurse,
        provider: practice.provider,
        location: practice.location,
        kind: practice.kind,
        patients: list,
        slots: open,
    }
}

/// The practice's charts, as the EHR knows them: same MRN, name and birth date.
async fn seed_ehr_patients(app: &TestApp, ehr: &portico_tests::fhir_server::FhirServer) {
    use sea_orm::{ConnectionTrait, Statement};
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let rows = owner
        .query_all_raw(Statement::from_string(
            owner.get_database_backend(),
            "SELECT mrn, given_name FROM patients p JOIN tenants t ON t.id = p.tenant_id \
             WHERE t.slug = 'cluster'",
        ))
        .await
        .unwrap();
    let resources: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mrn: String = row.try_get_by_index(0).unwrap();
            let given: String = row.try_get_by_index(1).unwrap();
            json!({ "resourceType": "Patient", "id": format!("cluster-{i}"),
                "identifier": [{ "system": "urn:oid:portico-test-mrn", "value": mrn }],
                "name": [{ "given": [given], "family": "Tester" }], "gender": "unknown",
                "birthDate": "1980-01-02" })
        })
        .collect();
    ehr.seed(&Value::Array(resources)).await;
}

/// One call through the load balancer.
#[derive(Clone, Debug)]
pub struct Call {
    pub what: &'static str,
    pub from: Instant,
    pub to: Instant,
    /// `None` when it succeeded; what went wrong otherwise.
    pub error: Option<String>,
}

/// What the workload did: every call, and what was acknowledged.
#[derive(Default)]
pub struct Log {
    pub calls: Vec<Call>,
    /// Appointment ids the API acknowledged, with the slot booked.
    pub bookings: Vec<(uuid::Uuid, DateTime<Utc>)>,
    /// Message bodies the API acknowledged, with the call's times.
    pub messages: Vec<(String, Instant, Instant)>,
    /// Refill requests the API acknowledged.
    pub refills: Vec<uuid::Uuid>,
}

pub type Shared = Arc<Mutex<Log>>;

fn log_call(log: &Shared, call: Call) {
    log.lock()
        .expect("the log is not poisoned")
        .calls
        .push(call);
}

/// A GraphQL client of the load balancer.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client");
        Self { base, http }
    }

    /// The answer's body, or why there is none (transport, status, or a GraphQL error).
    pub async fn call(&self, token: &str, query: &str, variables: Value) -> Result<Value, String> {
        let res = self
            .http
            .post(format!("{}/graphql", self.base))
            .header("X-Portico-Tenant", SLUG)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| format!("transport: {e}"))?;
        let status = res.status();
        let body: Value = res
            .json()
            .await
            .map_err(|e| format!("HTTP {status}, unreadable body: {e}"))?;
        if !status.is_success() || body.get("errors").is_some() {
            return Err(format!("HTTP {status}: {}", body["errors"]));
        }
        Ok(body)
    }
}

/// A mutation's `userErrors`, as text for the run's log, when it has any.
fn refusal(body: &Value, field: &str) -> Option<String> {
    user_error(body, field).map(|_| body["data"][field]["userErrors"].to_string())
}

/// A patient's loop: book the next free slot every third round, ask for a refill of the
/// next medication every fourth, and write to the care team every round, until `stop`.
pub async fn patient(
    client: Client,
    setup: Arc<Setup>,
    who: usize,
    next_slot: Arc<AtomicUsize>,
    log: Shared,
    stop: CancellationToken,
) {
    let me = &setup.patients[who];
    let mut round = 0usize;
    while !stop.is_cancelled() {
        if round.is_multiple_of(3)
            && let Some(&slot) = setup.slots.get(next_slot.fetch_add(1, Ordering::Relaxed))
        {
            let from = Instant::now();
            let result = client
                .call(
                    &me.signed.access,
                    BOOK,
                    json!({ "input": { "patientId": me.chart, "appointmentTypeId": setup.kind,
                        "providerId": setup.provider, "locationId": setup.location,
                        "start": slot.to_rfc3339() } }),
                )
                .await;
            let to = Instant::now();
            let error = match result {
                Ok(body) => match refusal(&body, "bookAppointment") {
                    Some(e) => Some(format!("refused: {e}")),
                    None => {
                        let id = body["data"]["bookAppointment"]["appointment"]["id"]
                            .as_str()
                            .map(uuid_of);
                        match id {
                            Some(id) => {
                                log.lock().unwrap().bookings.push((id, slot));
                                None
                            }
                            None => Some(format!("no appointment in {body}")),
                        }
                    }
                },
                Err(e) => Some(e),
            };
            log_call(
                &log,
                Call {
                    what: "book",
                    from,
                    to,
                    error,
                },
            );
        }
        if round % 4 == 1
            && let Some(medication) = me.medications.get(round / 4)
        {
            refill(&client, &me.signed, medication, &log).await;
        }
        let body = format!("cluster message {who}-{round}");
        post(&client, &me.signed, &me.thread, &body, &log).await;
        round += 1;
        // A user's pace, not a wait: the load is so many calls a second.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The nurse's loop: answer each patient's thread in turn, until `stop`.
pub async fn nurse(client: Client, setup: Arc<Setup>, log: Shared, stop: CancellationToken) {
    let mut round = 0usize;
    while !stop.is_cancelled() {
        let patient = &setup.patients[round % setup.patients.len()];
        let body = format!("cluster reply {round}");
        post(&client, &setup.nurse, &patient.thread, &body, &log).await;
        round += 1;
        // A user's pace, not a wait.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The practice admin's loop: ask for an EHR sync every few seconds, until `stop` (a run
/// already going is not doubled).
pub async fn syncs(client: Client, setup: Arc<Setup>, log: Shared, stop: CancellationToken) {
    while !stop.is_cancelled() {
        let from = Instant::now();
        let result = client
            .call(
                &setup.admin.access,
                "mutation { syncEhrNow { queued userErrors { code } } }",
                json!({}),
            )
            .await;
        let error = match result {
            Ok(answer) => refusal(&answer, "syncEhrNow").map(|e| format!("refused: {e}")),
            Err(e) => Some(e),
        };
        log_call(
            &log,
            Call {
                what: "sync",
                from,
                to: Instant::now(),
                error,
            },
        );
        // The admin's pace, not a wait.
        tokio::time::sleep(Duration::from_secs(4)).await;
    }
}

async fn refill(client: &Client, who: &Signed, medication: &str, log: &Shared) {
    let from = Instant::now();
    let result = client
        .call(
            &who.access,
            REQUEST_REFILL,
            json!({ "input": { "medicationId": medication, "pharmacy": "Main Street Pharmacy" } }),
        )
        .await;
    let to = Instant::now();
    let error = match result {
        Ok(answer) => match refusal(&answer, "requestRefill") {
            Some(e) => Some(format!("refused: {e}")),
            None => match answer["data"]["requestRefill"]["refillRequest"]["id"].as_str() {
                Some(id) => {
                    log.lock().unwrap().refills.push(uuid_of(id));
                    None
                }
                None => Some(format!("no refill request in {answer}")),
            },
        },
        Err(e) => Some(e),
    };
    log_call(
        log,
        Call {
            what: "refill",
            from,
            to,
            error,
        },
    );
}

async fn post(client: &Client, who: &Signed, thread: &str, body: &str, log: &Shared) {
    let from = Instant::now();
    let result = client
        .call(
            &who.access,
            POST,
            json!({ "input": { "threadId": thread, "body": body, "internal": false } }),
        )
        .await;
    let to = Instant::now();
    let error = match result {
        Ok(answer) => match refusal(&answer, "postMessage") {
            Some(e) => Some(format!("refused: {e}")),
            None if answer["data"]["postMessage"]["message"]["body"] == body => {
                log.lock()
                    .unwrap()
                    .messages
                    .push((body.to_owned(), from, to));
                None
            }
            None => Some(format!("no message in {answer}")),
        },
        Err(e) => Some(e),
    };
    log_call(
        log,
        Call {
            what: "message",
            from,
            to,
            error,
        },
    );
}

/// What a subscriber heard, and when its subscription (re)started.
#[derive(Default)]
pub struct Heard {
    pub bodies: Vec<(String, Instant)>,
    /// When each subscription was acknowledged; more than one means it reconnected.
    pub subscribed: Vec<Instant>,
}

/// A staff member's graphql-ws subscriber on one replica, which, as a browser's client
/// would, connects again and subscribes again whenever its connection or subscription ends.
pub async fn subscriber(
    host: String,
    who: Signed,
    heard: Arc<Mutex<Heard>>,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        let _ = listen_once(&host, &who, &heard, &stop).await;
        tokio::select! {
            () = stop.cancelled() => return,
            // A browser's back-off before it connects again, not a wait.
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
}

/// One connection: until it ends, is refused, or `stop`.
async fn listen_once(
    host: &str,
    who: &Signed,
    heard: &Mutex<Heard>,
    stop: &CancellationToken,
) -> Option<()> {
    let mut request = graphql_ws_request(host);
    request
        .headers_mut()
        .insert("X-Portico-Tenant", HeaderValue::from_static(SLUG));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.ok()?;
    let init = json!({ "type": "connection_init",
        "payload": { "authorization": format!("Bearer {}", who.access) } });
    ws.send(Message::text(init.to_string())).await.ok()?;
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": UPDATES } });
    let mut acknowledged = false;
    loop {
        let frame = tokio::select! {
            () = stop.cancelled() => return Some(()),
            frame = ws.next() => frame?.ok()?,
        };
        let Message::Text(text) = frame else {
            if matches!(frame, Message::Close(_)) {
                return None;
            }
            continue;
        };
        let value: Value = serde_json::from_str(text.as_str()).ok()?;
        match value["type"].as_str() {
            Some("connection_ack") if !acknowledged => {
                acknowledged = true;
                ws.send(Message::text(subscribe.to_string())).await.ok()?;
                heard.lock().unwrap().subscribed.push(Instant::now());
            }
            Some("next") => {
                if let Some(body) =
                    value["payload"]["data"]["threadUpdates"]["message"]["body"].as_str()
                {
                    heard
                        .lock()
                        .unwrap()
                        .bodies
                        .push((body.to_owned(), Instant::now()));
                }
            }
            Some("ping") => {
                ws.send(Message::text(r#"{"type":"pong"}"#)).await.ok()?;
            }
            // The subscription ended (its pub/sub connection dropped) or failed: start over.
            Some("complete") | Some("error") => return None,
            _ => {}
        }
    }
}
