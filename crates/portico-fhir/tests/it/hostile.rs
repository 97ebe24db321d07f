//! Malformed and hostile resources are rejected with stable codes; the rest of a page maps.

use portico_core::ehr::model::{Change, Inbound, ResourceKind};
use portico_fhir::inbound::map_bundle;
use serde_json::{Value, json};

use crate::support::{BASE, fixture, record, rejected};

const MISSING: &str = "EHR_MISSING_FIELD";
const TOO_LONG: &str = "EHR_VALUE_TOO_LONG";
const MALFORMED: &str = "EHR_MALFORMED_RESOURCE";
const UNEXPECTED: &str = "EHR_UNEXPECTED_TYPE";
const BAD_REF: &str = "EHR_BAD_REFERENCE";
const STATUS: &str = "EHR_UNSUPPORTED_STATUS";

fn without(mut raw: Value, field: &str) -> Value {
    raw.as_object_mut().unwrap().remove(field);
    raw
}

fn huge() -> String {
    "x".repeat(1024 * 1024)
}

#[test]
fn missing_required_fields_are_rejected() {
    let cases = [
        (
            without(fixture("patient-example"), "birthDate"),
            ResourceKind::Patient,
        ),
        (
            without(fixture("observation-lab"), "subject"),
            ResourceKind::Observation,
        ),
        (
            without(fixture("appointment-example"), "start"),
            ResourceKind::Appointment,
        ),
        (
            without(fixture("medicationrequest-example"), "dosageInstruction"),
            ResourceKind::MedicationRequest,
        ),
        (
            without(fixture("documentreference-example"), "context"),
            ResourceKind::DocumentReference,
        ),
        (
            without(fixture("condition-example"), "clinicalStatus"),
            ResourceKind::Condition,
        ),
        (
            without(fixture("location-example"), "name"),
            ResourceKind::Location,
        ),
        (
            without(fixture("immunization-example"), "id"),
            ResourceKind::Immunization,
        ),
    ];
    for (raw, kind) in cases {
        assert_eq!(rejected(&raw, kind).0, MISSING, "{kind:?}");
    }
    let mut partial = fixture("patient-example");
    partial["birthDate"] = "1987".into();
    assert_eq!(
        rejected(&partial, ResourceKind::Patient).0,
        MISSING,
        "a year is not a birth date"
    );
    let mut no_participant = fixture("appointment-example");
    no_participant["participant"] =
        json!([{"actor": {"reference": "Practitioner/practitioner-1"}, "status": "accepted"}]);
    assert_eq!(
        rejected(&no_participant, ResourceKind::Appointment).0,
        MISSING
    );
}

#[test]
fn a_megabyte_string_is_rejected_as_too_long_with_its_id() {
    let mut patient = fixture("patient-example");
    // The name in use (the example's official name has ended).
    patient["name"][0]["family"] = huge().into();
    assert_eq!(
        rejected(&patient, ResourceKind::Patient),
        (TOO_LONG, Some("example".to_owned()))
    );
    let mut report = fixture("diagnosticreport-cbc");
    report["conclusion"] = huge().into();
    assert_eq!(
        rejected(&report, ResourceKind::DiagnosticReport).0,
        TOO_LONG
    );
    let mut note = fixture("documentreference-example");
    note["content"][1]["attachment"]["data"] = base64_of(&"note ".repeat(10_000)).into();
    assert_eq!(rejected(&note, ResourceKind::DocumentReference).0, TOO_LONG);
    let mut id = fixture("observation-lab");
    id["id"] = huge().into();
    assert_eq!(
        rejected(&id, ResourceKind::Observation),
        (TOO_LONG, None),
        "an insane id is not echoed"
    );
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn wrong_json_types_are_malformed() {
    let mut patient = fixture("patient-example");
    patient["birthDate"] = 19870220.into();
    assert_eq!(
        rejected(&patient, ResourceKind::Patient),
        (MALFORMED, Some("example".to_owned()))
    );
    let mut obs = fixture("observation-lab");
    obs["valueQuantity"]["value"] = "six".into();
    assert_eq!(rejected(&obs, ResourceKind::Observation).0, MALFORMED);
    let mut when = fixture("observation-lab");
    when["effectiveDateTime"] = "yesterday".into();
    assert_eq!(rejected(&when, ResourceKind::Observation).0, MALFORMED);
    let mut onset = fixture("condition-example");
    onset["onsetDateTime"] = json!({"year": 1987});
    assert_eq!(rejected(&onset, ResourceKind::Condition).0, MALFORMED);
    let mut note = fixture("documentreference-example");
    note["content"][1]["attachment"]["data"] = base64_of_bytes(&[0xff, 0xfe, 0x00]).into();
    assert_eq!(
        rejected(&note, ResourceKind::DocumentReference).0,
        MALFORMED,
        "not UTF-8"
    );
    assert_eq!(
        rejected(&json!("Patient"), ResourceKind::Patient).0,
        MALFORMED
    );
    assert_eq!(
        rejected(&json!({"id": "x"}), ResourceKind::Patient),
        (MALFORMED, Some("x".to_owned()))
    );
}

fn base64_of_bytes(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn unknown_statuses_are_unsupported() {
    let cases = [
        ("observation-lab", ResourceKind::Observation, "bogus"),
        ("observation-lab", ResourceKind::Observation, "cancelled"),
        ("encounter-example", ResourceKind::Encounter, "unknown"),
        (
            "medicationrequest-example",
            ResourceKind::MedicationRequest,
            "draft",
        ),
        (
            "medicationrequest-example",
            ResourceKind::MedicationRequest,
            "unknown",
        ),
        ("immunization-example", ResourceKind::Immunization, "bogus"),
        ("appointment-example", ResourceKind::Appointment, "bogus"),
        (
            "documentreference-example",
            ResourceKind::DocumentReference,
            "preliminary",
        ),
    ];
    for (name, kind, status) in cases {
        let mut raw = fixture(name);
        raw["status"] = status.into();
        assert_eq!(rejected(&raw, kind).0, STATUS, "{kind:?} {status}");
    }
    let mut allergy = fixture("allergyintolerance-example");
    allergy["clinicalStatus"]["coding"][0]["code"] = "bogus".into();
    assert_eq!(
        rejected(&allergy, ResourceKind::AllergyIntolerance).0,
        STATUS
    );
}

#[test]
fn restricted_resources_are_never_mapped() {
    const SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
    let label = |code: &str| json!([{"system": SYSTEM, "code": code}]);
    let cases = [
        ("patient-example", ResourceKind::Patient),
        ("observation-lab", ResourceKind::Observation),
        ("diagnosticreport-cbc", ResourceKind::DiagnosticReport),
        ("documentreference-example", ResourceKind::DocumentReference),
        ("medicationrequest-example", ResourceKind::MedicationRequest),
        ("condition-example", ResourceKind::Condition),
        ("encounter-example", ResourceKind::Encounter),
        ("appointment-example", ResourceKind::Appointment),
    ];
    for (name, kind) in cases {
        for code in ["R", "V"] {
            let mut raw = fixture(name);
            raw["meta"]["security"] = label(code);
            let (rejected_code, id) = rejected(&raw, kind);
            assert_eq!(rejected_code, "EHR_RESTRICTED_RESOURCE", "{kind:?} {code}");
            assert!(id.is_some(), "{kind:?}: the id lets the sync withdraw it");
        }
    }
    let mut other_labels = fixture("condition-example");
    other_labels["meta"]["security"] = json!([
        {"system": SYSTEM, "code": "N"},
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "R"},
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST"}
    ]);
    record(&other_labels, ResourceKind::Condition);
    let mut old_system = fixture("condition-example");
    old_system["meta"]["security"] =
        json!([{"system": "http://hl7.org/fhir/v3/Confidentiality", "code": "V"}]);
    assert_eq!(
        rejected(&old_system, ResourceKind::Condition).0,
        "EHR_RESTRICTED_RESOURCE"
    );
    let mut broken = fixture("observation-lab");
    broken["meta"]["security"] = label("R");
    broken["status"] = 42.into();
    assert_eq!(
        rejected(&broken, ResourceKind::Observation).0,
        "EHR_RESTRICTED_RESOURCE",
        "restricted wins over malformed"
    );
}

#[test]
fn a_resource_of_another_type_is_unexpected() {
    assert_eq!(
        rejected(&fixture("patient-example"), ResourceKind::Observation).0,
        UNEXPECTED
    );
    // Laboratory results and vital signs are the chart's; other categories are not.
    let mut survey = fixture("observation-lab");
    survey["category"][0]["coding"][0]["code"] = "survey".into();
    assert_eq!(
        rejected(&survey, ResourceKind::Observation).0,
        "EHR_UNSUPPORTED_CODE"
    );
}

#[test]
fn references_must_be_local_and_of_the_expected_type() {
    let set = |name: &str, pointer: &str, value: &str| {
        let mut raw = fixture(name);
        *raw.pointer_mut(pointer).unwrap() = value.into();
        raw
    };
    let cases = [
        set("observation-lab", "/subject/reference", "Group/cohort-1"),
        set("observation-lab", "/encounter/reference", "Patient/example"),
        set(
            "observation-lab",
            "/subject/reference",
            "https://other.example/fhir/Patient/example",
        ),
        set(
            "observation-lab",
            "/subject/reference",
            "https://ehr.example.org/fhir-other/Patient/example",
        ),
        set("observation-lab", "/subject/reference", "#contained-1"),
        set(
            "observation-lab",
            "/subject/reference",
            "Patient/../../admin",
        ),
        set("observation-lab", "/subject/reference", "Patient/a b"),
    ];
    for raw in &cases {
        assert_eq!(
            rejected(raw, ResourceKind::Observation).0,
            BAD_REF,
            "{}",
            raw["subject"]
        );
    }
    let result = set(
        "diagnosticreport-cbc",
        "/result/0/reference",
        "Patient/example",
    );
    assert_eq!(rejected(&result, ResourceKind::DiagnosticReport).0, BAD_REF);
    let absolute = set(
        "observation-lab",
        "/subject/reference",
        &format!("{BASE}/Patient/example/_history/2"),
    );
    let Inbound::Observation { patient, .. } = record(&absolute, ResourceKind::Observation) else {
        panic!()
    };
    assert_eq!(
        patient, "example",
        "absolute references on the base URL are fine"
    );
}

#[test]
fn a_page_mixing_good_and_bad_entries_maps_the_good_ones() {
    let good = fixture("observation-lab");
    let mut bad = fixture("observation-lab");
    bad["id"] = "bad-1".into();
    bad["status"] = 42.into();
    let mut second = fixture("observation-lab");
    second["id"] = "glucose-2".into();
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [
            {"relation": "self", "url": format!("{BASE}/Observation?category=laboratory")},
            {"relation": "next", "url": format!("{BASE}/Observation?page=2")}
        ],
        "entry": [
            {"fullUrl": format!("{BASE}/Observation/glucose"), "resource": good, "search": {"mode": "match"}},
            {"resource": bad, "search": {"mode": "match"}},
            {"resource": fixture("patient-example"), "search": {"mode": "include"}},
            {"resource": fixture("patient-example"), "search": {"mode": "match"}},
            {"fullUrl": "urn:uuid:x"},
            {"resource": second}
        ]
    });
    let page = map_bundle(&bundle, ResourceKind::Observation, BASE).unwrap();
    let summary: Vec<(String, Option<String>)> = page
        .changes
        .iter()
        .map(|c| match c {
            Change::Upsert(m) => ("upsert".to_owned(), Some(m.fhir_id.clone())),
            Change::Rejected { code, fhir_id, .. } => ((*code).to_owned(), fhir_id.clone()),
            Change::Deleted { fhir_id, .. } => ("deleted".to_owned(), Some(fhir_id.clone())),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("upsert".to_owned(), Some("glucose".to_owned())),
            (MALFORMED.to_owned(), Some("bad-1".to_owned())),
            (UNEXPECTED.to_owned(), Some("example".to_owned())),
            (MISSING.to_owned(), None),
            ("upsert".to_owned(), Some("glucose-2".to_owned())),
        ]
    );
    assert_eq!(
        page.next.as_deref(),
        Some(format!("{BASE}/Observation?page=2").as_str())
    );
}

#[test]
fn a_history_page_yields_only_deletions() {
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "history",
        "entry": [
            {"fullUrl": format!("{BASE}/Observation/gone-1"), "request": {"method": "DELETE", "url": "Observation/gone-1"}, "response": {"status": "204"}},
            {"fullUrl": format!("{BASE}/Observation/kept"), "resource": fixture("observation-lab"), "request": {"method": "PUT", "url": "Observation/kept"}},
            {"fullUrl": format!("{BASE}/Observation/gone-2/_history/3"), "request": {"method": "DELETE", "url": "weird"}},
            {"request": {"method": "DELETE", "url": "Observation/../../x"}}
        ]
    });
    let page = map_bundle(&bundle, ResourceKind::Observation, BASE).unwrap();
    let ids: Vec<&str> = page
        .changes
        .iter()
        .map(|c| match c {
            Change::Deleted { fhir_id, .. } => fhir_id.as_str(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(ids, ["gone-1", "gone-2"]);
}

fn deleted_ids(entries: Value) -> Vec<String> {
    let bundle = json!({"resourceType": "Bundle", "type": "history", "entry": entries});
    map_bundle(&bundle, ResourceKind::Observation, BASE)
        .unwrap()
        .changes
        .into_iter()
        .map(|c| match c {
            Change::Deleted { fhir_id, .. } => fhir_id,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn observation(id: &str) -> Value {
    let mut raw = fixture("observation-lab");
    raw["id"] = id.into();
    raw
}

#[test]
fn a_deletion_followed_by_a_new_version_in_the_same_page_is_not_reported() {
    let delete =
        |id: &str| json!({"request": {"method": "DELETE", "url": format!("Observation/{id}")}});
    let put = |id: &str| json!({"resource": observation(id), "request": {"method": "PUT", "url": format!("Observation/{id}")}});
    // Newest first, as history pages are: `again` was deleted, then created again; `gone`
    // was created, then deleted; `twice` was deleted twice.
    assert_eq!(
        deleted_ids(json!([
            put("again"),
            delete("again"),
            delete("gone"),
            put("gone"),
            delete("twice"),
            delete("twice"),
        ])),
        ["gone", "twice"]
    );
    // With lastModified, that order decides, whatever the page's order.
    let at = |mut entry: Value, t: &str| {
        entry["response"] = json!({"status": "200", "lastModified": t});
        entry
    };
    assert_eq!(
        deleted_ids(json!([
            at(delete("again"), "2024-03-01T10:00:00Z"),
            at(put("again"), "2024-03-01T11:00:00Z"),
            at(put("gone"), "2024-03-01T10:00:00Z"),
            at(delete("gone"), "2024-03-01T11:00:00Z"),
        ])),
        ["gone"]
    );
    // A create whose id is only in the response's location still counts.
    assert_eq!(
        deleted_ids(json!([
            {"request": {"method": "POST", "url": "Observation"},
             "response": {"status": "201", "location": "Observation/posted/_history/2"}},
            delete("posted"),
        ])),
        Vec::<String>::new()
    );
}

#[test]
fn a_body_that_is_not_a_bundle_is_a_bad_response() {
    let err = map_bundle(&fixture("patient-example"), ResourceKind::Patient, BASE).unwrap_err();
    assert_eq!(err.code, "EHR_BAD_RESPONSE");
    assert!(!err.message.contains("Amy"));
}
