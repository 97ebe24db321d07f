//! Home readings: a patient (or a proxy with `readings`) records readings of six kinds, each
//! kept as given and in its canonical unit and marked patient-reported; implausible values,
//! wrong units and future times are refused with a code naming the field and nothing saved;
//! a reading beyond a threshold (the patient's own for the kind, else the practice's) opens
//! one alert for the care team and tells the patient the practice's instruction; other
//! patients and other practices see nothing.

use chrono::{Duration, Utc};
use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, error_code, spawn_app};
use serde_json::{Value, json};

use crate::support::{gid, records::GRANT_PROXY, records::record, user_error};

const RECORD: &str = "mutation($input: RecordReadingInput!) { recordReading(input: $input) {
    reading { id kind code value diastolic unit normalisedValue normalisedDiastolic
        canonicalUnit source recordedByProxy instruction }
    beyondThreshold instruction userErrors { field code message } } }";
const HISTORY: &str = "query($patient: ID!, $kind: ReadingKind) {
    homeReadings(patientId: $patient, kind: $kind) {
    readings { id kind value diastolic source instruction alertStatus }
    clinicObservations { code value unit } } }";
const THRESHOLD: &str = "mutation($input: SetReadingThresholdInput!) {
    setReadingThreshold(input: $input) { threshold { id kind measure low high instruction }
    userErrors { field code message } } }";
const ALERTS: &str = "query($all: Boolean) { readingAlerts(includeAcknowledged: $all) {
    id patientId poolId status instruction reading { value diastolic } } }";
const ACKNOWLEDGE: &str = "mutation($id: ID!) { acknowledgeReadingAlert(id: $id) {
    alert { id status acknowledgedAt } userErrors { field code } } }";

const CALL_US: &str = "Call us today at 555-0100.";

async fn gql(app: &TestApp, who: &Signed, query: &str, vars: Value) -> Value {
    app.gql_as(&who.slug, &who.access, query, vars).await.1
}

async fn reading(app: &TestApp, who: &Signed, input: Value) -> Value {
    gql(app, who, RECORD, json!({ "input": input })).await
}

fn bp(chart: &str, systolic: f64, diastolic: f64) -> Value {
    json!({ "patientId": chart, "kind": "BLOOD_PRESSURE", "value": systolic,
        "diastolic": diastolic, "unit": "mm[Hg]" })
}

async fn history(app: &TestApp, who: &Signed, chart: &str) -> Value {
    gql(app, who, HISTORY, json!({ "patient": chart })).await
}

async fn readings_of(app: &TestApp, who: &Signed, chart: &str) -> Vec<Value> {
    let body = history(app, who, chart).await;
    body["data"]["homeReadings"]["readings"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

async fn alerts(app: &TestApp, staff: &Signed) -> Vec<Value> {
    let body = gql(app, staff, ALERTS, json!({})).await;
    body["data"]["readingAlerts"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

async fn threshold(app: &TestApp, who: &Signed, input: Value) -> Value {
    gql(app, who, THRESHOLD, json!({ "input": input })).await
}

/// The practice's systolic threshold: above 160 mm[Hg], call us.
async fn practice_threshold(app: &TestApp, admin: &Signed) {
    let body = threshold(
        app,
        admin,
        json!({ "kind": "BLOOD_PRESSURE", "measure": "SYSTOLIC", "high": 160.0,
            "instruction": CALL_US }),
    )
    .await;
    assert!(
        body["data"]["setReadingThreshold"]["threshold"]["id"].is_string(),
        "{body}"
    );
}

async fn patient(app: &TestApp, slug: &str) -> (Signed, String) {
    let (signed, chart) = app.add_user(slug, Role::Patient).await;
    (signed, gid("Patient", chart.unwrap()))
}

#[tokio::test]
async fn every_kind_is_kept_as_given_and_in_its_canonical_unit() {
    let app = spawn_app().await;
    let admin = app.practice_admin("readkinds").await;
    let (alice, chart) = patient(&app, "readkinds").await;
    // (kind, value, unit, code, normalised, canonical unit)
    let cases = [
        ("GLUCOSE", 5.5, "mmol/L", "15074-8", 99.09, "mg/dL"),
        ("GLUCOSE", 104.0, "mg/dL", "2339-0", 104.0, "mg/dL"),
        ("WEIGHT", 150.0, "[lb_av]", "29463-7", 68.04, "kg"),
        ("TEMPERATURE", 98.6, "[degF]", "8310-5", 37.0, "Cel"),
        ("SPO2", 97.0, "%", "59408-5", 97.0, "%"),
        ("PEAK_FLOW", 420.0, "L/min", "19935-6", 420.0, "L/min"),
    ];
    for (kind, value, unit, code, normalised, canonical) in cases {
        let body = reading(
            &app,
            &alice,
            json!({ "patientId": chart, "kind": kind, "value": value, "unit": unit }),
        )
        .await;
        let saved = &body["data"]["recordReading"]["reading"];
        assert_eq!(saved["kind"], kind, "{body}");
        assert_eq!(saved["code"], code, "{body}");
        assert_eq!(saved["value"], value, "{body}");
        assert_eq!(saved["unit"], unit, "{body}");
        assert_eq!(saved["normalisedValue"], normalised, "{body}");
        assert_eq!(saved["canonicalUnit"], canonical, "{body}");
        assert_eq!(saved["source"], "patient-reported", "{body}");
        assert_eq!(saved["recordedByProxy"], false, "{body}");
        assert_eq!(body["data"]["recordReading"]["beyondThreshold"], false);
    }
    let body = reading(&app, &alice, bp(&chart, 128.0, 82.0)).await;
    let saved = &body["data"]["recordReading"]["reading"];
    assert_eq!(saved["code"], "85354-9", "{body}");
    assert_eq!(saved["normalisedValue"], 128.0);
    assert_eq!(saved["normalisedDiastolic"], 82.0);
    assert_eq!(saved["canonicalUnit"], "mm[Hg]");

    // The clinic's weight is charted beside the patient's; a lab result is not.
    record(
        &app,
        &admin,
        "recordObservation",
        json!({ "patientId": chart, "status": "final", "code": "29463-7",
            "display": "Body weight", "value": 70.2, "unit": "kg",
            "effectiveAt": (Utc::now() - Duration::days(30)).to_rfc3339() }),
    )
    .await;
    record(
        &app,
        &admin,
        "recordObservation",
        crate::support::records::glucose(&chart, 3, 131.0, "H"),
    )
    .await;
    let weight = gql(
        &app,
        &alice,
        HISTORY,
        json!({ "patient": chart, "kind": "WEIGHT" }),
    )
    .await;
    let weight = &weight["data"]["homeReadings"];
    assert_eq!(weight["readings"].as_array().unwrap().len(), 1, "{weight}");
    assert_eq!(weight["readings"][0]["source"], "patient-reported");
    assert_eq!(
        weight["clinicObservations"],
        json!([{ "code": "29463-7", "value": 70.2, "unit": "kg" }])
    );
    // Staff see the same readings on the chart.
    assert_eq!(readings_of(&app, &admin, &chart).await.len(), 7);
}

#[tokio::test]
async fn implausible_values_wrong_units_and_future_times_are_refused_and_nothing_is_saved() {
    let app = spawn_app().await;
    let admin = app.practice_admin("readbad").await;
    let (alice, chart) = patient(&app, "readbad").await;
    let future = (Utc::now() + Duration::hours(2)).to_rfc3339();
    let long_ago = (Utc::now() - Duration::days(400)).to_rfc3339();
    let cases = [
        (bp(&chart, 400.0, 80.0), "value", "READING_OUT_OF_RANGE"),
        (bp(&chart, 120.0, 20.0), "diastolic", "READING_OUT_OF_RANGE"),
        (
            bp(&chart, 120.0, 130.0),
            "diastolic",
            "READING_OUT_OF_RANGE",
        ),
        (
            json!({ "patientId": chart, "kind": "BLOOD_PRESSURE", "value": 120.0,
                "unit": "mm[Hg]" }),
            "diastolic",
            "READING_DIASTOLIC_REQUIRED",
        ),
        (
            json!({ "patientId": chart, "kind": "SPO2", "value": 101.0, "unit": "%" }),
            "value",
            "READING_OUT_OF_RANGE",
        ),
        (
            json!({ "patientId": chart, "kind": "TEMPERATURE", "value": 50.0, "unit": "Cel" }),
            "value",
            "READING_OUT_OF_RANGE",
        ),
        // 50 °F is 10 °C: out of range once converted.
        (
            json!({ "patientId": chart, "kind": "TEMPERATURE", "value": 50.0,
                "unit": "[degF]" }),
            "value",
            "READING_OUT_OF_RANGE",
        ),
        (
            json!({ "patientId": chart, "kind": "GLUCOSE", "value": 100.0, "unit": "kg" }),
            "unit",
            "READING_UNIT",
        ),
        (
            json!({ "patientId": chart, "kind": "WEIGHT", "value": 70.0, "unit": "kg",
                "diastolic": 60.0 }),
            "diastolic",
            "READING_DIASTOLIC_UNEXPECTED",
        ),
        (
            json!({ "patientId": chart, "kind": "WEIGHT", "value": 70.0, "unit": "kg",
                "takenAt": future }),
            "takenAt",
            "READING_IN_FUTURE",
        ),
        (
            json!({ "patientId": chart, "kind": "WEIGHT", "value": 70.0, "unit": "kg",
                "takenAt": long_ago }),
            "takenAt",
            "READING_TOO_OLD",
        ),
    ];
    for (input, field, code) in cases {
        let body = reading(&app, &alice, input.clone()).await;
        let payload = &body["data"]["recordReading"];
        assert_eq!(payload["userErrors"][0]["code"], code, "{input}: {body}");
        assert_eq!(payload["userErrors"][0]["field"], field, "{input}: {body}");
        assert!(payload["reading"].is_null(), "{body}");
    }
    assert!(readings_of(&app, &admin, &chart).await.is_empty());
}

#[tokio::test]
async fn a_reading_beyond_the_practices_threshold_opens_one_alert_and_tells_the_patient() {
    let app = spawn_app().await;
    let admin = app.practice_admin("readalert").await;
    let (front_desk, _) = app.add_user("readalert", Role::Staff).await;
    let pool = gql(
        &app,
        &admin,
        "mutation { createCareTeamPool(input: { name: \"Nurse line\", kind: NURSE_LINE }) {
            pool { id } } }",
        json!({}),
    )
    .await;
    let pool = pool["data"]["createCareTeamPool"]["pool"]["id"].clone();
    assert!(pool.is_string(), "{pool}");
    practice_threshold(&app, &admin).await;
    let (alice, chart) = patient(&app, "readalert").await;

    let calm = reading(&app, &alice, bp(&chart, 150.0, 90.0)).await;
    assert_eq!(
        calm["data"]["recordReading"]["beyondThreshold"], false,
        "{calm}"
    );
    assert!(calm["data"]["recordReading"]["instruction"].is_null());
    assert!(alerts(&app, &admin).await.is_empty());

    let high = reading(&app, &alice, bp(&chart, 182.0, 95.0)).await;
    let payload = &high["data"]["recordReading"];
    assert_eq!(payload["beyondThreshold"], true, "{high}");
    assert_eq!(payload["instruction"], CALL_US);
    assert_eq!(payload["reading"]["instruction"], CALL_US);

    let open = alerts(&app, &front_desk).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["patientId"], chart.as_str());
    assert_eq!(open[0]["poolId"], pool);
    assert_eq!(open[0]["status"], "open");
    assert_eq!(open[0]["reading"]["value"], 182.0);

    // The portal's history shows the instruction beside the reading.
    let mine = readings_of(&app, &alice, &chart).await;
    assert_eq!(mine.len(), 2);
    assert!(mine[0]["instruction"].is_null());
    assert_eq!(mine[1]["instruction"], CALL_US);
    assert_eq!(mine[1]["alertStatus"], "open");

    let id = open[0]["id"].clone();
    let done = gql(&app, &front_desk, ACKNOWLEDGE, json!({ "id": id })).await;
    assert_eq!(
        done["data"]["acknowledgeReadingAlert"]["alert"]["status"], "acknowledged",
        "{done}"
    );
    assert!(alerts(&app, &admin).await.is_empty());
    let all = gql(&app, &admin, ALERTS, json!({ "all": true })).await;
    assert_eq!(
        all["data"]["readingAlerts"].as_array().unwrap().len(),
        1,
        "{all}"
    );

    // Each step is in the chart's access log.
    let log = gql(
        &app,
        &admin,
        "query($p: ID) { auditEvents(patientId: $p) { action } }",
        json!({ "p": chart }),
    )
    .await;
    let actions: Vec<&str> = log["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "reading.record",
        "reading_alert.open",
        "reading_alert.list",
        "reading_alert.acknowledge",
        "reading.list",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn readings_recorded_at_once_each_open_exactly_one_alert() {
    let app = spawn_app().await;
    let admin = app.practice_admin("readrace").await;
    practice_threshold(&app, &admin).await;
    let (alice, chart) = patient(&app, "readrace").await;
    let (first, second, calm) = tokio::join!(
        reading(&app, &alice, bp(&chart, 170.0, 90.0)),
        reading(&app, &alice, bp(&chart, 175.0, 92.0)),
        reading(&app, &alice, bp(&chart, 130.0, 80.0)),
    );
    for body in [&first, &second] {
        assert_eq!(
            body["data"]["recordReading"]["beyondThreshold"], true,
            "{body}"
        );
    }
    assert_eq!(calm["data"]["recordReading"]["beyondThreshold"], false);
    let open = alerts(&app, &admin).await;
    let mut values: Vec<f64> = open
        .iter()
        .map(|a| a["reading"]["value"].as_f64().unwrap())
        .collect();
    values.sort_by(f64::total_cmp);
    assert_eq!(values, vec![170.0, 175.0], "{open:?}");
}

#[tokio::test]
async fn a_patients_own_threshold_replaces_the_practices_for_that_kind() {
    let app = spawn_app().await;
    let admin = app.practice_admin("readown").await;
    practice_threshold(&app, &admin).await;
    let (alice, alice_chart) = patient(&app, "readown").await;
    let (bob, bob_chart) = patient(&app, "readown").await;
    let own = threshold(
        &app,
        &admin,
        json!({ "patientId": alice_chart, "kind": "BLOOD_PRESSURE", "measure": "SYSTOLIC",
            "high": 180.0, "instruction": "Rest and measure again in an hour." }),
    )
    .await;
    assert!(
        own["data"]["setReadingThreshold"]["threshold"]["id"].is_string(),
        "{own}"
    );

    let alice_170 = reading(&app, &alice, bp(&alice_chart, 170.0, 85.0)).await;
    assert_eq!(
        alice_170["data"]["recordReading"]["beyondThreshold"], false,
        "{alice_170}"
    );
    let bob_170 = reading(&app, &bob, bp(&bob_chart, 170.0, 85.0)).await;
    assert_eq!(bob_170["data"]["recordReading"]["instruction"], CALL_US);
    let alice_185 = reading(&app, &alice, bp(&alice_chart, 185.0, 85.0)).await;
    assert_eq!(
        alice_185["data"]["recordReading"]["instruction"],
        "Rest and measure again in an hour."
    );
    assert_eq!(alerts(&app, &admin).await.len(), 2);

    // Alice's own thresholds are part of her chart: listing them is in her access log.
    let listed = gql(
        &app,
        &admin,
        "query($p: ID) { readingThresholds(patientId: $p) { kind measure high } }",
        json!({ "p": alice_chart }),
    )
    .await;
    assert_eq!(
        listed["data"]["readingThresholds"],
        json!([{ "kind": "BLOOD_PRESSURE", "measure": "SYSTOLIC", "high": 180.0 }]),
        "{listed}"
    );
    let log = gql(
        &app,
        &admin,
        "query($p: ID) { auditEvents(patientId: $p) { action } }",
        json!({ "p": alice_chart }),
    )
    .await;
    assert!(
        log["data"]["auditEvents"]
            .as_array()
            .unwrap_or_else(|| panic!("{log}"))
            .iter()
            .any(|e| e["action"] == "reading_threshold.list"),
        "{log}"
    );
}

#[tokio::test]
async fn thresholds_are_checked_and_set_only_by_admins_and_providers() {
    let app = spawn_app().await;
    let admin = app.practice_admin("readrules").await;
    let (front_desk, _) = app.add_user("readrules", Role::Staff).await;
    let (provider, _) = app.add_user("readrules", Role::Provider).await;
    let spo2 = |low: Value, measure: &str, instruction: &str| json!({ "kind": "SPO2", "measure": measure, "low": low, "instruction": instruction });
    for (input, field, code) in [
        (
            spo2(json!(92.0), "SYSTOLIC", CALL_US),
            "measure",
            "THRESHOLD_MEASURE",
        ),
        (
            spo2(json!(20.0), "VALUE", CALL_US),
            "low",
            "THRESHOLD_OUT_OF_RANGE",
        ),
        (
            spo2(json!(92.0), "VALUE", "  "),
            "instruction",
            "INVALID_INSTRUCTION",
        ),
    ] {
        let body = threshold(&app, &admin, input).await;
        assert_eq!(
            user_error(&body, "setReadingThreshold"),
            Some(code),
            "{body}"
        );
        assert_eq!(
            body["data"]["setReadingThreshold"]["userErrors"][0]["field"],
            field
        );
    }
    let refused = threshold(&app, &front_desk, spo2(json!(92.0), "VALUE", CALL_US)).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    let set = threshold(&app, &provider, spo2(json!(92.0), "VALUE", CALL_US)).await;
    assert_eq!(
        set["data"]["setReadingThreshold"]["threshold"]["low"], 92.0,
        "{set}"
    );
    let listed = gql(
        &app,
        &admin,
        "{ readingThresholds { kind measure low } }",
        json!({}),
    )
    .await;
    assert_eq!(
        listed["data"]["readingThresholds"],
        json!([{ "kind": "SPO2", "measure": "VALUE", "low": 92.0 }])
    );
    // Both bounds cleared removes it.
    let cleared = threshold(&app, &admin, spo2(Value::Null, "VALUE", "")).await;
    assert!(
        cleared["data"]["setReadingThreshold"]["threshold"].is_null(),
        "{cleared}"
    );
    assert!(
        cleared["data"]["setReadingThreshold"]["userErrors"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let listed = gql(&app, &admin, "{ readingThresholds { kind } }", json!({})).await;
    assert_eq!(listed["data"]["readingThresholds"], json!([]));
}

#[tokio::test]
async fn another_patient_and_another_practice_see_nothing() {
    let app = spawn_app().await;
    let admin = app.practice_admin("readmine").await;
    practice_threshold(&app, &admin).await;
    let (alice, alice_chart) = patient(&app, "readmine").await;
    let (bob, bob_chart) = patient(&app, "readmine").await;
    let high = reading(&app, &alice, bp(&alice_chart, 190.0, 100.0)).await;
    assert_eq!(
        high["data"]["recordReading"]["beyondThreshold"], true,
        "{high}"
    );
    let alert = alerts(&app, &admin).await[0]["id"].clone();

    // Bob neither reads Alice's readings nor records on her chart.
    let peek = history(&app, &bob, &alice_chart).await;
    assert_eq!(error_code(&peek), Some("NOT_FOUND"), "{peek}");
    let write = reading(&app, &bob, bp(&alice_chart, 120.0, 80.0)).await;
    assert_eq!(error_code(&write), Some("NOT_FOUND"), "{write}");
    assert!(readings_of(&app, &bob, &bob_chart).await.is_empty());
    let staff_only = gql(&app, &bob, ALERTS, json!({})).await;
    assert_eq!(error_code(&staff_only), Some("FORBIDDEN"), "{staff_only}");

    // Another practice: nothing of this one's, by list or by id.
    let other = app.practice_admin("readother").await;
    assert!(alerts(&app, &other).await.is_empty());
    let peek = history(&app, &other, &alice_chart).await;
    assert_eq!(error_code(&peek), Some("NOT_FOUND"), "{peek}");
    let ack = gql(&app, &other, ACKNOWLEDGE, json!({ "id": alert })).await;
    assert_eq!(error_code(&ack), Some("NOT_FOUND"), "{ack}");
    assert_eq!(readings_of(&app, &alice, &alice_chart).await.len(), 1);
    let still = alerts(&app, &admin).await;
    assert_eq!(still.len(), 1);
    assert_eq!(still[0]["status"], "open");
}

#[tokio::test]
async fn a_proxy_records_only_with_the_readings_scope() {
    let app = spawn_app().await;
    app.practice_admin("readproxy").await;
    let (alice, alice_chart) = patient(&app, "readproxy").await;
    let (carer, _) = patient(&app, "readproxy").await;
    let grant = |scopes: Value| {
        let (app, alice, chart, email) = (&app, &alice, &alice_chart, carer.email.clone());
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
    let refused = reading(&app, &carer, bp(&alice_chart, 120.0, 80.0)).await;
    assert_eq!(
        error_code(&refused),
        Some("PROXY_SCOPE_DENIED"),
        "{refused}"
    );
    assert_eq!(refused["errors"][0]["extensions"]["scope"], "READINGS");
    assert!(readings_of(&app, &alice, &alice_chart).await.is_empty());

    grant(json!(["READ", "READINGS"])).await;
    let done = reading(&app, &carer, bp(&alice_chart, 120.0, 80.0)).await;
    assert_eq!(
        done["data"]["recordReading"]["reading"]["recordedByProxy"], true,
        "{done}"
    );
    let mine = readings_of(&app, &alice, &alice_chart).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["source"], "patient-reported");
}

/// A caregiver whose grant has `readings` but not `read` sees what is recorded on the chart,
/// never the clinic's results (a glucose lab value is not theirs to read); the patient sees both.
#[tokio::test]
async fn a_proxy_with_only_the_readings_scope_sees_no_clinic_results() {
    let app = spawn_app().await;
    let admin = app.practice_admin("readonlyproxy").await;
    let (alice, chart) = patient(&app, "readonlyproxy").await;
    let (carer, _) = patient(&app, "readonlyproxy").await;
    let body = gql(
        &app,
        &alice,
        GRANT_PROXY,
        json!({ "chart": chart, "email": carer.email, "scopes": ["READINGS"] }),
    )
    .await;
    assert!(
        body["data"]["grantProxyAccess"]["grant"].is_object(),
        "{body}"
    );
    record(
        &app,
        &admin,
        "recordObservation",
        json!({ "patientId": chart, "status": "final", "code": "2339-0",
            "display": "Glucose [Mass/volume] in Blood", "value": 131.0, "unit": "mg/dL",
            "effectiveAt": (Utc::now() - Duration::days(3)).to_rfc3339() }),
    )
    .await;
    let glucose = json!({ "patientId": chart, "kind": "GLUCOSE", "value": 140.0, "unit": "mg/dL" });
    let done = reading(&app, &carer, glucose).await;
    assert_eq!(
        done["data"]["recordReading"]["reading"]["recordedByProxy"], true,
        "{done}"
    );

    let by_carer = gql(
        &app,
        &carer,
        HISTORY,
        json!({ "patient": chart, "kind": "GLUCOSE" }),
    )
    .await;
    let by_carer = &by_carer["data"]["homeReadings"];
    assert_eq!(
        by_carer["readings"].as_array().unwrap().len(),
        1,
        "{by_carer}"
    );
    assert_eq!(by_carer["clinicObservations"], json!([]), "{by_carer}");

    let by_alice = gql(
        &app,
        &alice,
        HISTORY,
        json!({ "patient": chart, "kind": "GLUCOSE" }),
    )
    .await;
    let by_alice = &by_alice["data"]["homeReadings"];
    assert_eq!(
        by_alice["readings"].as_array().unwrap().len(),
        1,
        "{by_alice}"
    );
    assert_eq!(
        by_alice["clinicObservations"].as_array().unwrap().len(),
        1,
        "{by_alice}"
    );
}

/// An alert on a restricted chart is listed with its reading to practice admins (and the
/// chart's care team); front-desk staff who have not broken the glass see the alert, so it is
/// worked, but not the reading.
#[tokio::test]
async fn alerts_on_a_restricted_chart_show_the_reading_only_to_those_who_may_open_it() {
    let app = spawn_app().await;
    let admin = app.practice_admin("readvip").await;
    let (front_desk, _) = app.add_user("readvip", Role::Staff).await;
    practice_threshold(&app, &admin).await;
    let (alice, chart) = patient(&app, "readvip").await;
    let (bob, bob_chart) = patient(&app, "readvip").await;
    let restricted = gql(
        &app,
        &admin,
        "mutation($i: SetChartRestrictionInput!) { setChartRestriction(input: $i) {
            restriction { category } userErrors { field code } } }",
        json!({ "i": { "patientId": chart, "category": "vip" } }),
    )
    .await;
    assert_eq!(
        restricted["data"]["setChartRestriction"]["restriction"]["category"], "vip",
        "{restricted}"
    );
    for (who, on) in [(&alice, &chart), (&bob, &bob_chart)] {
        let high = reading(&app, who, bp(on, 182.0, 95.0)).await;
        assert_eq!(
            high["data"]["recordReading"]["beyondThreshold"], true,
            "{high}"
        );
    }
    let by_admin = alerts(&app, &admin).await;
    assert_eq!(by_admin.len(), 2);
    assert!(
        by_admin.iter().all(|a| a["reading"]["value"] == 182.0),
        "{by_admin:?}"
    );
    let seen = alerts(&app, &front_desk).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    let of = |chart: &str| {
        seen.iter()
            .find(|a| a["patientId"] == json!(chart))
            .unwrap()
    };
    assert!(of(&chart)["reading"].is_null(), "{seen:?}");
    assert_eq!(of(&bob_chart)["reading"]["value"], 182.0, "{seen:?}");
}
