//! The read path under its budgets: a patient's dashboard is answered in at most
//! [`DASHBOARD_STATEMENTS`] database statements and opens no writing transaction (its audit
//! event included), and a burst of concurrent reads of one practice is recorded in full and
//! chained.

use portico_core::{
    TenantTx,
    audit::{self, Filter},
    identity::Role,
    tenancy::Access,
    tenants,
};
use portico_tests::{Signed, TestApp, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    gid,
    records::{record, small_chart},
    scheduling::{book, booked_id, days_ahead, practice, slots, starts},
};

/// The statements one dashboard request may send, `BEGIN` and `COMMIT` and the audit write
/// included. Lower it when the request needs fewer; never raise it to make a change pass.
const DASHBOARD_STATEMENTS: u32 = 8;

const DASHBOARD: &str = include_str!("../../bench/scale/dashboard.graphql");

/// A practice with a patient whose chart has a finished visit, results since it, a
/// prescription to renew (and two that need no renewal), an immunization falling due and a
/// booked visit ahead.
async fn patient_with_a_full_dashboard(app: &TestApp, slug: &str) -> (Signed, String) {
    let p = practice(app, slug).await;
    let (patient, chart) = app.add_user(slug, Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    small_chart(app, &p.admin, &chart).await;
    // Prescriptions that need no renewal: refills left, and stopped.
    for (status, refills) in [("active", 2), ("stopped", 0)] {
        record(
            app,
            &p.admin,
            "recordMedication",
            json!({ "patientId": chart, "status": status, "name": format!("Lisinopril {status}"),
                "dosage": "1 tablet daily", "refillsLeft": refills }),
        )
        .await;
    }
    let day = days_ahead(&p, 3);
    let open = starts(&slots(app, &p.admin.access, slug, &p, day, day).await);
    booked_id(&book(app, &p.admin.access, &p, &chart, open[0]).await);
    (patient, chart)
}

/// The dashboard as `patient`, with its answer and `Server-Timing`'s statement and
/// writing-transaction counts.
async fn dashboard(app: &TestApp, slug: &str, patient: &Signed, chart: &str) -> (Value, u32, u32) {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("X-Portico-Tenant", slug)
        .bearer_auth(&patient.access)
        .json(&json!({ "query": DASHBOARD, "variables": { "patient": chart } }))
        .send()
        .await
        .unwrap();
    let timing = res.headers()["server-timing"].to_str().unwrap().to_owned();
    let count = |name: &str| -> u32 {
        let after = timing
            .split(&format!("{name}="))
            .nth(1)
            .unwrap_or_else(|| panic!("no {name} in {timing}"));
        after
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (statements, writes) = (count("statements"), count("write-transactions"));
    (res.json().await.unwrap(), statements, writes)
}

#[tokio::test]
async fn a_dashboard_request_stays_within_its_statement_budget_and_writes_no_transaction() {
    let app = spawn_app().await;
    let (patient, chart) = patient_with_a_full_dashboard(&app, "budget").await;
    // The first request loads the practice's policies; the budget is for the ones after.
    dashboard(&app, "budget", &patient, &chart).await;

    let (body, statements, writes) = dashboard(&app, "budget", &patient, &chart).await;
    assert!(body["errors"].is_null(), "{body}");
    let d = &body["data"]["patient"]["dashboard"];
    assert!(d["lastVisit"]["id"].is_string(), "{body}");
    assert_eq!(d["newResults"].as_array().map(Vec::len), Some(2), "{body}");
    assert_eq!(d["reminders"].as_array().map(Vec::len), Some(2), "{body}");
    let next = &d["nextAppointments"][0];
    assert_eq!(next["status"], "BOOKED", "{body}");
    assert!(next["provider"]["displayName"].is_string(), "{body}");
    assert!(next["location"]["name"].is_string(), "{body}");
    assert_eq!(next["appointmentType"]["name"], "Follow-up", "{body}");
    assert!(
        statements <= DASHBOARD_STATEMENTS,
        "the dashboard sent {statements} statements; its budget is {DASHBOARD_STATEMENTS}"
    );
    assert_eq!(writes, 0, "the dashboard opened a writing transaction");
}

#[tokio::test]
async fn every_read_in_a_burst_of_concurrent_reads_is_audited_and_the_chain_verifies() {
    const READS: usize = 24;
    let app = spawn_app().await;
    let (patient, chart) = patient_with_a_full_dashboard(&app, "burst").await;
    let answers = futures::future::join_all((0..READS).map(|_| {
        app.client
            .post(app.url("/graphql"))
            .header("X-Portico-Tenant", "burst")
            .bearer_auth(&patient.access)
            .json(&json!({ "query": DASHBOARD, "variables": { "patient": chart } }))
            .send()
    }))
    .await;
    let mut request_ids = Vec::new();
    for answer in answers {
        let answer = answer.unwrap();
        request_ids.push(
            answer.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
        let body: Value = answer.json().await.unwrap();
        assert!(body["errors"].is_null(), "{body}");
    }

    let db = app.db();
    let tenant = tenants::find_by_slug(&db, "burst").await.unwrap().unwrap();
    let tx = TenantTx::begin(&db, &tenant.scope(), Access::Write)
        .await
        .unwrap();
    let report = audit::verify_chain(&tx).await.unwrap();
    let events = audit::search(&tx, &Filter::default(), 10_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(report.first_broken_seq, None, "{report:?}");
    assert_eq!(report.events as usize, events.len());
    for id in &request_ids {
        let reads = events
            .iter()
            .filter(|e| e.request_id.as_deref() == Some(id) && e.action == "dashboard.read")
            .count();
        assert_eq!(reads, 1, "request {id} has {reads} dashboard.read events");
    }
    // The chain is one unbroken sequence: no event sealed twice, none skipped.
    let mut seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>());
}
