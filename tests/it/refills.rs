//! Prescription refills: a patient asks for a refill of an active medication of their own
//! chart (one pending request per medication), the routing job sends it by the practice's
//! rules (once, however often the job is delivered), staff decide with clear codes for bad
//! input, and the patient is told there is an update with no PHI in the message.

use chrono::{DateTime, Duration, Utc};
use portico_core::{
    TenantTx, UserId,
    audit::Actor,
    entities::{care_team_pool, care_team_pool_member, schedule_block},
    identity::Role,
    notify::Portal,
    outbox,
    refills::{request, routing},
    tenancy::Access,
    tenants,
};
use portico_tests::{Signed, TestApp, TestDatabase, error_code, spawn_app, start, wait_until};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    gid,
    records::{GRANT_PROXY, REQUEST_REFILL, record},
    scheduling::{SAVE_PROVIDER, practice},
    user_error, uuid_of,
};

const MINE: &str = "query($patient: ID!) { refillRequests(patientId: $patient) {
    id status route reason approvedQuantity approvedRefills assignedUserId assignedPoolId
    routingReason { code message } medication { id name } } }";
const QUEUE: &str = "query($status: String, $pool: ID, $overdue: Boolean) {
    refillQueue(status: $status, poolId: $pool, overdue: $overdue) {
    id status route assignedPoolId assignedUserId dueAt routedAt overdue restricted
    medication { id name } } }";
const DECIDE: &str = "mutation($input: DecideRefillInput!) { decideRefill(input: $input) {
    refillRequest { id status approvedQuantity approvedRefills reason }
    userErrors { field code message } } }";
const SETTINGS: &str = "mutation($input: UpdateRefillSettingsInput!) {
    updateRefillSettings(input: $input) { turnaroundHours poolId userErrors { field code } } }";
const COVERING: &str = "mutation($input: SetCoveringProviderInput!) {
    setCoveringProvider(input: $input) { coveringProviderId userErrors { field code } } }";
const ME: &str = "{ me { userId } }";

async fn gql(app: &TestApp, who: &Signed, query: &str, vars: Value) -> Value {
    app.gql_as(&who.slug, &who.access, query, vars).await.1
}

async fn owner(app: &TestApp) -> DatabaseConnection {
    sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap()
}

async fn tenant_id(app: &TestApp, slug: &str) -> Uuid {
    tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap()
        .id()
        .as_uuid()
}

async fn user_id(app: &TestApp, who: &Signed) -> Uuid {
    let body = gql(app, who, ME, json!({})).await;
    uuid_of(body["data"]["me"]["userId"].as_str().unwrap())
}

/// A care-team pool of the practice (pools are managed with messaging; tests write them).
async fn pool(
    app: &TestApp,
    slug: &str,
    name: &str,
    provider: Option<Uuid>,
    members: &[Uuid],
) -> Uuid {
    let db = owner(app).await;
    let tenant = tenant_id(app, slug).await;
    let id = Uuid::now_v7();
    care_team_pool::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(id),
        name: Set(name.to_owned()),
        kind: Set(if provider.is_some() {
            "provider"
        } else {
            "nurse_line"
        }
        .to_owned()),
        provider_id: Set(provider),
        active: Set(true),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    }
    .insert(&db)
    .await
    .unwrap();
    for member in members {
        care_team_pool_member::ActiveModel {
            tenant_id: Set(tenant),
            id: Set(Uuid::now_v7()),
            pool_id: Set(id),
            user_id: Set(*member),
            created_at: Set(Utc::now()),
        }
        .insert(&db)
        .await
        .unwrap();
    }
    id
}

/// Time off for a provider from an hour ago to tomorrow.
async fn time_off(app: &TestApp, slug: &str, provider: Uuid) {
    let db = owner(app).await;
    schedule_block::ActiveModel {
        tenant_id: Set(tenant_id(app, slug).await),
        id: Set(Uuid::now_v7()),
        provider_id: Set(Some(provider)),
        kind: Set("time_off".to_owned()),
        starts_at: Set(Utc::now() - Duration::hours(1)),
        ends_at: Set(Utc::now() + Duration::days(1)),
        note: Set(None),
        created_by: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(&db)
    .await
    .unwrap();
}

/// A provider with a staff account and their own pool.
struct Clinician {
    signed: Signed,
    user: Uuid,
    provider: Uuid,
    pool: Uuid,
}

async fn clinician(app: &TestApp, admin: &Signed, name: &str) -> Clinician {
    let (signed, _) = app.add_user(&admin.slug, Role::Provider).await;
    let user = user_id(app, &signed).await;
    let body = gql(
        app,
        admin,
        SAVE_PROVIDER,
        json!({ "input": { "displayName": name, "userId": gid("User", user) } }),
    )
    .await;
    let provider = uuid_of(
        body["data"]["saveProvider"]["provider"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}")),
    );
    let pool = pool(
        app,
        &admin.slug,
        &format!("{name} team"),
        Some(provider),
        &[user],
    )
    .await;
    Clinician {
        signed,
        user,
        provider,
        pool,
    }
}

/// Records a medication on `chart`; returns its global id.
async fn medication(app: &TestApp, staff: &Signed, chart: &str, input: Value) -> String {
    let mut full = json!({ "patientId": chart, "status": "active", "name": "Lisinopril 10 mg tablet",
        "dosage": "1 tablet daily", "refillsLeft": 3, "prescriberName": "Dr. Outside" });
    for (k, v) in input.as_object().unwrap() {
        full[k] = v.clone();
    }
    let saved = record(app, staff, "recordMedication", full).await;
    saved["medication"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{saved}"))
        .to_owned()
}

async fn ask(app: &TestApp, who: &Signed, medication: &str, pharmacy: &str) -> Value {
    gql(
        app,
        who,
        REQUEST_REFILL,
        json!({ "input": { "medicationId": medication, "pharmacy": pharmacy,
                           "note": "Running low" } }),
    )
    .await
}

fn asked_id(body: &Value) -> String {
    body["data"]["requestRefill"]["refillRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("not requested: {body}"))
        .to_owned()
}

async fn requests_of(app: &TestApp, who: &Signed, chart: &str) -> Vec<Value> {
    let body = gql(app, who, MINE, json!({ "patient": chart })).await;
    body["data"]["refillRequests"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

/// Waits until the routing job has handled request `id` (its status leaves `requested`).
async fn routed(app: &TestApp, staff: &Signed, chart: &str, id: &str) -> Value {
    wait_until(
        &format!("refill {id} routed"),
        std::time::Duration::from_secs(30),
        async || {
            let found = requests_of(app, staff, chart).await;
            found
                .into_iter()
                .find(|r| r["id"] == json!(id) && r["status"] != "requested")
        },
    )
    .await
}

async fn queue(app: &TestApp, who: &Signed, vars: Value) -> Value {
    gql(app, who, QUEUE, vars).await
}

async fn decide(app: &TestApp, who: &Signed, input: Value) -> Value {
    gql(app, who, DECIDE, json!({ "input": input })).await
}

#[tokio::test]
async fn requests_are_routed_by_the_practice_rules_through_the_job() {
    let app = spawn_app().await;
    let p = practice(&app, "refillroute").await;
    let admin = &p.admin;
    let lee = clinician(&app, admin, "Dr. Lee").await;
    let kim = clinician(&app, admin, "Dr. Kim").await;
    let nurses = pool(&app, "refillroute", "Nurse line", None, &[]).await;
    let settings = gql(
        &app,
        admin,
        SETTINGS,
        json!({ "input": { "turnaroundHours": 24, "poolId": gid("CareTeamPool", nurses) } }),
    )
    .await;
    assert_eq!(
        settings["data"]["updateRefillSettings"],
        json!({ "turnaroundHours": 24, "poolId": gid("CareTeamPool", nurses), "userErrors": [] })
    );
    let covering = gql(
        &app,
        admin,
        COVERING,
        json!({ "input": { "providerId": gid("Provider", lee.provider),
                           "coveringProviderId": gid("Provider", kim.provider) } }),
    )
    .await;
    assert_eq!(
        covering["data"]["setCoveringProvider"]["coveringProviderId"],
        json!(gid("Provider", kim.provider)),
        "{covering}"
    );
    let (patient, chart) = app.add_user("refillroute", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let by_lee = json!(gid("User", lee.user));

    // (medication, expected route, status, pool, assignee, reason)
    let cases = [
        (
            json!({ "name": "Atorvastatin 20 mg", "prescriberId": by_lee, "refillsLeft": 2 }),
            "prescriber",
            "routed",
            Some(lee.pool),
            Some(lee.user),
            "PRESCRIBER",
        ),
        (
            json!({ "name": "Metformin 500 mg", "prescriberId": by_lee, "refillsLeft": 0 }),
            "renewal",
            "routed",
            Some(lee.pool),
            Some(lee.user),
            "PRESCRIBER",
        ),
        (
            json!({ "name": "Oxycodone 5 mg", "prescriberId": by_lee, "controlled": true }),
            "visit",
            "needs_appointment",
            Some(lee.pool),
            None,
            "CONTROLLED_SUBSTANCE",
        ),
        (
            json!({ "name": "Levothyroxine 50 mcg", "refillsLeft": 5 }),
            "pool",
            "routed",
            Some(nurses),
            None,
            "PRESCRIBER_NOT_A_PROVIDER",
        ),
    ];
    for (input, route, status, pool, user, reason) in cases {
        let name = input["name"].as_str().unwrap().to_owned();
        let med = medication(&app, admin, &chart, input).await;
        let id = asked_id(&ask(&app, &patient, &med, "Main Street Pharmacy").await);
        let got = routed(&app, admin, &chart, &id).await;
        assert_eq!(got["route"], route, "{name}: {got}");
        assert_eq!(got["status"], status, "{name}: {got}");
        assert_eq!(got["routingReason"]["code"], reason, "{name}: {got}");
        let why = got["routingReason"]["message"].as_str().unwrap_or_default();
        assert!(!why.contains(&name) && !why.contains("Lee"), "{why}");
        assert_eq!(
            why.starts_with("No refills are left"),
            route == "renewal",
            "{why}"
        );
        assert_eq!(
            got["assignedUserId"],
            json!(user.map(|u| gid("User", u))),
            "{name}: {got}"
        );
        // Staff see it in its pool's queue, due a turnaround after routing.
        let listed = queue(
            &app,
            admin,
            json!({ "status": status, "pool": pool.map(|p| gid("CareTeamPool", p)) }),
        )
        .await;
        let entry = listed["data"]["refillQueue"]
            .as_array()
            .unwrap_or_else(|| panic!("{listed}"))
            .iter()
            .find(|r| r["id"] == json!(id))
            .unwrap_or_else(|| panic!("{name} not in its pool's queue: {listed}"))
            .clone();
        assert_eq!(entry["medication"]["name"], json!(name));
        let at = |f: &str| DateTime::parse_from_rfc3339(entry[f].as_str().unwrap()).unwrap();
        assert_eq!(at("dueAt") - at("routedAt"), Duration::hours(24), "{entry}");
        assert_eq!(entry["overdue"], false);
    }
    // A controlled substance: the patient is asked to book a visit, with no PHI.
    let mail = app.wait_for_email_to(&patient.email).await;
    assert!(
        mail.contains("Please book a visit with refillroute practice"),
        "{mail}"
    );
    assert!(mail.contains("/t/refillroute/book"), "{mail}");
    for phi in ["Oxycodone", "Lee", "Pharmacy", "Running low"] {
        assert!(!mail.contains(phi), "{phi} in {mail}");
    }

    // Dr. Lee away: his refills go to Dr. Kim, who covers for him.
    time_off(&app, "refillroute", lee.provider).await;
    let med = medication(
        &app,
        admin,
        &chart,
        json!({ "name": "Amlodipine 5 mg", "prescriberId": by_lee }),
    )
    .await;
    let id = asked_id(&ask(&app, &patient, &med, "Main Street Pharmacy").await);
    let got = routed(&app, admin, &chart, &id).await;
    assert_eq!(got["route"], "covering", "{got}");
    assert_eq!(got["assignedUserId"], json!(gid("User", kim.user)));
    assert_eq!(got["routingReason"]["code"], "COVERING_PROVIDER", "{got}");
    let kims = queue(
        &app,
        &kim.signed,
        json!({ "pool": gid("CareTeamPool", kim.pool) }),
    )
    .await;
    assert_eq!(kims["data"]["refillQueue"][0]["id"], json!(id), "{kims}");
    // The patient sees the status, not where it went.
    let mine = requests_of(&app, &patient, &chart).await;
    assert_eq!(mine.len(), 5);
    assert!(mine.iter().all(|r| r["route"].is_null()
        && r["assignedUserId"].is_null()
        && r["routingReason"].is_null()));
}

#[tokio::test]
async fn a_duplicate_routing_job_assigns_a_request_once() {
    // No workers: the deliveries below are the only ones (the sweep would route it too).
    let database = TestDatabase::create().await;
    let app = start(database.config(), database, false).await;
    app.ready().await;
    let p = practice(&app, "refilltwice").await;
    let lee = clinician(&app, &p.admin, "Dr. Lee").await;
    let (patient, chart_uuid) = app.add_user("refilltwice", Role::Patient).await;
    let chart = gid("Patient", chart_uuid.unwrap());
    let med = medication(
        &app,
        &p.admin,
        &chart,
        json!({ "prescriberId": gid("User", lee.user) }),
    )
    .await;
    let patient_user = user_id(&app, &patient).await;
    // Written directly (no relay is asked for), then routed by two deliveries at once.
    let tenant = tenants::find_by_slug(&app.db(), "refilltwice")
        .await
        .unwrap()
        .unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    let created = request::request(
        &tx,
        &Actor::user(patient_user),
        UserId::from_uuid(patient_user),
        request::RefillInput {
            medication_id: uuid_of(&med),
            pharmacy: "Corner Pharmacy".to_owned(),
            note: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let portal = Portal::new("http://portal.test", "refilltwice");
    let deliver = || {
        let (db, scope, portal) = (app.db(), tenant.scope(), portal.clone());
        async move {
            let tx = TenantTx::begin(&db, &scope, Access::Write).await.unwrap();
            let routed = routing::route(&tx, &portal, created.id, Utc::now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            routed
        }
    };
    // A request still unrouted half a minute on (`REROUTE_AFTER`) is routed again by the sweep.
    let queue = app.services().queue;
    let db = app.db();
    let stale = || portico_jobs::refills::reroute_stale(&db, queue.as_ref(), tenant.id());
    assert_eq!(
        stale().await.unwrap(),
        0,
        "a fresh request waits for its own job"
    );
    app.backdate(
        "refill_requests",
        "created_at",
        created.id,
        Utc::now() - chrono::Duration::minutes(11),
    )
    .await;
    assert_eq!(stale().await.unwrap(), 1);
    let (first, second) = tokio::join!(deliver(), deliver());
    let assigned: Vec<_> = [first, second].into_iter().flatten().collect();
    assert_eq!(assigned.len(), 1, "{assigned:?}");
    assert_eq!(assigned[0].assigned_user_id, Some(lee.user));
    // A third delivery, later (the queue's own copy of the job), changes nothing either.
    assert!(deliver().await.is_none());
    assert_eq!(
        stale().await.unwrap(),
        0,
        "a routed request is not routed again"
    );
    let listed = requests_of(&app, &p.admin, &chart).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "routed");
    assert_eq!(listed[0]["route"], "prescriber");
}

#[tokio::test]
async fn one_pending_request_per_medication_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let p = practice(&app, "refillonce").await;
    let (patient, chart) = app.add_user("refillonce", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let med = medication(&app, &p.admin, &chart, json!({})).await;
    let stopped = medication(&app, &p.admin, &chart, json!({ "status": "stopped" })).await;

    for (med, pharmacy, note, code) in [
        (&stopped, "Corner Pharmacy", None, "MEDICATION_NOT_ACTIVE"),
        (&med, "   ", None, "INVALID_PHARMACY"),
        (&med, &"p".repeat(201), None, "INVALID_PHARMACY"),
        (
            &med,
            "Corner Pharmacy",
            Some("n".repeat(1001)),
            "NOTE_TOO_LONG",
        ),
    ] {
        let body = gql(
            &app,
            &patient,
            REQUEST_REFILL,
            json!({ "input": { "medicationId": med, "pharmacy": pharmacy, "note": note } }),
        )
        .await;
        assert_eq!(user_error(&body, "requestRefill"), Some(code), "{body}");
    }
    assert!(requests_of(&app, &patient, &chart).await.is_empty());

    // Two at once: one lands, the other is refused with its code.
    let (a, b) = tokio::join!(
        ask(&app, &patient, &med, "Corner Pharmacy"),
        ask(&app, &patient, &med, "Corner Pharmacy")
    );
    let codes: Vec<Option<&str>> = [&a, &b]
        .iter()
        .map(|body| user_error(body, "requestRefill"))
        .collect();
    assert!(
        codes.contains(&None) && codes.contains(&Some("REFILL_ALREADY_PENDING")),
        "{a} {b}"
    );
    let again = ask(&app, &patient, &med, "Other Pharmacy").await;
    assert_eq!(
        user_error(&again, "requestRefill"),
        Some("REFILL_ALREADY_PENDING")
    );
    let mine = requests_of(&app, &patient, &chart).await;
    assert_eq!(mine.len(), 1, "{mine:?}");

    // Once decided, the medication can be asked for again.
    let id = mine[0]["id"].as_str().unwrap().to_owned();
    routed(&app, &p.admin, &chart, &id).await;
    let denied = decide(
        &app,
        &p.admin,
        json!({ "id": id, "decision": "DENY", "reason": "Please see us first" }),
    )
    .await;
    assert_eq!(
        denied["data"]["decideRefill"]["refillRequest"]["status"],
        "denied"
    );
    asked_id(&ask(&app, &patient, &med, "Corner Pharmacy").await);
    assert_eq!(requests_of(&app, &patient, &chart).await.len(), 2);
}

#[tokio::test]
async fn another_patients_medication_is_not_found_and_a_grant_without_refills_says_so() {
    let app = spawn_app().await;
    let p = practice(&app, "refillother").await;
    let (alice, alice_chart) = app.add_user("refillother", Role::Patient).await;
    let alice_chart = gid("Patient", alice_chart.unwrap());
    let (bob, bob_chart) = app.add_user("refillother", Role::Patient).await;
    let bob_chart = gid("Patient", bob_chart.unwrap());
    let med = medication(&app, &p.admin, &alice_chart, json!({})).await;

    let refused = ask(&app, &bob, &med, "Corner Pharmacy").await;
    assert_eq!(error_code(&refused), Some("NOT_FOUND"), "{refused}");
    let (_, peek) = app
        .gql_as(
            "refillother",
            &bob.access,
            MINE,
            json!({ "patient": alice_chart }),
        )
        .await;
    assert_eq!(error_code(&peek), Some("NOT_FOUND"), "{peek}");
    assert!(requests_of(&app, &alice, &alice_chart).await.is_empty());
    assert!(requests_of(&app, &bob, &bob_chart).await.is_empty());

    // A grant to read is not one to ask for refills; one with `REFILLS` is.
    let grant = |scopes: Value| {
        let (app, alice, chart, email) = (&app, &alice, &alice_chart, bob.email.clone());
        async move {
            let body = gql(
                app,
                alice,
                GRANT_PROXY,
                json!({ "chart": chart, "email": email, "scopes": scopes }),
            )
            .await;
            assert!(
                body["data"]["grantProxyAccess"]["grant"].is_object(),
                "{body}"
            );
        }
    };
    grant(json!(["READ"])).await;
    let read_only = ask(&app, &bob, &med, "Corner Pharmacy").await;
    assert_eq!(
        error_code(&read_only),
        Some("PROXY_SCOPE_DENIED"),
        "{read_only}"
    );
    assert_eq!(read_only["errors"][0]["extensions"]["scope"], "REFILLS");
    assert!(
        read_only["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("refills") && !m.contains("Lisinopril")),
        "{read_only}"
    );
    assert!(requests_of(&app, &alice, &alice_chart).await.is_empty());
    grant(json!(["READ", "REFILLS"])).await;
    asked_id(&ask(&app, &bob, &med, "Corner Pharmacy").await);
    assert_eq!(requests_of(&app, &bob, &alice_chart).await.len(), 1);
    assert_eq!(requests_of(&app, &alice, &alice_chart).await.len(), 1);
    // A grant with only `REFILLS` lets its holder follow what they ask for.
    let (carol, _) = app.add_user("refillother", Role::Patient).await;
    let body = gql(
        &app,
        &alice,
        GRANT_PROXY,
        json!({ "chart": alice_chart, "email": carol.email, "scopes": ["REFILLS"] }),
    )
    .await;
    assert!(
        body["data"]["grantProxyAccess"]["grant"].is_object(),
        "{body}"
    );
    let second = medication(
        &app,
        &p.admin,
        &alice_chart,
        json!({ "name": "Losartan 50 mg" }),
    )
    .await;
    asked_id(&ask(&app, &carol, &second, "Corner Pharmacy").await);
    assert_eq!(requests_of(&app, &carol, &alice_chart).await.len(), 2);
    // Patients cannot see the queue.
    let (_, forbidden) = app
        .gql_as("refillother", &alice.access, QUEUE, json!({}))
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
}

#[tokio::test]
async fn decisions_reach_patient_and_staff_with_no_phi_and_bad_input_has_codes() {
    let app = spawn_app().await;
    let p = practice(&app, "refilldecide").await;
    let lee = clinician(&app, &p.admin, "Dr. Lee").await;
    let (staff, _) = app.add_user("refilldecide", Role::Staff).await;
    let (patient, chart) = app.add_user("refilldecide", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let med = medication(
        &app,
        &p.admin,
        &chart,
        json!({ "name": "Sertraline 50 mg tablet", "prescriberId": gid("User", lee.user) }),
    )
    .await;
    let id = asked_id(&ask(&app, &patient, &med, "Corner Pharmacy").await);
    routed(&app, &p.admin, &chart, &id).await;

    // Staff see the queue but do not decide.
    let listed = queue(&app, &staff, json!({})).await;
    assert_eq!(
        listed["data"]["refillQueue"][0]["id"],
        json!(id),
        "{listed}"
    );
    let forbidden = decide(
        &app,
        &staff,
        json!({ "id": id, "decision": "APPROVE", "quantity": 30, "refills": 1 }),
    )
    .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"), "{forbidden}");

    for (input, field, code) in [
        (
            json!({ "decision": "APPROVE", "refills": 1 }),
            "quantity",
            "INVALID_QUANTITY",
        ),
        (
            json!({ "decision": "APPROVE", "quantity": 0, "refills": 1 }),
            "quantity",
            "INVALID_QUANTITY",
        ),
        (
            json!({ "decision": "APPROVE", "quantity": 30, "refills": -1 }),
            "refills",
            "INVALID_REFILLS",
        ),
        (
            json!({ "decision": "APPROVE", "quantity": 30 }),
            "refills",
            "INVALID_REFILLS",
        ),
        (json!({ "decision": "DENY" }), "reason", "REASON_REQUIRED"),
        (
            json!({ "decision": "DENY", "reason": "  " }),
            "reason",
            "REASON_REQUIRED",
        ),
    ] {
        let mut input = input;
        input["id"] = json!(id);
        let body = decide(&app, &lee.signed, input).await;
        assert_eq!(
            body["data"]["decideRefill"]["userErrors"][0],
            json!({ "field": field, "code": code,
                    "message": body["data"]["decideRefill"]["userErrors"][0]["message"] }),
            "{body}"
        );
    }
    let pending = requests_of(&app, &patient, &chart).await;
    assert_eq!(pending[0]["status"], "routed", "{pending:?}");
    assert!(app.last_email_to(&patient.email).is_none());

    let approved = decide(
        &app,
        &lee.signed,
        json!({ "id": id, "decision": "APPROVE", "quantity": 30, "refills": 2 }),
    )
    .await;
    assert_eq!(
        approved["data"]["decideRefill"]["refillRequest"],
        json!({ "id": id, "status": "approved", "approvedQuantity": 30, "approvedRefills": 2,
                "reason": null }),
        "{approved}"
    );
    let twice = decide(
        &app,
        &p.admin,
        json!({ "id": id, "decision": "DENY", "reason": "Changed my mind" }),
    )
    .await;
    assert_eq!(
        user_error(&twice, "decideRefill"),
        Some("REFILL_ALREADY_DECIDED")
    );

    // The patient sees the decision; staff see it among approved ones.
    let mine = requests_of(&app, &patient, &chart).await;
    assert_eq!(mine[0]["status"], "approved");
    assert_eq!(mine[0]["approvedQuantity"], 30);
    assert_eq!(mine[0]["medication"]["name"], "Sertraline 50 mg tablet");
    let done = queue(&app, &staff, json!({ "status": "approved" })).await;
    assert_eq!(
        done["data"]["refillQueue"][0]["status"], "approved",
        "{done}"
    );
    assert_eq!(
        queue(&app, &staff, json!({})).await["data"]["refillQueue"],
        json!([])
    );

    // Told that there is an update, with a link to the portal, and nothing else.
    let mail = app.wait_for_email_to(&patient.email).await;
    assert!(
        mail.contains("There is an update on your refill request"),
        "{mail}"
    );
    assert!(mail.contains("/t/refilldecide/refills"), "{mail}");
    for phi in [
        "Sertraline",
        "50 mg",
        "Corner Pharmacy",
        "Running low",
        "Lee",
    ] {
        assert!(!mail.contains(phi), "{phi} in {mail}");
    }

    // A denial's reason is the patient's to read.
    let second = asked_id(&ask(&app, &patient, &med, "Corner Pharmacy").await);
    routed(&app, &p.admin, &chart, &second).await;
    decide(
        &app,
        &p.admin,
        json!({ "id": second, "decision": "DENY", "reason": "Please book a check-up first" }),
    )
    .await;
    let mine = requests_of(&app, &patient, &chart).await;
    let denied = mine.iter().find(|r| r["id"] == json!(second)).unwrap();
    assert_eq!(denied["status"], "denied");
    assert_eq!(denied["reason"], "Please book a check-up first");

    // The routing jobs went through the outbox without counting as sent messages, and each
    // decision waits there for the EHR write-back, which the relay leaves alone.
    let tenant = tenants::find_by_slug(&app.db(), "refilldecide")
        .await
        .unwrap()
        .unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Read)
        .await
        .unwrap();
    let rows = outbox::all(&tx).await.unwrap();
    let jobs: Vec<_> = rows.iter().filter(|m| m.channel == outbox::JOB).collect();
    assert_eq!(jobs.len(), 2);
    assert!(
        jobs.iter()
            .all(|m| m.relayed_at.is_some() && m.delivered_at.is_some())
    );
    // No write-back is queued for a practice without an EHR connection (the EHR tests
    // cover one with).
    assert!(rows.iter().all(|m| m.channel != outbox::EHR));
    let emails = rows
        .iter()
        .filter(|m| m.channel == outbox::EMAIL && m.relayed_at.is_some())
        .count() as u64;
    assert_eq!(
        outbox::relayed_since(&tx, Utc::now() - Duration::hours(1))
            .await
            .unwrap(),
        emails
    );
    assert!(
        outbox::pending(&tx, 100)
            .await
            .unwrap()
            .iter()
            .all(|m| m.channel != outbox::EHR)
    );
    assert!(outbox::failed(&tx, 100).await.unwrap().is_empty());
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn routing_jobs_go_out_past_a_spent_sending_limit_that_still_holds_messages() {
    let app = spawn_app().await;
    let p = practice(&app, "refilllimit").await;
    let limit = gql(
        &app,
        &p.admin,
        "mutation { updateNotificationSettings(input: { sendingLimitPerHour: 1 }) {
            userErrors { code } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        limit["data"]["updateNotificationSettings"]["userErrors"],
        json!([]),
        "{limit}"
    );
    let (patient, chart) = app.add_user("refilllimit", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let first = medication(&app, &p.admin, &chart, json!({})).await;
    let second = medication(&app, &p.admin, &chart, json!({ "name": "Losartan 25 mg" })).await;

    // The first decision's email spends the hour's one message.
    let id = asked_id(&ask(&app, &patient, &first, "Corner Pharmacy").await);
    routed(&app, &p.admin, &chart, &id).await;
    decide(
        &app,
        &p.admin,
        json!({ "id": id, "decision": "APPROVE", "quantity": 30, "refills": 0 }),
    )
    .await;
    app.wait_for_email_to(&patient.email).await;

    // Routing still runs: its job is not a message.
    let id = asked_id(&ask(&app, &patient, &second, "Corner Pharmacy").await);
    let got = routed(&app, &p.admin, &chart, &id).await;
    assert_eq!(got["route"], "pool", "{got}");
    let approved = decide(
        &app,
        &p.admin,
        json!({ "id": id, "decision": "APPROVE", "quantity": 30, "refills": 0 }),
    )
    .await;
    assert_eq!(
        approved["data"]["decideRefill"]["refillRequest"]["status"],
        "approved"
    );
    // Only the email counts against the limit; both routing jobs went out past it.
    let tenant = tenants::find_by_slug(&app.db(), "refilllimit")
        .await
        .unwrap()
        .unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Read)
        .await
        .unwrap();
    let since = Utc::now() - Duration::hours(1);
    assert_eq!(outbox::relayed_since(&tx, since).await.unwrap(), 1);
    let jobs = outbox::all(&tx)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.channel == outbox::JOB && m.delivered_at.is_some())
        .count();
    assert_eq!(jobs, 2);
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn a_restricted_charts_request_stays_queued_without_its_medication_until_the_glass_is_broken()
{
    let app = spawn_app().await;
    let p = practice(&app, "refillvip").await;
    let lee = clinician(&app, &p.admin, "Dr. Lee").await;
    let (patient, chart) = app.add_user("refillvip", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let med = medication(
        &app,
        &p.admin,
        &chart,
        json!({ "name": "Bupropion 150 mg" }),
    )
    .await;
    let id = asked_id(&ask(&app, &patient, &med, "Corner Pharmacy").await);
    routed(&app, &p.admin, &chart, &id).await;
    let restrict = gql(
        &app,
        &p.admin,
        "mutation($chart: ID!) { setChartRestriction(input: { patientId: $chart, category: \"vip\" }) {
            userErrors { code } } }",
        json!({ "chart": chart }),
    )
    .await;
    assert_eq!(
        restrict["data"]["setChartRestriction"]["userErrors"],
        json!([]),
        "{restrict}"
    );

    // Dr. Lee is not on the chart's care team: the request is listed, its medication is not.
    let listed = queue(&app, &lee.signed, json!({})).await;
    let entry = &listed["data"]["refillQueue"][0];
    assert_eq!(entry["id"], json!(id), "{listed}");
    assert_eq!(entry["medication"], Value::Null, "{listed}");
    assert_eq!(entry["restricted"], true, "{listed}");
    let decided = decide(
        &app,
        &lee.signed,
        json!({ "id": id, "decision": "APPROVE", "quantity": 30, "refills": 1 }),
    )
    .await;
    assert_eq!(
        error_code(&decided),
        Some("BREAK_GLASS_REQUIRED"),
        "{decided}"
    );
    // The practice admin opens restricted charts without more.
    let admins = queue(&app, &p.admin, json!({})).await;
    assert_eq!(admins["data"]["refillQueue"][0]["restricted"], false);
    assert_eq!(
        admins["data"]["refillQueue"][0]["medication"]["name"],
        "Bupropion 150 mg"
    );
}

#[tokio::test]
async fn a_prescriber_who_is_a_pool_member_takes_their_refills_and_staff_see_why() {
    let app = spawn_app().await;
    let p = practice(&app, "refillmember").await;
    let admin = &p.admin;
    let nurses = pool(&app, "refillmember", "Nurse line", None, &[]).await;
    gql(
        &app,
        admin,
        SETTINGS,
        json!({ "input": { "poolId": gid("CareTeamPool", nurses) } }),
    )
    .await;
    // Dr. Ng is a provider with a staff account, in the "Family medicine" pool as a member;
    // no pool is tied to her as its provider.
    let (ng, _) = app.add_user("refillmember", Role::Provider).await;
    let ng_user = user_id(&app, &ng).await;
    let saved = gql(
        &app,
        admin,
        SAVE_PROVIDER,
        json!({ "input": { "displayName": "Dr. Ng", "userId": gid("User", ng_user) } }),
    )
    .await;
    let ng_provider = uuid_of(
        saved["data"]["saveProvider"]["provider"]["id"]
            .as_str()
            .unwrap(),
    );
    let family = pool(&app, "refillmember", "Family medicine", None, &[ng_user]).await;
    let (patient, chart) = app.add_user("refillmember", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());

    let ask_for = |name: &'static str| {
        let (app, admin, patient, chart) = (&app, admin, &patient, &chart);
        async move {
            let med = medication(
                app,
                admin,
                chart,
                json!({ "name": name, "prescriberId": gid("User", ng_user) }),
            )
            .await;
            let id = asked_id(&ask(app, patient, &med, "Main Street Pharmacy").await);
            routed(app, admin, chart, &id).await
        }
    };
    let got = ask_for("Atorvastatin 20 mg").await;
    assert_eq!(got["route"], "prescriber", "{got}");
    assert_eq!(got["assignedUserId"], json!(gid("User", ng_user)), "{got}");
    assert_eq!(
        got["assignedPoolId"],
        json!(gid("CareTeamPool", family)),
        "{got}"
    );
    assert_eq!(got["routingReason"]["code"], "PRESCRIBER", "{got}");

    // Away with nobody covering: the refill pool, and the reason says so.
    time_off(&app, "refillmember", ng_provider).await;
    let got = ask_for("Amlodipine 5 mg").await;
    assert_eq!(got["route"], "pool", "{got}");
    assert_eq!(
        got["assignedPoolId"],
        json!(gid("CareTeamPool", nurses)),
        "{got}"
    );
    assert_eq!(got["assignedUserId"], Value::Null, "{got}");
    assert_eq!(
        got["routingReason"]["code"], "PRESCRIBER_AWAY_UNCOVERED",
        "{got}"
    );
    let why = got["routingReason"]["message"].as_str().unwrap();
    assert!(why.contains("time off") && !why.contains("Ng"), "{why}");
}

#[tokio::test]
async fn refill_settings_and_covering_providers_read_back_as_written_by_those_who_may_write() {
    let app = spawn_app().await;
    let p = practice(&app, "refillread").await;
    let admin = &p.admin;
    const READ: &str = "{ refillSettings { turnaroundHours poolId } }";
    const PROVIDERS: &str = "{ providers { id userId coveringProviderId } }";
    // Defaults before anything is set.
    let before = gql(&app, admin, READ, json!({})).await;
    assert_eq!(
        before["data"]["refillSettings"],
        json!({ "turnaroundHours": 48, "poolId": null }),
        "{before}"
    );
    let nurses = pool(&app, "refillread", "Nurse line", None, &[]).await;
    gql(
        &app,
        admin,
        SETTINGS,
        json!({ "input": { "turnaroundHours": 12, "poolId": gid("CareTeamPool", nurses) } }),
    )
    .await;
    let after = gql(&app, admin, READ, json!({})).await;
    assert_eq!(
        after["data"]["refillSettings"],
        json!({ "turnaroundHours": 12, "poolId": gid("CareTeamPool", nurses) }),
        "{after}"
    );

    let lee = clinician(&app, admin, "Dr. Lee").await;
    let kim = clinician(&app, admin, "Dr. Kim").await;
    gql(
        &app,
        admin,
        COVERING,
        json!({ "input": { "providerId": gid("Provider", lee.provider),
                           "coveringProviderId": gid("Provider", kim.provider) } }),
    )
    .await;
    let listed = gql(&app, admin, PROVIDERS, json!({})).await;
    let providers = listed["data"]["providers"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"));
    let of = |provider: Uuid| {
        providers
            .iter()
            .find(|p| p["id"] == json!(gid("Provider", provider)))
            .unwrap_or_else(|| panic!("{listed}"))
            .clone()
    };
    assert_eq!(
        of(lee.provider),
        json!({ "id": gid("Provider", lee.provider), "userId": gid("User", lee.user),
                "coveringProviderId": gid("Provider", kim.provider) })
    );
    assert_eq!(of(kim.provider)["coveringProviderId"], Value::Null);

    // Those who may not write them may not read them either.
    let (patient, _) = app.add_user("refillread", Role::Patient).await;
    for (who, query) in [(&patient, READ), (&lee.signed, READ), (&patient, PROVIDERS)] {
        let body = gql(&app, who, query, json!({})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{query}: {body}");
    }
    // Patients still list providers to book with.
    let body = gql(
        &app,
        &patient,
        "{ providers { id displayName } }",
        json!({}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
}
