//! A patient's chart entered by staff: each `record...` mutation, a small chart with a visit,
//! results, a medication, an allergy, a problem and an immunization, and the refill request
//! a patient makes of a medication.

use portico_tests::{Signed, TestApp};
use serde_json::{Value, json};

/// An instant `days` ago, as RFC 3339.
pub fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339()
}

/// The UTC date `days_from_now` days ahead (behind when negative).
pub fn day(days_from_now: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days_from_now))
        .date_naive()
        .to_string()
}

/// Runs a `record...` mutation; returns its payload.
pub async fn record(app: &TestApp, staff: &Signed, mutation: &str, input: Value) -> Value {
    let (input_type, field) = match mutation {
        "recordObservation" => ("RecordObservationInput", "observation { id status value }"),
        "recordDiagnosticReport" => ("RecordDiagnosticReportInput", "report { id status }"),
        "recordEncounter" => ("RecordEncounterInput", "encounter { id status }"),
        "recordMedication" => ("RecordMedicationInput", "medication { id status }"),
        "recordAllergy" => ("RecordAllergyInput", "allergy { id status }"),
        "recordCondition" => ("RecordConditionInput", "condition { id status }"),
        "recordImmunization" => ("RecordImmunizationInput", "immunization { id status }"),
        other => panic!("unknown mutation {other}"),
    };
    let query = format!(
        "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {field} userErrors {{ field code message }} }} }}"
    );
    let (_, body) = app
        .gql_as(
            &staff.slug,
            &staff.access,
            &query,
            json!({ "input": input }),
        )
        .await;
    assert!(body["errors"].is_null(), "{mutation}: {body}");
    body["data"][mutation].clone()
}

/// The id of the record a `record...` payload returned.
pub fn id_of(payload: &Value) -> String {
    let object = payload
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.as_str() != "userErrors")
        .map(|(_, v)| v)
        .unwrap();
    object["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no record: {payload}"))
        .to_owned()
}

/// A glucose result of `chart` taken `days` ago.
pub fn glucose(chart: &str, days: i64, value: f64, flag: &str) -> Value {
    json!({
        "patientId": chart, "status": "final", "code": "2345-7", "display": "Glucose",
        "value": value, "unit": "mg/dL", "rangeLow": 70.0, "rangeHigh": 99.0,
        "interpretation": flag, "effectiveAt": days_ago(days),
    })
}

/// A small chart entered by `staff`: a finished visit 10 days ago, a report with three
/// glucose results (one before the visit, two after, one of them high), an active
/// medication without refills, an allergy, a problem and an immunization falling due.
/// Returns the ids by name.
pub async fn small_chart(
    app: &TestApp,
    staff: &Signed,
    chart: &str,
) -> std::collections::HashMap<&'static str, String> {
    let mut ids = std::collections::HashMap::new();
    let visit = record(
        app,
        staff,
        "recordEncounter",
        json!({ "patientId": chart, "status": "finished", "class": "ambulatory",
            "summary": "Routine visit; labs ordered.", "startedAt": days_ago(10),
            "endedAt": days_ago(10) }),
    )
    .await;
    ids.insert("encounter", id_of(&visit));
    let report = record(
        app,
        staff,
        "recordDiagnosticReport",
        json!({ "patientId": chart, "status": "final", "code": "24323-8",
            "display": "Comprehensive metabolic panel", "effectiveAt": days_ago(2),
            "encounterId": ids["encounter"], "conclusion": "Glucose high." }),
    )
    .await;
    ids.insert("report", id_of(&report));
    // Entered out of time order on purpose.
    for (name, days, value, flag) in [
        ("glucose_new", 2, 131.0, "H"),
        ("glucose_old", 40, 92.0, "N"),
        ("glucose_mid", 5, 97.0, "N"),
    ] {
        let mut input = glucose(chart, days, value, flag);
        input["reportId"] = json!(ids["report"]);
        let saved = record(app, staff, "recordObservation", input).await;
        ids.insert(name, id_of(&saved));
    }
    let med = record(
        app,
        staff,
        "recordMedication",
        json!({ "patientId": chart, "status": "active", "name": "Metformin 500 mg tablet",
            "rxnormCode": "861007", "dosage": "1 tablet twice daily with meals",
            "refillsLeft": 0, "prescriberName": "Dr. Lee", "lastFilledOn": day(-20) }),
    )
    .await;
    ids.insert("medication", id_of(&med));
    let allergy = record(
        app,
        staff,
        "recordAllergy",
        json!({ "patientId": chart, "status": "active", "substance": "Peanuts",
            "reaction": "Anaphylaxis", "severity": "severe" }),
    )
    .await;
    ids.insert("allergy", id_of(&allergy));
    let condition = record(
        app,
        staff,
        "recordCondition",
        json!({ "patientId": chart, "status": "active", "code": "44054006",
            "name": "Type 2 diabetes mellitus", "onsetOn": day(-400) }),
    )
    .await;
    ids.insert("condition", id_of(&condition));
    let shot = record(
        app,
        staff,
        "recordImmunization",
        json!({ "patientId": chart, "status": "completed", "vaccineCode": "33",
            "vaccineName": "Pneumococcal polysaccharide PPV23", "occurredOn": day(-365),
            "nextDueOn": day(7) }),
    )
    .await;
    ids.insert("immunization", id_of(&shot));
    ids
}

/// `requestRefill`, as a patient (or proxy) asks for a refill of a medication.
pub const REQUEST_REFILL: &str =
    "mutation($input: RequestRefillInput!) { requestRefill(input: $input) {
    refillRequest { id status pharmacy note route } userErrors { field code message } } }";

/// `createPatient`: a chart with the least a chart needs.
pub const CREATE_PATIENT: &str =
    "mutation { createPatient(input: { givenName: \"P\", familyName: \"Q\",
    birthDate: \"1990-04-05\", gender: \"unknown\" }) { patient { id } } }";

/// `grantProxyAccess`: the patient (`$chart`) lets `$email` act for them with `$scopes`.
pub const GRANT_PROXY: &str = "mutation($chart: ID!, $email: String!, $scopes: [ProxyScope!]!) {
    grantProxyAccess(input: { patientId: $chart, granteeEmail: $email, scopes: $scopes }) {
        grant { id } userErrors { field code } } }";
