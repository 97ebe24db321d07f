//! Clinical content read as FHIR means it: verification statuses, every reaction, drugs
//! named by `medicationReference`, vital signs with their components, and coded values and
//! units kept as received.

use portico_core::ehr::model::{Change, Inbound, ResourceKind};
use portico_core::records::detail::{Coding, Concept};
use portico_fhir::inbound::{Included, map_bundle, map_bundle_with, unresolved_medications};
use serde_json::{Value, json};

use crate::support::{BASE, fixture, record, rejected};

fn verification(raw: &mut Value, clinical: Option<&str>, verification: &str) {
    match clinical {
        Some(c) => raw["clinicalStatus"]["coding"][0]["code"] = c.into(),
        None => {
            raw.as_object_mut().unwrap().remove("clinicalStatus");
        }
    }
    raw["verificationStatus"]["coding"][0]["code"] = verification.into();
}

#[test]
fn a_refuted_condition_or_allergy_is_refuted_never_active_and_keeps_what_was_sent() {
    for clinical in [Some("active"), Some("inactive"), None] {
        let mut raw = fixture("condition-example");
        verification(&mut raw, clinical, "refuted");
        let Inbound::Condition {
            input, statuses, ..
        } = record(&raw, ResourceKind::Condition)
        else {
            panic!()
        };
        assert_eq!(input.status, "refuted");
        assert_eq!(statuses.clinical.as_deref(), clinical);
        assert_eq!(statuses.verification.as_deref(), Some("refuted"));

        let mut raw = fixture("allergyintolerance-example");
        verification(&mut raw, clinical, "refuted");
        let Inbound::Allergy {
            input, statuses, ..
        } = record(&raw, ResourceKind::AllergyIntolerance)
        else {
            panic!()
        };
        assert_eq!(input.status, "refuted");
        assert_eq!(statuses.clinical.as_deref(), clinical);
    }
    // Other verifications keep the clinical status as the chart's, and are kept themselves.
    for v in ["unconfirmed", "provisional", "differential", "confirmed"] {
        let mut raw = fixture("condition-example");
        verification(&mut raw, Some("active"), v);
        let Inbound::Condition {
            input, statuses, ..
        } = record(&raw, ResourceKind::Condition)
        else {
            panic!()
        };
        assert_eq!(input.status, "active");
        assert_eq!(statuses.verification.as_deref(), Some(v));
    }
    // Not refuted, not withdrawn, and no clinical status: nothing says what it is.
    let mut raw = fixture("condition-example");
    verification(&mut raw, None, "unconfirmed");
    assert_eq!(
        rejected(&raw, ResourceKind::Condition).0,
        "EHR_MISSING_FIELD"
    );
}

fn manifestation(code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": "http://snomed.info/sct", "code": code, "display": display }] })
}

#[test]
fn every_reaction_is_kept_and_the_worst_one_heads_the_allergy() {
    let mut raw = fixture("allergyintolerance-example");
    raw["reaction"] = json!([
        { "manifestation": [manifestation("247472004", "Hives")], "severity": "mild" },
        { "manifestation": [manifestation("39579001", "Anaphylaxis"),
                            manifestation("267036007", "Dyspnea")], "severity": "severe" },
        { "manifestation": [{ "text": "Itching" }] },
    ]);
    let Inbound::Allergy { input, detail, .. } = record(&raw, ResourceKind::AllergyIntolerance)
    else {
        panic!()
    };
    assert_eq!(detail.reactions.len(), 3);
    assert_eq!(detail.reactions[1].severity.as_deref(), Some("severe"));
    assert_eq!(
        detail.reactions[1].manifestations[0].coding[0],
        Coding {
            system: Some("http://snomed.info/sct".into()),
            code: Some("39579001".into()),
            display: Some("Anaphylaxis".into()),
        }
    );
    assert_eq!(
        detail.reactions[2].manifestations[0].text.as_deref(),
        Some("Itching")
    );
    assert_eq!(input.severity.as_deref(), Some("severe"));
    assert_eq!(input.reaction.as_deref(), Some("Anaphylaxis, Dyspnea"));
    // The substance stays coded as sent.
    assert_eq!(
        detail.code.unwrap().coding[0].system.as_deref(),
        Some("http://www.nlm.nih.gov/research/umls/rxnorm")
    );
}

fn medication(id: &str, code: &str, display: &str) -> Value {
    json!({ "resourceType": "Medication", "id": id, "code": { "coding": [{
        "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code, "display": display }] } })
}

fn by_reference(reference: &str) -> Value {
    let mut raw = fixture("medicationrequest-example");
    let object = raw.as_object_mut().unwrap();
    object.remove("medicationCodeableConcept");
    object.insert(
        "medicationReference".into(),
        json!({ "reference": reference }),
    );
    raw
}

#[test]
fn a_drug_named_by_medication_reference_is_resolved_contained_included_or_read() {
    // Contained.
    let mut raw = by_reference("#med-a");
    raw["contained"] = json!([medication(
        "med-a",
        "314076",
        "lisinopril 10 MG Oral Tablet"
    )]);
    let Inbound::MedicationRequest { input, .. } = record(&raw, ResourceKind::MedicationRequest)
    else {
        panic!()
    };
    assert_eq!(input.name, "lisinopril 10 MG Oral Tablet");
    assert_eq!(input.rxnorm_code.as_deref(), Some("314076"));
    // A contained id that is not there.
    assert_eq!(
        rejected(&by_reference("#missing"), ResourceKind::MedicationRequest).0,
        "EHR_UNRESOLVED_REFERENCE"
    );

    // A separate Medication: included in the page, read by the gateway, or neither.
    let page = |requests: Vec<Value>, included: Vec<Value>| {
        let mut entry: Vec<Value> = requests
            .into_iter()
            .map(|r| json!({ "resource": r, "search": { "mode": "match" } }))
            .collect();
        entry.extend(
            included
                .into_iter()
                .map(|r| json!({ "resource": r, "search": { "mode": "include" } })),
        );
        json!({ "resourceType": "Bundle", "type": "searchset", "entry": entry })
    };
    let mut one = by_reference("Medication/med-1");
    one["id"] = json!("rx-1");
    let mut two = by_reference(&format!("{BASE}/Medication/med-2"));
    two["id"] = json!("rx-2");
    let mut three = by_reference("Medication/med-3");
    three["id"] = json!("rx-3");
    let bundle = page(
        vec![one, two, three],
        vec![medication("med-1", "197361", "amlodipine 5 MG Oral Tablet")],
    );
    let included = Included::from_page(&bundle);
    // What the gateway reads: the two the page neither contains nor includes.
    assert_eq!(
        unresolved_medications(&bundle, BASE, &included),
        vec!["med-2".to_owned(), "med-3".to_owned()]
    );
    let mut fetched = Included::default();
    let read = medication("med-2", "259255", "atorvastatin 80 MG Oral Tablet");
    fetched.add([&read]);
    let changes = map_bundle_with(&bundle, ResourceKind::MedicationRequest, BASE, fetched)
        .unwrap()
        .changes;
    assert_eq!(changes.len(), 3, "included Medications are not changes");
    let names: Vec<Result<String, &str>> = changes
        .into_iter()
        .map(|c| match c {
            Change::Upsert(m) => match m.record {
                Inbound::MedicationRequest { input, .. } => Ok(input.name),
                _ => panic!(),
            },
            Change::Rejected { code, .. } => Err(code),
            Change::Deleted { .. } => panic!(),
        })
        .collect();
    assert_eq!(
        names,
        vec![
            Ok("amlodipine 5 MG Oral Tablet".to_owned()),
            Ok("atorvastatin 80 MG Oral Tablet".to_owned()),
            Err("EHR_UNRESOLVED_REFERENCE"),
        ]
    );
    // Without the gateway's read, only the included one resolves.
    let plain = map_bundle(&bundle, ResourceKind::MedicationRequest, BASE).unwrap();
    assert_eq!(
        plain
            .changes
            .iter()
            .filter(|c| matches!(c, Change::Upsert(_)))
            .count(),
        1
    );
}

fn vital(code: &str, display: &str) -> Value {
    let mut raw = fixture("observation-lab");
    let object = raw.as_object_mut().unwrap();
    object.remove("referenceRange");
    object.remove("interpretation");
    raw["category"] = json!([{ "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "vital-signs" }] }]);
    raw["code"] =
        json!({ "coding": [{ "system": "http://loinc.org", "code": code, "display": display }] });
    raw
}

fn component(code: &str, value: f64) -> Value {
    json!({ "code": { "coding": [{ "system": "http://loinc.org", "code": code }] },
        "valueQuantity": { "value": value, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]" } })
}

#[test]
fn vital_signs_map_with_their_components_and_preferred_codes() {
    let mut bp = vital("85354-9", "Blood pressure panel with all children optional");
    bp.as_object_mut().unwrap().remove("valueQuantity");
    bp["component"] = json!([component("8480-6", 128.0), component("8462-4", 82.0)]);
    let Inbound::Observation {
        input,
        category,
        detail,
        ..
    } = record(&bp, ResourceKind::Observation)
    else {
        panic!()
    };
    assert_eq!(category, "vital-signs");
    assert_eq!(input.code, "85354-9");
    assert_eq!((input.value, input.value_text), (None, None));
    let parts: Vec<(&str, Option<f64>, Option<&str>)> = detail
        .components
        .iter()
        .map(|c| {
            let q = c.value.as_ref().unwrap();
            (c.code.as_str(), q.value, q.code.as_deref())
        })
        .collect();
    assert_eq!(
        parts,
        vec![
            ("8480-6", Some(128.0), Some("mm[Hg]")),
            ("8462-4", Some(82.0), Some("mm[Hg]"))
        ]
    );
    // A panel none of whose components has a value shows nothing.
    let mut empty = bp.clone();
    empty["component"] = json!([{ "code": { "coding": [{ "system": "http://loinc.org", "code": "8480-6" }] },
        "dataAbsentReason": { "text": "not measured" } }]);
    assert_eq!(
        rejected(&empty, ResourceKind::Observation).0,
        "EHR_UNSUPPORTED_VALUE"
    );

    // Pulse oximetry carries two codes; the series follow 59408-5 whichever comes first.
    let mut spo2 = vital("2708-6", "Oxygen saturation in Arterial blood");
    spo2["code"]["coding"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "system": "http://loinc.org", "code": "59408-5" }));
    spo2["valueQuantity"] =
        json!({ "value": 97, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%" });
    let Inbound::Observation { input, detail, .. } = record(&spo2, ResourceKind::Observation)
    else {
        panic!()
    };
    assert_eq!(input.code, "59408-5");
    assert_eq!(input.value, Some(97.0));
    assert_eq!(
        detail.code.unwrap().coding.len(),
        2,
        "both codings are kept"
    );

    // Categories other than laboratory and vital signs are not the chart's.
    let mut survey = vital("8867-4", "Heart rate");
    survey["category"][0]["coding"][0]["code"] = json!("survey");
    assert_eq!(
        rejected(&survey, ResourceKind::Observation).0,
        "EHR_UNSUPPORTED_CODE"
    );
}

#[test]
fn coded_values_units_and_reference_ranges_are_kept_as_received() {
    let Inbound::Observation { detail, .. } =
        record(&fixture("observation-lab"), ResourceKind::Observation)
    else {
        panic!()
    };
    let range = detail.range.unwrap();
    let low = range.low.unwrap();
    assert_eq!(low.value, Some(3.1));
    assert!(low.unit.is_some() && low.code.is_some(), "{low:?}");
    assert!(detail.value_unit.unwrap().system.is_some());

    let mut coded = fixture("observation-lab");
    coded.as_object_mut().unwrap().remove("valueQuantity");
    coded["valueCodeableConcept"] = json!({ "coding": [{ "system": "http://snomed.info/sct",
        "code": "260385009", "display": "Negative" }], "text": "Negative" });
    let Inbound::Observation { input, detail, .. } = record(&coded, ResourceKind::Observation)
    else {
        panic!()
    };
    assert_eq!(input.value_text.as_deref(), Some("Negative"));
    assert_eq!(
        detail.value_concept,
        Some(Concept {
            coding: vec![Coding {
                system: Some("http://snomed.info/sct".into()),
                code: Some("260385009".into()),
                display: Some("Negative".into()),
            }],
            text: Some("Negative".into()),
        })
    );

    let mut raw = fixture("immunization-example");
    raw["primarySource"] = json!(false);
    let Inbound::Immunization { primary_source, .. } = record(&raw, ResourceKind::Immunization)
    else {
        panic!()
    };
    assert_eq!(primary_source, Some(false));
}
