//! "Download my record": the chart as a FHIR R4 transaction Bundle that parses with a FHIR
//! model crate (R4B models, which keep R4's shape for these resources) and whose internal
//! references all resolve.

use std::collections::{HashMap, HashSet};

use fhir_model::r4b::{codes::BundleType, resources::Resource};
use portico_core::identity::Role;
use portico_tests::spawn_app;
use serde_json::{Value, json};

use crate::support::{
    gid,
    records::{glucose, record, small_chart},
};

fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "reference" {
                    out.push(v.as_str().unwrap_or_default().to_owned());
                } else {
                    references(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_exported_bundle_parses_as_fhir_and_its_references_resolve() {
    let app = spawn_app().await;
    let admin = app.practice_admin("export").await;
    let (patient, chart) = app.add_user("export", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let ids = small_chart(&app, &admin, &chart).await;
    let mut wrong = glucose(&chart, 5, 97.0, "N");
    wrong["id"] = json!(ids["glucose_mid"]);
    wrong["status"] = json!("entered-in-error");
    record(&app, &admin, "recordObservation", wrong).await;
    let (_, contact) = app
        .gql_as(
            "export",
            &patient.access,
            "mutation($i: AddEmergencyContactInput!) { addEmergencyContact(input: $i) {
                emergencyContact { id } } }",
            json!({ "i": { "patientId": chart, "name": "Kim Roe", "relationship": "partner",
                "phone": "+1 555 010 0199", "email": "kim@example.org" } }),
        )
        .await;
    assert!(contact["errors"].is_null(), "{contact}");

    let (_, body) = app
        .gql_as(
            "export",
            &patient.access,
            "query($p: ID!) { patient(id: $p) { fhirBundle } }",
            json!({ "p": chart }),
        )
        .await;
    let raw = body["data"]["patient"]["fhirBundle"].clone();
    assert!(raw.is_object(), "{body}");

    let bundle: fhir_model::r4b::resources::Bundle =
        serde_json::from_value(raw.clone()).expect("the bundle parses as FHIR");
    assert_eq!(bundle.0.r#type, BundleType::Transaction);
    let mut kinds: HashMap<&'static str, usize> = HashMap::new();
    let mut full_urls = HashSet::new();
    for entry in bundle.0.entry.iter().flatten() {
        let url = entry.full_url.clone().expect("every entry has a fullUrl");
        assert!(url.starts_with("urn:uuid:"), "{url}");
        assert!(full_urls.insert(url), "full URLs are unique");
        let request = entry.request.as_ref().expect("every entry has a request");
        let kind = match entry.resource.as_ref().expect("every entry has a resource") {
            Resource::Patient(_) => "Patient",
            Resource::Encounter(_) => "Encounter",
            Resource::DocumentReference(_) => "DocumentReference",
            Resource::DiagnosticReport(_) => "DiagnosticReport",
            Resource::Observation(_) => "Observation",
            Resource::MedicationRequest(_) => "MedicationRequest",
            Resource::AllergyIntolerance(_) => "AllergyIntolerance",
            Resource::Condition(_) => "Condition",
            Resource::Immunization(_) => "Immunization",
            other => panic!("unexpected resource {other:?}"),
        };
        assert_eq!(request.url, kind);
        assert_eq!(format!("{:?}", request.method).to_uppercase(), "POST");
        *kinds.entry(kind).or_default() += 1;
    }
    let expected: HashMap<&str, usize> = [
        ("Patient", 1),
        ("Encounter", 1),
        ("DocumentReference", 1),
        ("DiagnosticReport", 1),
        // Three results, one of them entered in error and left out.
        ("Observation", 2),
        ("MedicationRequest", 1),
        ("AllergyIntolerance", 1),
        ("Condition", 1),
        ("Immunization", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(kinds, expected);

    // Every reference points at an entry of the bundle.
    let mut refs = Vec::new();
    references(&raw, &mut refs);
    assert!(refs.len() >= 10, "{refs:?}");
    for r in &refs {
        assert!(
            full_urls.contains(r),
            "{r} does not resolve within the bundle"
        );
    }
    // The patient carries the emergency contact; the report lists its visible results.
    let entries = raw["entry"].as_array().unwrap();
    let patient_entry = entries
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .unwrap();
    assert_eq!(
        patient_entry["resource"]["contact"][0]["name"]["text"],
        "Kim Roe"
    );
    let report = entries
        .iter()
        .find(|e| e["resource"]["resourceType"] == "DiagnosticReport")
        .unwrap();
    assert_eq!(report["resource"]["result"].as_array().unwrap().len(), 2);
    let high = entries
        .iter()
        .find(|e| e["resource"]["interpretation"][0]["coding"][0]["code"] == "H")
        .expect("the flagged result");
    assert_eq!(
        high["resource"]["valueQuantity"]["system"],
        "http://unitsofmeasure.org"
    );
    assert_eq!(
        high["resource"]["code"]["coding"][0]["system"],
        "http://loinc.org"
    );
}
