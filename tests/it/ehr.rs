//! EHR sync against a real FHIR R4 server (Medplum's router over its in-memory store, in
//! `tests/fhir-server/`), seeded with synthetic Synthea-like patients: the first full pull,
//! an incremental pull after changes, paging, a deleted resource, hostile resources, an EHR
//! that is down or slow, write-back of a booking, and a version conflict on a Patient.

use std::time::Duration;

use portico_core::{TenantTx, audit::Actor, ehr::runs, patients, tenancy::Access, tenants};
use portico_tests::{
    TestApp,
    fhir_server::{FhirServer, synthea},
    spawn_app_with, wait_until,
};
use serde_json::{Value, json};

use crate::support::{
    ehr::{CONNECT, TOKEN, connect, counts, sync_now},
    gid,
    processes::relay,
    scheduling::{book, booked_id, days_ahead, practice, slots, starts},
};

/// Patient identity: which entries count, duplicates, entry-exact write-back.
mod identity;

async fn fhir() -> Option<FhirServer> {
    FhirServer::start(&[("FHIR_BEARER_TOKEN", TOKEN)]).await
}

async fn app(page_size: u32, timeout_secs: u64) -> TestApp {
    spawn_app_with(|c| {
        c.ehr.ehr_page_size = page_size;
        c.ehr.ehr_request_timeout_secs = timeout_secs;
    })
    .await
}

const STATUS: &str = "{ ehrSyncStatus(runs: 5) { connection { baseUrl } failures nextRunAt pendingWrites
    failedWrites { kind lastError } openReviews
    runs { status trigger errorCode counts { resourceType fetched applied unchanged rejected removed waiting }
      rejections { resourceType fhirId code } } } }";

async fn status(app: &TestApp, slug: &str, access: &str) -> Value {
    let (_, body) = app.gql_as(slug, access, STATUS, json!({})).await;
    body["data"]["ehrSyncStatus"].clone()
}

async fn results_of_everyone(app: &TestApp, slug: &str, access: &str) -> Vec<Value> {
    let (_, body) = app
        .gql_as(
            slug,
            access,
            "{ patients(first: 50) { nodes { id mrn givenName email
                results(first: 100) { nodes { code status value } }
                medications(first: 50) { nodes { name } }
                allergies(first: 50) { nodes { substance } }
                visitSummaries(first: 50) { nodes { summary } } } } }",
            json!({}),
        )
        .await;
    body["data"]["patients"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

async fn fhir_put(
    server: &FhirServer,
    resource: &Value,
    if_match: Option<&str>,
) -> reqwest::StatusCode {
    let path = format!(
        "{}/{}/{}",
        server.base_url,
        resource["resourceType"].as_str().unwrap(),
        resource["id"].as_str().unwrap()
    );
    let mut request = reqwest::Client::new()
        .put(path)
        .bearer_auth(TOKEN)
        .json(resource);
    if let Some(version) = if_match {
        request = request.header("If-Match", format!("W/\"{version}\""));
    }
    request.send().await.unwrap().status()
}

async fn fhir_get(server: &FhirServer, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/{path}", server.base_url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn fhir_delete(server: &FhirServer, path: &str) {
    let status = reqwest::Client::new()
        .delete(format!("{}/{path}", server.base_url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "DELETE {path}: {status}");
}

#[tokio::test]
async fn first_pull_then_incremental_pull_with_paging_and_a_deletion() {
    let Some(server) = fhir().await else { return };
    let mut bundle = synthea(3, 7, "a");
    // Each resource last updated a second apart (yesterday), as an EHR's history would be:
    // only the newest of each type shares its type's mark.
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    for (i, entry) in bundle["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let at = yesterday + chrono::Duration::seconds(i as i64);
        entry["resource"]["meta"] =
            json!({ "lastUpdated": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true) });
    }
    assert!(server.seed(&bundle).await > 40);
    let app = app(10, 30).await;
    let admin = app.practice_admin("ehr-pull").await;
    let connected = connect(&app, "ehr-pull", &admin.access, &server.base_url).await;
    assert_eq!(
        connected["data"]["updateEhrConnection"]["connection"]["authKind"], "BEARER",
        "{connected}"
    );

    // The connection test reads /metadata and checks the token.
    let (_, tested) = app
        .gql_as("ehr-pull", &admin.access,
            "mutation { testEhrConnection { capabilities { fhirVersion resourceTypes missingTypes authOk }
                userErrors { code } } }", json!({}))
        .await;
    let caps = &tested["data"]["testEhrConnection"]["capabilities"];
    assert_eq!(caps["fhirVersion"], "4.0.1", "{tested}");
    assert_eq!(caps["authOk"], true);
    assert_eq!(caps["missingTypes"], json!([]));

    let first = sync_now(&app, "ehr-pull").await;
    assert_eq!(first.status, runs::SUCCEEDED, "{}", first.counts);
    assert_eq!(counts(&first, "Patient").applied, 3);
    let observations = counts(&first, "Observation");
    assert!(observations.applied > 10, "{}", first.counts);
    // More observations than a page: the pull followed `next` links.
    let requests = server.requests().await;
    assert!(
        requests.iter().any(|r| r["path"]
            .as_str()
            .unwrap()
            .starts_with("/fhir/R4/Observation")
            && r["path"].as_str().unwrap().contains("_offset=")),
        "no second page was read"
    );

    let charts = results_of_everyone(&app, "ehr-pull", &admin.access).await;
    assert_eq!(charts.len(), 3);
    // Every result a report lists points at that report (written in one joined update).
    let listed: usize = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "DiagnosticReport")
        .map(|e| e["resource"]["result"].as_array().map_or(0, Vec::len))
        .sum();
    let (_, reports) = app
        .gql_as(
            "ehr-pull",
            &admin.access,
            "{ patients(first: 50) { nodes {
                diagnosticReports(first: 100) { nodes { results { id } } } } } }",
            json!({}),
        )
        .await;
    let linked: usize = reports["data"]["patients"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{reports}"))
        .iter()
        .flat_map(|p| p["diagnosticReports"]["nodes"].as_array().unwrap())
        .map(|r| r["results"].as_array().unwrap().len())
        .sum();
    assert!(listed > 0, "the corpus has reports with results");
    assert_eq!(linked, listed, "{reports}");
    let total_results: usize = charts
        .iter()
        .map(|c| c["results"]["nodes"].as_array().unwrap().len())
        .sum();
    assert_eq!(total_results as u64, observations.applied);
    assert!(
        charts
            .iter()
            .all(|c| !c["medications"]["nodes"].as_array().unwrap().is_empty())
    );
    assert!(charts.iter().any(|c| {
        c["visitSummaries"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["summary"].is_string())
    }));

    // Changes in the EHR: one result corrected, one deleted, one new allergy.
    let entries = bundle["entry"].as_array().unwrap();
    let observation_ids: Vec<&str> = entries
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Observation")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut corrected = fhir_get(&server, &format!("Observation/{}", observation_ids[0])).await;
    corrected["valueQuantity"]["value"] = json!(123.4);
    corrected["status"] = json!("amended");
    assert!(fhir_put(&server, &corrected, None).await.is_success());
    fhir_delete(&server, &format!("Observation/{}", observation_ids[1])).await;
    let allergy = json!({ "resourceType": "AllergyIntolerance", "id": "a-new-allergy",
        "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active" }] },
        "code": { "text": "Penicillin" }, "patient": { "reference": "Patient/apat-0001" } });
    assert!(fhir_put(&server, &allergy, None).await.is_success());

    let second = sync_now(&app, "ehr-pull").await;
    assert_eq!(second.status, runs::SUCCEEDED, "{}", second.counts);
    // Only what changed, and the resources stamped at the mark's own instant (asked for
    // with `ge`, found unchanged), is read again.
    let total = |run: &portico_core::entities::ehr_sync_run::Model| -> u64 {
        runs::counts_of(run).values().map(|c| c.fetched).sum()
    };
    assert!(
        total(&second) < total(&first) / 2,
        "{} after {}",
        second.counts,
        first.counts
    );
    assert_eq!(counts(&second, "Patient").fetched, 1, "{}", second.counts);
    assert_eq!(counts(&second, "Patient").applied, 0, "{}", second.counts);
    // The boundary result, the corrected one, and the deleted one from the history.
    assert_eq!(
        counts(&second, "Observation").fetched,
        3,
        "{}",
        second.counts
    );
    assert_eq!(counts(&second, "Observation").applied, 1);
    assert_eq!(counts(&second, "Observation").removed, 1);
    assert_eq!(counts(&second, "AllergyIntolerance").applied, 1);

    let charts = results_of_everyone(&app, "ehr-pull", &admin.access).await;
    let values: Vec<&Value> = charts
        .iter()
        .flat_map(|c| c["results"]["nodes"].as_array().unwrap())
        .collect();
    assert!(
        values
            .iter()
            .any(|v| v["value"] == json!(123.4) && v["status"] == "amended")
    );
    let visible = values
        .iter()
        .filter(|v| v["status"] != "entered-in-error")
        .count();
    assert_eq!(visible as u64, observations.applied - 1);
    assert!(
        charts
            .iter()
            .flat_map(|c| c["allergies"]["nodes"].as_array().unwrap())
            .any(|a| a["substance"] == "Penicillin")
    );

    // Another practice sees none of it.
    let other = app.practice_admin("ehr-other").await;
    let theirs = status(&app, "ehr-other", &other.access).await;
    assert!(theirs["connection"].is_null());
    assert_eq!(theirs["runs"], json!([]));
    assert!(
        results_of_everyone(&app, "ehr-other", &other.access)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn hostile_and_malformed_resources_are_refused_and_the_rest_syncs() {
    let Some(server) = fhir().await else { return };
    server.seed(&synthea(2, 11, "h")).await;
    let huge = "x".repeat(1_000_000);
    server
        .seed(&json!([
            // Wrong types.
            { "resourceType": "Observation", "id": "bad-type", "status": "final",
              "category": [{ "coding": [{ "code": "laboratory" }] }],
              "code": { "coding": [{ "system": "http://loinc.org", "code": "2345-7" }] },
              "subject": { "reference": "Patient/hpat-0001" }, "valueQuantity": { "value": "high" },
              "effectiveDateTime": "2025-01-01T10:00:00Z" },
            // Missing required fields.
            { "resourceType": "Condition", "id": "no-subject", "code": { "text": "Asthma" } },
            // A huge string.
            { "resourceType": "AllergyIntolerance", "id": "huge", "code": { "text": huge },
              "patient": { "reference": "Patient/hpat-0001" } },
            // A report of one patient listing another patient's result.
            { "resourceType": "DiagnosticReport", "id": "cross", "status": "final",
              "code": { "coding": [{ "system": "http://loinc.org", "code": "24323-8", "display": "Panel" }] },
              "subject": { "reference": "Patient/hpat-0001" },
              "effectiveDateTime": "2025-01-01T10:00:00Z",
              "result": [{ "reference": "Observation/hobs-0002-01" }] },
        ]))
        .await;
    let app = app(100, 30).await;
    let admin = app.practice_admin("ehr-hostile").await;
    connect(&app, "ehr-hostile", &admin.access, &server.base_url).await;
    let run = sync_now(&app, "ehr-hostile").await;
    assert_eq!(run.status, runs::PARTIAL, "{}", run.counts);
    assert_eq!(counts(&run, "Patient").applied, 2);
    assert!(counts(&run, "Observation").applied > 4);
    let status = status(&app, "ehr-hostile", &admin.access).await;
    let rejections = status["runs"][0]["rejections"].as_array().unwrap().clone();
    let refused: Vec<(&str, &str)> = rejections
        .iter()
        .map(|r| {
            (
                r["fhirId"].as_str().unwrap_or(""),
                r["code"].as_str().unwrap(),
            )
        })
        .collect();
    for id in ["bad-type", "no-subject", "huge", "cross"] {
        assert!(
            refused.iter().any(|(f, _)| *f == id),
            "{id} not refused: {refused:?}"
        );
    }
    assert!(
        refused.contains(&("cross", "EHR_CROSS_PATIENT_REFERENCE")),
        "{refused:?}"
    );
    // Refusals carry ids and codes only, never content.
    assert!(!serde_json::to_string(&status).unwrap().contains("xxxxxxxx"));
    let charts = results_of_everyone(&app, "ehr-hostile", &admin.access).await;
    assert_eq!(charts.len(), 2);
}

#[tokio::test]
async fn an_ehr_that_is_down_or_slow_backs_off_and_the_status_says_so() {
    let Some(server) = fhir().await else { return };
    server.seed(&synthea(1, 3, "d")).await;
    let app = app(100, 1).await;
    let admin = app.practice_admin("ehr-down").await;
    connect(&app, "ehr-down", &admin.access, &server.base_url).await;

    server.mode(json!({ "status": 503 })).await;
    let run = sync_now(&app, "ehr-down").await;
    assert_eq!(run.status, runs::FAILED);
    assert_eq!(run.error_code.as_deref(), Some("EHR_UNAVAILABLE"));
    let seen = status(&app, "ehr-down", &admin.access).await;
    assert_eq!(seen["failures"], 1);
    assert_eq!(seen["runs"][0]["errorCode"], "EHR_UNAVAILABLE");
    // Nothing half-written: no chart came from the failed run.
    assert!(
        results_of_everyone(&app, "ehr-down", &admin.access)
            .await
            .is_empty()
    );

    server.mode(json!({ "delayMs": 2500 })).await;
    let run = sync_now(&app, "ehr-down").await;
    assert_eq!(run.error_code.as_deref(), Some("EHR_TIMEOUT"));
    let seen = status(&app, "ehr-down", &admin.access).await;
    assert_eq!(seen["failures"], 2);
    let next: chrono::DateTime<chrono::Utc> = seen["nextRunAt"].as_str().unwrap().parse().unwrap();
    assert!(
        next > chrono::Utc::now() + chrono::Duration::seconds(60),
        "backs off: {next}"
    );

    server.mode(json!({})).await;
    let run = sync_now(&app, "ehr-down").await;
    assert_eq!(run.status, runs::SUCCEEDED, "{}", run.counts);
    assert_eq!(status(&app, "ehr-down", &admin.access).await["failures"], 0);
    assert_eq!(
        results_of_everyone(&app, "ehr-down", &admin.access)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_booking_is_written_back_and_a_patient_conflict_goes_to_review() {
    let Some(server) = fhir().await else { return };
    let app = app(100, 30).await;
    let p = practice(&app, "ehr-write").await;
    let tenant = tenants::find_by_slug(&app.db(), "ehr-write")
        .await
        .unwrap()
        .unwrap();
    let chart = app.add_patient(&tenant, "Wren").await;
    // The EHR knows the patient by the same MRN.
    server
        .seed(&json!([{ "resourceType": "Patient", "id": "wb-pat",
            "identifier": [{ "system": "urn:oid:portico-test-mrn", "value": "MRN-Wren" }],
            "name": [{ "given": ["Wren"], "family": "Tester" }], "gender": "unknown",
            "birthDate": "1980-01-02", "telecom": [{ "system": "email", "value": "wren@ehr.example" }] }]))
        .await;
    connect(&app, "ehr-write", &p.admin.access, &server.base_url).await;
    let run = sync_now(&app, "ehr-write").await;
    assert_eq!(counts(&run, "Patient").applied, 1, "{}", run.counts);

    // A booking in Portico becomes an Appointment in the EHR.
    let chart_id = gid("Patient", chart.id);
    let day = days_ahead(&p, 3);
    let start = starts(&slots(&app, &p.admin.access, "ehr-write", &p, day, day).await)[0];
    let booked = booked_id(&book(&app, &p.admin.access, &p, &chart_id, start).await);
    wait_until(
        "the appointment in the EHR",
        Duration::from_secs(20),
        async || {
            let found = fhir_get(&server, "Appointment?patient=Patient/wb-pat").await;
            found["entry"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["resource"]["status"] == "booked"))
        },
    )
    .await;
    // Cancelling it in Portico updates that Appointment (over its version), not a new one.
    let (_, cancelled) = app
        .gql_as("ehr-write", &p.admin.access,
            "mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id }) { userErrors { code } } }",
            json!({ "id": booked }))
        .await;
    assert_eq!(
        cancelled["data"]["cancelAppointment"]["userErrors"],
        json!([]),
        "{cancelled}"
    );
    wait_until(
        "the cancellation in the EHR",
        Duration::from_secs(20),
        async || {
            let found = fhir_get(&server, "Appointment?patient=Patient/wb-pat").await;
            found["entry"].as_array().is_some_and(|e| {
                e.len() == 1
                    && e[0]["resource"]["status"] == "cancelled"
                    && e[0]["resource"]["identifier"][0]["system"] == "urn:portico:appointment"
            })
        },
    )
    .await;
    assert!(server.requests().await.iter().any(|r| {
        r["method"] == "PUT"
            && r["path"]
                .as_str()
                .unwrap()
                .starts_with("/fhir/R4/Appointment/")
            && r["ifMatch"].is_string()
    }));

    // The EHR's record changes; then a contact change in Portico is refused by its version.
    let mut ehr_patient = fhir_get(&server, "Patient/wb-pat").await;
    ehr_patient["telecom"] = json!([{ "system": "email", "value": "changed@ehr.example" }]);
    assert!(fhir_put(&server, &ehr_patient, None).await.is_success());
    let (_, changed) = app
        .gql_as(
            "ehr-write",
            &p.admin.access,
            "mutation($input: UpdateContactDetailsInput!) { \
             updateContactDetails(input: $input) { userErrors { code } } }",
            json!({ "input": { "patientId": gid("Patient", chart.id), "email": "wren@portal.example" } }),
        )
        .await;
    assert_eq!(
        changed["data"]["updateContactDetails"]["userErrors"],
        json!([]),
        "{changed}"
    );
    // The pull that runs meanwhile keeps Portico's unsent change.
    let again = sync_now(&app, "ehr-write").await;
    assert_eq!(counts(&again, "Patient").applied, 0, "{}", again.counts);
    relay(&app, tenant.id()).await;
    let review = wait_until(
        "a review of the conflict",
        Duration::from_secs(20),
        async || {
            let (_, body) = app
                .gql_as(
                    "ehr-write",
                    &p.admin.access,
                    "{ ehrReviews { id kind patientId } }",
                    json!({}),
                )
                .await;
            let reviews = &body["data"]["ehrReviews"];
            reviews.get(0).cloned().ok_or_else(|| body.clone())
        },
    )
    .await;
    assert_eq!(review["kind"], "WRITE_CONFLICT");
    assert_eq!(review["patientId"], json!(chart_id));
    // Nothing was overwritten.
    let now = fhir_get(&server, "Patient/wb-pat").await;
    assert_eq!(now["telecom"][0]["value"], "changed@ehr.example");
    let seen = status(&app, "ehr-write", &p.admin.access).await;
    assert!(
        seen["failedWrites"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["lastError"] == "EHR_CONFLICT")
    );

    // Staff choose Portico's change: it is written over the EHR's current version.
    let (_, resolved) = app
        .gql_as("ehr-write", &p.admin.access,
            "mutation($input: ResolveEhrReviewInput!) { resolveEhrReview(input: $input) { review { status } userErrors { code } } }",
            json!({ "input": { "id": review["id"], "resolution": "OVERWRITE" } }))
        .await;
    assert_eq!(
        resolved["data"]["resolveEhrReview"]["review"]["status"], "resolved",
        "{resolved}"
    );
    wait_until(
        "the overwrite in the EHR",
        Duration::from_secs(20),
        async || {
            let now = fhir_get(&server, "Patient/wb-pat").await;
            now["telecom"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t["value"] == "wren@portal.example"))
        },
    )
    .await;
    let writes: Vec<Value> = server
        .requests()
        .await
        .into_iter()
        .filter(|r| r["method"] == "PUT" && r["path"] == "/fhir/R4/Patient/wb-pat")
        .collect();
    // The test's own change, then Portico's: always over a version.
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes[1]["ifMatch"].is_string(), "{writes:?}");
}

#[tokio::test]
async fn ambiguous_patients_wait_for_staff_and_insecure_urls_are_refused() {
    let Some(server) = fhir().await else { return };
    let app = app(100, 30).await;
    let admin = app.practice_admin("ehr-match").await;
    let tenant = tenants::find_by_slug(&app.db(), "ehr-match")
        .await
        .unwrap()
        .unwrap();
    // Two charts with the same name and birth date, neither with the EHR's MRN.
    let one = app.add_patient(&tenant, "Sam").await;
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    patients::create(
        &tx,
        &Actor::system(),
        portico_core::patients::NewPatient {
            mrn: Some("OTHER-1".to_owned()),
            ..portico_tests::new_patient("Sam")
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    server
        .seed(&json!([
            { "resourceType": "Patient", "id": "twin", "identifier": [{ "value": "EHR-77" }],
              "name": [{ "given": ["Sam"], "family": "Tester" }], "gender": "unknown", "birthDate": "1980-01-02" },
            { "resourceType": "AllergyIntolerance", "id": "twin-allergy", "code": { "text": "Latex" },
              "clinicalStatus": { "coding": [{ "code": "active" }] },
              "patient": { "reference": "Patient/twin" } }
        ]))
        .await;

    let refused = connect(
        &app,
        "ehr-match",
        &admin.access,
        "http://ehr.example.com/fhir",
    )
    .await;
    assert_eq!(
        refused["data"]["updateEhrConnection"]["userErrors"][0]["code"], "EHR_INSECURE_URL",
        "{refused}"
    );
    connect(&app, "ehr-match", &admin.access, &server.base_url).await;
    let run = sync_now(&app, "ehr-match").await;
    assert_eq!(counts(&run, "Patient").waiting, 1, "{}", run.counts);
    assert_eq!(counts(&run, "AllergyIntolerance").waiting, 1);

    let (_, body) = app
        .gql_as(
            "ehr-match",
            &admin.access,
            "{ ehrReviews { id kind candidates } }",
            json!({}),
        )
        .await;
    let review = &body["data"]["ehrReviews"][0];
    assert_eq!(review["kind"], "PATIENT_MATCH");
    assert_eq!(review["candidates"].as_array().unwrap().len(), 2);
    let (_, resolved) = app
        .gql_as("ehr-match", &admin.access,
            "mutation($input: ResolveEhrReviewInput!) { resolveEhrReview(input: $input) { review { status } userErrors { code } } }",
            json!({ "input": { "id": review["id"], "resolution": "LINK", "patientId": gid("Patient", one.id) } }))
        .await;
    assert_eq!(
        resolved["data"]["resolveEhrReview"]["review"]["status"], "resolved",
        "{resolved}"
    );
    // The matched patient's records follow (the review's pull runs on the workers).
    wait_until(
        "the matched patient's allergy",
        Duration::from_secs(20),
        async || {
            let charts = results_of_everyone(&app, "ehr-match", &admin.access).await;
            charts.iter().any(|c| {
                c["id"] == json!(gid("Patient", one.id))
                    && c["allergies"]["nodes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| a["substance"] == "Latex")
            })
        },
    )
    .await;
}

fn test_key() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/portico-fhir/tests/fixtures/test-only-rsa-private.pem"
    ))
    .unwrap()
}

/// The public half of a PEM key as a JWK, for the FHIR server's client registration.
fn public_jwk(pem: &str) -> String {
    let output = std::process::Command::new("node")
        .args([
            "-e",
            "const c=require('crypto');let s='';process.stdin.on('data',d=>s+=d).on('end',()=>\
             process.stdout.write(JSON.stringify(c.createPublicKey(s).export({format:'jwk'}))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(pem.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn smart_backend_services_authenticate_the_sync_with_a_signed_assertion() {
    let key = test_key();
    let jwk = public_jwk(&key);
    let Some(server) = FhirServer::start(&[
        ("FHIR_CLIENT_ID", "portico-test-client"),
        ("FHIR_CLIENT_JWK", jwk.as_str()),
    ])
    .await
    else {
        return;
    };
    server.seed(&synthea(1, 5, "s")).await;
    let app = app(100, 30).await;
    let admin = app.practice_admin("ehr-smart").await;
    let input = |client: &str| {
        json!({ "input": { "baseUrl": server.base_url, "authKind": "SMART",
            "clientId": client, "privateKey": key, "syncIntervalMinutes": 30 } })
    };
    let (_, saved) = app
        .gql_as(
            "ehr-smart",
            &admin.access,
            CONNECT,
            input("portico-test-client"),
        )
        .await;
    assert_eq!(
        saved["data"]["updateEhrConnection"]["connection"]["authKind"], "SMART",
        "{saved}"
    );
    // The key is sealed at rest and never read back.
    assert!(!saved.to_string().contains("PRIVATE KEY"));
    let tenant = tenants::find_by_slug(&app.db(), "ehr-smart")
        .await
        .unwrap()
        .unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Read)
        .await
        .unwrap();
    let stored = portico_core::ehr::connection::get(&tx)
        .await
        .unwrap()
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(!stored.sealed_secret.contains("PRIVATE"));

    const TEST: &str =
        "mutation { testEhrConnection { capabilities { authOk authErrorCode tokenEndpoint } } }";
    let (_, tested) = app
        .gql_as("ehr-smart", &admin.access, TEST, json!({}))
        .await;
    let caps = &tested["data"]["testEhrConnection"]["capabilities"];
    assert_eq!(caps["authOk"], true, "{tested}");
    assert_eq!(
        caps["tokenEndpoint"],
        format!("{}/auth/token", server.origin)
    );

    let run = sync_now(&app, "ehr-smart").await;
    assert_eq!(
        run.status,
        runs::SUCCEEDED,
        "{:?} {}",
        run.error_code,
        run.counts
    );
    assert_eq!(counts(&run, "Patient").applied, 1);
    // One token for the whole run: twelve types, one exchange (the gateway caches it).
    let requests = server.requests().await;
    let exchanges = requests
        .iter()
        .filter(|r| r["path"] == "/auth/token")
        .count();
    assert_eq!(
        exchanges, 2,
        "one for the test, one for the run: {requests:?}"
    );
    assert!(
        requests
            .iter()
            .filter(|r| r["path"] != "/auth/token")
            .all(|r| {
                r["path"].as_str().unwrap().contains("metadata")
                    || r["path"].as_str().unwrap().contains("smart-configuration")
                    || r["authorization"] == true
            })
    );

    // A client the EHR does not know is refused, and the status says why.
    app.gql_as("ehr-smart", &admin.access, CONNECT, input("someone-else"))
        .await;
    let (_, tested) = app
        .gql_as("ehr-smart", &admin.access, TEST, json!({}))
        .await;
    assert_eq!(
        tested["data"]["testEhrConnection"]["capabilities"]["authErrorCode"], "EHR_AUTH_FAILED",
        "{tested}"
    );
    let run = sync_now(&app, "ehr-smart").await;
    assert_eq!(run.error_code.as_deref(), Some("EHR_AUTH_FAILED"));
}

const PATIENT_MEDS: &str = "query($id: ID!) { patient(id: $id) { mrn
    medications(first: 20) { nodes { id name status } } } }";

#[tokio::test]
async fn a_refill_decision_is_written_back_as_a_new_prescription_or_a_task() {
    let Some(server) = fhir().await else { return };
    let app = app(100, 30).await;
    let admin = app.practice_admin("ehr-refill").await;
    let (patient, chart) = app
        .add_user("ehr-refill", portico_core::identity::Role::Patient)
        .await;
    let chart = gid("Patient", chart.unwrap());
    let (_, body) = app
        .gql_as(
            "ehr-refill",
            &admin.access,
            PATIENT_MEDS,
            json!({ "id": chart }),
        )
        .await;
    let mrn = body["data"]["patient"]["mrn"].as_str().unwrap().to_owned();
    let rx = |id: &str, name: &str| {
        json!({ "resourceType": "MedicationRequest", "id": id, "status": "active", "intent": "order",
            "medicationCodeableConcept": { "coding": [{ "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "314076", "display": name }], "text": name },
            "subject": { "reference": "Patient/rf-pat" }, "authoredOn": "2026-01-05",
            "dosageInstruction": [{ "text": "1 tablet daily" }],
            "dispenseRequest": { "numberOfRepeatsAllowed": 0 } })
    };
    server
        .seed(&json!([
            { "resourceType": "Patient", "id": "rf-pat", "identifier": [{ "value": mrn }],
              "name": [{ "given": ["Casey"], "family": "Refill" }], "gender": "female", "birthDate": "1980-01-02" },
            rx("rf-lisinopril", "Lisinopril 10 mg tablet"),
            rx("rf-atorvastatin", "Atorvastatin 20 mg tablet"),
        ]))
        .await;
    connect(&app, "ehr-refill", &admin.access, &server.base_url).await;
    let run = sync_now(&app, "ehr-refill").await;
    assert_eq!(
        counts(&run, "MedicationRequest").applied,
        2,
        "{}",
        run.counts
    );
    let (_, body) = app
        .gql_as(
            "ehr-refill",
            &admin.access,
            PATIENT_MEDS,
            json!({ "id": chart }),
        )
        .await;
    let meds = body["data"]["patient"]["medications"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let med = |name: &str| {
        meds.iter()
            .find(|m| m["name"].as_str().unwrap().starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {meds:?}"))["id"]
            .clone()
    };

    let mut decided = Vec::new();
    for (medication, decision) in [
        (
            med("Lisinopril"),
            json!({ "decision": "APPROVE", "quantity": 30, "refills": 2 }),
        ),
        (
            med("Atorvastatin"),
            json!({ "decision": "NEEDS_APPOINTMENT", "reason": "Time for a check-up" }),
        ),
    ] {
        let (_, asked) = app
            .gql_as("ehr-refill", &patient.access,
                "mutation($input: RequestRefillInput!) { requestRefill(input: $input) { refillRequest { id } userErrors { code } } }",
                json!({ "input": { "medicationId": medication, "pharmacy": "Main St Pharmacy" } }))
            .await;
        let id = asked["data"]["requestRefill"]["refillRequest"]["id"].clone();
        assert!(id.is_string(), "{asked}");
        let mut input = decision;
        input["id"] = id;
        // The routing job runs first; a decision before it is refused as not routed yet.
        let answer = wait_until("a decision taken", Duration::from_secs(10), async || {
            let (_, body) = app
                .gql_as("ehr-refill", &admin.access,
                    "mutation($input: DecideRefillInput!) { decideRefill(input: $input) { refillRequest { status } userErrors { code } } }",
                    json!({ "input": input }))
                .await;
            if body["data"]["decideRefill"]["refillRequest"].is_object() { Ok(body) } else { Err(body) }
        })
        .await;
        decided.push(answer);
    }
    assert_eq!(
        decided[0]["data"]["decideRefill"]["refillRequest"]["status"], "approved",
        "{}",
        decided[0]
    );

    wait_until(
        "the renewed prescription and the task in the EHR",
        Duration::from_secs(20),
        async || {
            let renewed = fhir_get(&server, "MedicationRequest?patient=Patient/rf-pat").await;
            let tasks = fhir_get(&server, "Task").await;
            let renewed_ok = renewed["entry"].as_array().is_some_and(|e| {
                e.iter().any(|e| {
                    e["resource"]["priorPrescription"]["reference"]
                        == "MedicationRequest/rf-lisinopril"
                        && e["resource"]["dispenseRequest"]["numberOfRepeatsAllowed"] == 2
                })
            });
            let task_ok = tasks["entry"].as_array().is_some_and(|e| {
                e.iter().any(|e| {
                    e["resource"]["focus"]["reference"] == "MedicationRequest/rf-atorvastatin"
                })
            });
            renewed_ok && task_ok
        },
    )
    .await;
    // The write-backs carry no note or reason the patient or staff typed.
    let tasks = fhir_get(&server, "Task").await.to_string();
    assert!(!tasks.contains("check-up") && !tasks.contains("Main St"));
}

#[tokio::test]
async fn records_that_waited_for_their_patient_arrive_once_the_patient_does() {
    let Some(server) = fhir().await else { return };
    // A patient the EHR sends without a birth date (refused), with a condition.
    server
        .seed(&json!([
            { "resourceType": "Patient", "id": "late", "identifier": [{ "value": "EHR-LATE" }],
              "name": [{ "given": ["Lee"], "family": "Late" }], "gender": "male" },
            { "resourceType": "Condition", "id": "late-asthma",
              "clinicalStatus": { "coding": [{ "code": "active" }] },
              "code": { "text": "Asthma" }, "subject": { "reference": "Patient/late" } }
        ]))
        .await;
    let app = app(100, 30).await;
    let admin = app.practice_admin("ehr-late").await;
    connect(&app, "ehr-late", &admin.access, &server.base_url).await;
    let first = sync_now(&app, "ehr-late").await;
    assert_eq!(counts(&first, "Patient").rejected, 1, "{}", first.counts);
    assert_eq!(counts(&first, "Condition").waiting, 1);

    // The EHR fixes the patient; the condition itself is unchanged (older than the marks).
    let mut patient = fhir_get(&server, "Patient/late").await;
    patient["birthDate"] = json!("1990-06-07");
    assert!(fhir_put(&server, &patient, None).await.is_success());
    let second = sync_now(&app, "ehr-late").await;
    assert_eq!(second.status, runs::SUCCEEDED, "{}", second.counts);
    let (_, body) = app
        .gql_as(
            "ehr-late",
            &admin.access,
            "{ patients(first: 5) { nodes { givenName problems(first: 5) { nodes { name } } } } }",
            json!({}),
        )
        .await;
    let charts = body["data"]["patients"]["nodes"].as_array().unwrap();
    assert_eq!(charts.len(), 1, "{body}");
    assert_eq!(
        charts[0]["problems"]["nodes"][0]["name"], "Asthma",
        "{body}"
    );
}

mod in_sets;
mod sync_rules;
