//! Home readings to the EHR: a practice that chose to send them gets each reading as a
//! patient-reported Observation on the FHIR test server (which validates it on create), the
//! blood pressure as the panel with its two components; a practice that did not choose it
//! queues nothing; and the next pull passes over Portico's own Observation instead of
//! charting it again as a clinic result.

use std::time::Duration;

use portico_core::{entities::outbox_message, identity::Role, outbox};
use portico_tests::{Signed, TestApp, fhir_server::FhirServer, spawn_app_with, wait_until};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{
    ehr::{CONNECT, TOKEN, connect, counts, not_due, sync_now},
    gid, uuid_of,
};

const RECORD: &str = "mutation($input: RecordReadingInput!) { recordReading(input: $input) {
    reading { id } userErrors { field code } } }";
const HISTORY: &str = "query($patient: ID!) { homeReadings(patientId: $patient) {
    readings { id } clinicObservations { code value } } }";

async fn record(app: &TestApp, who: &Signed, input: Value) -> String {
    let (_, body) = app
        .gql_as(&who.slug, &who.access, RECORD, json!({ "input": input }))
        .await;
    body["data"]["recordReading"]["reading"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// The EHR write-backs queued about `reading` (sent or not).
async fn queued(app: &TestApp, reading: &str) -> u64 {
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    outbox_message::Entity::find()
        .filter(outbox_message::Column::Channel.eq(outbox::EHR))
        .filter(outbox_message::Column::Payload.contains(uuid_of(reading).to_string()))
        .count(&owner)
        .await
        .unwrap()
}

async fn observations(server: &FhirServer, patient: &str) -> Vec<Value> {
    let bundle: Value = reqwest::Client::new()
        .get(format!(
            "{}/Observation?subject=Patient/{patient}",
            server.base_url
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    bundle["entry"]
        .as_array()
        .map(|entries| entries.iter().map(|e| e["resource"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn readings_reach_the_ehr_as_patient_reported_observations_once_the_practice_sends_them() {
    let Some(server) = FhirServer::start(&[("FHIR_BEARER_TOKEN", TOKEN)]).await else {
        return;
    };
    let app = spawn_app_with(|c| {
        c.ehr.ehr_page_size = 100;
        c.ehr.ehr_request_timeout_secs = 30;
    })
    .await;
    let admin = app.practice_admin("readehr").await;
    let (patient, chart) = app.add_user("readehr", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let (_, body) = app
        .gql_as(
            "readehr",
            &admin.access,
            "query($id: ID!) { patient(id: $id) { mrn } }",
            json!({ "id": chart }),
        )
        .await;
    let mrn = body["data"]["patient"]["mrn"].as_str().unwrap().to_owned();
    server
        .seed(
            &json!([{ "resourceType": "Patient", "id": "read-pat", "identifier": [{ "value": mrn }],
            "name": [{ "given": ["Rita"], "family": "Reading" }], "gender": "female",
            "birthDate": "1980-01-02" }]),
        )
        .await;
    let connected = connect(&app, "readehr", &admin.access, &server.base_url).await;
    assert_eq!(
        connected["data"]["updateEhrConnection"]["userErrors"],
        json!([]),
        "{connected}"
    );
    sync_now(&app, "readehr").await;

    // Not chosen (the default): a reading is kept in Portico and nothing goes to the EHR.
    let weight = record(
        &app,
        &patient,
        json!({ "patientId": chart, "kind": "WEIGHT", "value": 150.0, "unit": "[lb_av]" }),
    )
    .await;
    assert_eq!(queued(&app, &weight).await, 0);

    // The admin chooses to send readings; the next one goes.
    let (_, body) = app
        .gql_as(
            "readehr",
            &admin.access,
            CONNECT,
            json!({ "input": { "baseUrl": server.base_url, "authKind": "BEARER",
                "syncIntervalMinutes": 60, "sendReadings": true } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateEhrConnection"]["userErrors"],
        json!([]),
        "{body}"
    );
    not_due(&app, "readehr").await;
    let (_, body) = app
        .gql_as(
            "readehr",
            &admin.access,
            "{ ehrSyncStatus(runs: 1) { connection { sendReadings } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["ehrSyncStatus"]["connection"]["sendReadings"], true,
        "{body}"
    );
    let pressure = record(
        &app,
        &patient,
        json!({ "patientId": chart, "kind": "BLOOD_PRESSURE", "value": 128.0,
            "diastolic": 82.0, "unit": "mm[Hg]" }),
    )
    .await;
    assert_eq!(queued(&app, &pressure).await, 1);

    // The server validates on create: what it holds is a valid Observation.
    let found = wait_until(
        "the reading's Observation in the EHR",
        Duration::from_secs(30),
        async || match observations(&server, "read-pat").await.as_slice() {
            [one] => Ok(one.clone()),
            // What the write-back saw, for the failure message.
            other => Err(format!(
                "{} observations; {}",
                other.len(),
                app.gql_as(
                    "readehr",
                    &admin.access,
                    "{ ehrSyncStatus(runs: 1) { pendingWrites failedWrites { kind lastError } } }",
                    json!({}),
                )
                .await
                .1
            )),
        },
    )
    .await;
    assert_eq!(
        found["identifier"],
        json!([{ "system": "urn:portico:reading", "value": uuid_of(&pressure).to_string() }])
    );
    assert_eq!(found["status"], "final");
    assert_eq!(found["category"][0]["coding"][0]["code"], "vital-signs");
    assert_eq!(found["code"]["coding"][0]["system"], "http://loinc.org");
    assert_eq!(found["code"]["coding"][0]["code"], "85354-9");
    assert_eq!(found["subject"]["reference"], "Patient/read-pat");
    assert_eq!(found["performer"][0]["reference"], "Patient/read-pat");
    assert!(found.get("valueQuantity").is_none(), "{found}");
    let components: Vec<(Value, Value, Value)> = found["component"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"]["coding"][0]["code"].clone(),
                c["valueQuantity"]["value"].clone(),
                c["valueQuantity"]["code"].clone(),
            )
        })
        .collect();
    assert_eq!(
        components,
        vec![
            (json!("8480-6"), json!(128), json!("mm[Hg]")),
            (json!("8462-4"), json!(82), json!("mm[Hg]")),
        ]
    );

    // A chart not linked to an EHR patient: its readings stay in Portico.
    let (other, other_chart) = app.add_user("readehr", Role::Patient).await;
    let other_chart = gid("Patient", other_chart.unwrap());
    let unlinked = record(
        &app,
        &other,
        json!({ "patientId": other_chart, "kind": "SPO2", "value": 97.0, "unit": "%" }),
    )
    .await;
    assert_eq!(queued(&app, &unlinked).await, 0);

    // The next pull reads it back and passes over it: not a clinic result, not refused.
    let run = sync_now(&app, "readehr").await;
    let observed = counts(&run, "Observation");
    assert_eq!(observed.rejected, 0, "{observed:?}");
    assert!(observed.fetched >= 1, "{observed:?}");
    let (_, body) = app
        .gql_as(
            &patient.slug,
            &patient.access,
            HISTORY,
            json!({ "patient": chart }),
        )
        .await;
    assert_eq!(
        body["data"]["homeReadings"]["clinicObservations"],
        json!([]),
        "{body}"
    );
    assert_eq!(
        body["data"]["homeReadings"]["readings"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{body}"
    );
}
