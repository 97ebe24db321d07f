//! US Core examples map into exactly the chart's fields.

use chrono::{DateTime, NaiveDate, Utc};
use portico_core::ehr::model::{
    EhrAppointment, EhrIdentifier, EhrLocation, EhrPatient, EhrPractitioner, Inbound, ResourceKind,
};

use crate::support::{fixture, mapped, record};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn patient_maps_the_current_name_and_contacts_and_no_ended_address() {
    let m = mapped(&fixture("patient-example"), ResourceKind::Patient);
    assert_eq!(m.fhir_id, "example");
    assert_eq!(m.version_id.as_deref(), Some("3"));
    assert_eq!(m.last_updated, Some(at("2024-03-01T10:15:00Z")));
    let Inbound::Patient(p) = m.record else {
        panic!("not a patient")
    };
    // The example's official name and its only address ended in 2020: the nickname is the
    // name in use, and there is no current address.
    assert_eq!(
        p,
        EhrPatient {
            identifiers: vec![EhrIdentifier {
                system: Some("http://hospital.smarthealthit.org".into()),
                value: "1032702".into(),
                type_code: Some("MR".into()),
            }],
            given_name: "Amy".into(),
            given_names: vec!["Amy".into()],
            family_name: "Shaw".into(),
            birth_date: day("1987-02-20"),
            gender: "female".into(),
            email: Some("amy.shaw@example.com".into()),
            phone: Some("555-555-5555".into()),
            address_line: None,
            city: None,
            region: None,
            postal_code: None,
            country: None,
            active: true,
        }
    );
    // Open again, the official name and the address are the current ones.
    let mut raw = fixture("patient-example");
    raw["name"][1]["period"]["end"] = "2999-01-01".into();
    raw["address"][0].as_object_mut().unwrap().remove("period");
    let Inbound::Patient(p) = record(&raw, ResourceKind::Patient) else {
        panic!()
    };
    assert_eq!(p.given_name, "Amy V.");
    assert_eq!(p.address_line.as_deref(), Some("49 Meadow St, Apt 2"));
    assert_eq!(p.country.as_deref(), Some("US"));
}

#[test]
fn inactive_patient_without_a_name_still_maps_as_inactive() {
    let mut raw = fixture("patient-example");
    raw["active"] = false.into();
    raw.as_object_mut().unwrap().remove("name");
    let Inbound::Patient(p) = record(&raw, ResourceKind::Patient) else {
        panic!()
    };
    assert!(!p.active);
    assert_eq!((p.given_name.as_str(), p.family_name.as_str()), ("", ""));
    raw.as_object_mut().unwrap().remove("active");
    let Inbound::Patient(p) = record(&raw, ResourceKind::Patient) else {
        panic!()
    };
    assert!(p.active, "active only false when the EHR says so");
}

#[test]
fn practitioner_and_location_map_display_fields() {
    let Inbound::Practitioner(p) =
        record(&fixture("practitioner-example"), ResourceKind::Practitioner)
    else {
        panic!()
    };
    assert_eq!(
        p,
        EhrPractitioner {
            display_name: "Ronald Bone".into(),
            specialty: None,
            active: true,
        }
    );
    let Inbound::Location(l) = record(&fixture("location-example"), ResourceKind::Location) else {
        panic!()
    };
    assert_eq!(
        l,
        EhrLocation {
            name: "Health Level Seven International - Amherst".into(),
            address: Some("3300 Washtenaw Avenue, Suite 227, Amherst".into()),
            active: true,
        }
    );
}

#[test]
fn encounter_maps_class_status_reason_period_and_practitioner() {
    let Inbound::Encounter {
        patient,
        practitioner,
        input,
    } = record(&fixture("encounter-example"), ResourceKind::Encounter)
    else {
        panic!()
    };
    assert_eq!(patient, "example");
    assert_eq!(practitioner.as_deref(), Some("practitioner-1"));
    assert_eq!(input.status, "finished");
    assert_eq!(input.class, "ambulatory");
    assert_eq!(input.reason.as_deref(), Some("Fever for three days"));
    assert_eq!(input.summary, None);
    assert_eq!(input.practitioner_name.as_deref(), Some("Ronald Bone, MD"));
    assert_eq!(input.started_at, Some(at("2024-02-14T14:00:00Z")));
    assert_eq!(input.ended_at, Some(at("2024-02-14T14:30:00Z")));
}

#[test]
fn encounter_classes_map_to_the_charts_vocabulary() {
    for (code, class) in [
        ("AMB", "ambulatory"),
        ("VR", "virtual"),
        ("EMER", "emergency"),
        ("IMP", "inpatient"),
        ("HH", "home"),
    ] {
        let mut raw = fixture("encounter-example");
        raw["class"]["code"] = code.into();
        let Inbound::Encounter { input, .. } = record(&raw, ResourceKind::Encounter) else {
            panic!()
        };
        assert_eq!(input.class, class);
    }
    for (fhir, chart) in [
        ("planned", "planned"),
        ("arrived", "in-progress"),
        ("in-progress", "in-progress"),
        ("cancelled", "cancelled"),
        ("entered-in-error", "entered-in-error"),
    ] {
        let mut raw = fixture("encounter-example");
        raw["status"] = fhir.into();
        let Inbound::Encounter { input, .. } = record(&raw, ResourceKind::Encounter) else {
            panic!()
        };
        assert_eq!(input.status, chart);
    }
}

#[test]
fn appointment_maps_participants_times_and_type() {
    let Inbound::Appointment(a) =
        record(&fixture("appointment-example"), ResourceKind::Appointment)
    else {
        panic!()
    };
    assert_eq!(
        a,
        EhrAppointment {
            patient: "example".into(),
            practitioner: Some("practitioner-1".into()),
            location: Some("hl7east".into()),
            status: "booked".into(),
            starts_at: at("2024-03-01T14:00:00Z"),
            ends_at: at("2024-03-01T14:20:00Z"),
            type_name: Some("Follow-up visit".into()),
        }
    );
    let mut raw = fixture("appointment-example");
    raw.as_object_mut().unwrap().remove("appointmentType");
    let Inbound::Appointment(a) = record(&raw, ResourceKind::Appointment) else {
        panic!()
    };
    assert_eq!(
        a.type_name.as_deref(),
        Some("Immunization"),
        "falls back to serviceType"
    );
}

#[test]
fn lab_observation_maps_value_range_interpretation_and_time() {
    let Inbound::Observation {
        patient,
        encounter,
        input,
        category,
        ..
    } = record(&fixture("observation-lab"), ResourceKind::Observation)
    else {
        panic!()
    };
    assert_eq!(patient, "example");
    assert_eq!(category, "laboratory");
    assert_eq!(encounter.as_deref(), Some("example-1"));
    assert_eq!(input.status, "final");
    assert_eq!(input.code, "2339-0");
    assert_eq!(input.display, "Glucose [Mass/volume] in Blood");
    assert_eq!(input.value, Some(6.3));
    assert_eq!(input.unit.as_deref(), Some("mmol/L"));
    assert_eq!(input.value_text, None);
    assert_eq!(input.range_low, Some(3.1));
    assert_eq!(input.range_high, Some(6.2));
    assert_eq!(input.range_text.as_deref(), Some("3.1 to 6.2 mmol/L"));
    assert_eq!(input.interpretation.as_deref(), Some("H"));
    assert_eq!(input.effective_at, Some(at("2024-02-14T08:30:10Z")));
    assert_eq!((input.report_id, input.encounter_id), (None, None));
}

#[test]
fn observation_text_values_and_unknown_flags() {
    let mut raw = fixture("observation-lab");
    let obj = raw.as_object_mut().unwrap();
    obj.remove("valueQuantity");
    obj.insert(
        "valueCodeableConcept".into(),
        serde_json::json!({"text": "Negative"}),
    );
    obj.insert(
        "interpretation".into(),
        serde_json::json!([{"coding": [{"code": "POS"}]}]),
    );
    obj.remove("effectiveDateTime");
    obj.insert(
        "effectivePeriod".into(),
        serde_json::json!({"start": "2024-02-14T09:00:00Z"}),
    );
    let Inbound::Observation { input, .. } = record(&raw, ResourceKind::Observation) else {
        panic!()
    };
    assert_eq!(input.value_text.as_deref(), Some("Negative"));
    assert_eq!(input.value, None);
    assert_eq!(
        input.interpretation, None,
        "flags outside the chart's list are dropped"
    );
    assert_eq!(input.effective_at, Some(at("2024-02-14T09:00:00Z")));
}

#[test]
fn diagnostic_report_maps_results_conclusion_and_times() {
    let Inbound::DiagnosticReport {
        patient,
        encounter,
        results,
        input,
    } = record(
        &fixture("diagnosticreport-cbc"),
        ResourceKind::DiagnosticReport,
    )
    else {
        panic!()
    };
    assert_eq!(patient, "example");
    assert_eq!(encounter.as_deref(), Some("example-1"));
    assert_eq!(
        results,
        vec!["hemoglobin".to_owned(), "hematocrit".to_owned()]
    );
    assert_eq!(input.status, "final");
    assert_eq!(input.code, "58410-2");
    assert_eq!(input.display, "CBC panel - Blood by Automated count");
    assert_eq!(input.conclusion.as_deref(), Some("Mild anemia."));
    assert_eq!(input.effective_at, Some(at("2024-02-14T09:30:00Z")));
    assert_eq!(input.issued_at, Some(at("2024-02-14T18:00:00Z")));
}

#[test]
fn document_reference_with_inline_text_becomes_the_visit_summary() {
    let Inbound::VisitSummary {
        patient,
        encounter,
        status,
        text,
    } = record(
        &fixture("documentreference-example"),
        ResourceKind::DocumentReference,
    )
    else {
        panic!()
    };
    assert_eq!(patient, "example");
    assert_eq!(encounter, "example-1");
    assert_eq!(status, "current");
    assert_eq!(
        text,
        "Visit summary\n\nDiagnosis: viral fever. Rest, fluids, paracetamol as needed. Café au lait spot noted."
    );
    let mut raw = fixture("documentreference-example");
    raw["status"] = "entered-in-error".into();
    let Inbound::VisitSummary { status, .. } = record(&raw, ResourceKind::DocumentReference) else {
        panic!()
    };
    assert_eq!(status, "entered-in-error");
    let mut raw = fixture("documentreference-example");
    raw["status"] = "superseded".into();
    let Inbound::VisitSummary { status, .. } = record(&raw, ResourceKind::DocumentReference) else {
        panic!()
    };
    assert_eq!(
        status, "superseded",
        "a replaced note is not the current one"
    );
}

fn with_value(field: &str, value: serde_json::Value) -> serde_json::Value {
    let mut raw = fixture("observation-lab");
    let obj = raw.as_object_mut().unwrap();
    obj.remove("valueQuantity");
    obj.insert(field.into(), value);
    raw
}

#[test]
fn a_value_with_a_comparator_is_text_not_a_number() {
    let raw = with_value(
        "valueQuantity",
        serde_json::json!({"value": 20, "comparator": "<", "unit": "copies/mL"}),
    );
    let Inbound::Observation { input, .. } = record(&raw, ResourceKind::Observation) else {
        panic!()
    };
    assert_eq!(input.value, None, "<20 is not 20");
    assert_eq!(input.value_text.as_deref(), Some("<20 copies/mL"));
    for (comparator, expected) in [
        ("<=", "<=0.5 mg/L"),
        (">=", ">=0.5 mg/L"),
        (">", ">0.5 mg/L"),
    ] {
        let raw = with_value(
            "valueQuantity",
            serde_json::json!({"value": 0.5, "comparator": comparator, "code": "mg/L"}),
        );
        let Inbound::Observation { input, .. } = record(&raw, ResourceKind::Observation) else {
            panic!()
        };
        assert_eq!(
            (input.value, input.value_text.as_deref()),
            (None, Some(expected))
        );
    }
    let raw = with_value("valueInteger", serde_json::json!(7));
    let Inbound::Observation { input, .. } = record(&raw, ResourceKind::Observation) else {
        panic!()
    };
    assert_eq!((input.value, input.value_text), (Some(7.0), None));
}

#[test]
fn values_the_chart_cannot_show_faithfully_are_rejected() {
    let cases = [
        ("valueBoolean", serde_json::json!(true)),
        (
            "valueRange",
            serde_json::json!({"low": {"value": 1}, "high": {"value": 5}}),
        ),
        (
            "valueRatio",
            serde_json::json!({"numerator": {"value": 1}, "denominator": {"value": 128}}),
        ),
        (
            "valueSampledData",
            serde_json::json!({"origin": {"value": 0}, "period": 10, "dimensions": 1, "data": "1 2 3"}),
        ),
        ("valueTime", serde_json::json!("08:30:00")),
        ("valueDateTime", serde_json::json!("2024-02-14")),
        (
            "valuePeriod",
            serde_json::json!({"start": "2024-02-14", "end": "2024-02-15"}),
        ),
        (
            "valueQuantity",
            serde_json::json!({"comparator": "<", "unit": "copies/mL"}),
        ),
    ];
    for (field, value) in cases {
        let raw = with_value(field, value);
        assert_eq!(
            crate::support::rejected(&raw, ResourceKind::Observation).0,
            "EHR_UNSUPPORTED_VALUE",
            "{field}"
        );
    }
}

#[test]
fn only_orders_to_take_a_medication_map() {
    for intent in ["order", "original-order", "reflex-order", "instance-order"] {
        let mut raw = fixture("medicationrequest-example");
        raw["intent"] = intent.into();
        record(&raw, ResourceKind::MedicationRequest);
    }
    for intent in ["proposal", "plan", "option", "filler-order", "bogus"] {
        let mut raw = fixture("medicationrequest-example");
        raw["intent"] = intent.into();
        assert_eq!(
            crate::support::rejected(&raw, ResourceKind::MedicationRequest),
            ("EHR_UNSUPPORTED_INTENT", Some("medrx-1".to_owned())),
            "{intent}"
        );
    }
    let mut raw = fixture("medicationrequest-example");
    raw["doNotPerform"] = true.into();
    assert_eq!(
        crate::support::rejected(&raw, ResourceKind::MedicationRequest).0,
        "EHR_UNSUPPORTED_INTENT",
        "an order not to take it"
    );
    raw["doNotPerform"] = false.into();
    record(&raw, ResourceKind::MedicationRequest);
}

#[test]
fn medication_request_maps_name_dosage_refills_and_prescriber() {
    let Inbound::MedicationRequest {
        patient,
        prescriber,
        input,
    } = record(
        &fixture("medicationrequest-example"),
        ResourceKind::MedicationRequest,
    )
    else {
        panic!()
    };
    assert_eq!(patient, "example");
    assert_eq!(prescriber.as_deref(), Some("practitioner-1"));
    assert_eq!(input.status, "active");
    assert_eq!(input.name, "Percocet 5/325");
    assert_eq!(input.rxnorm_code.as_deref(), Some("1049221"));
    assert_eq!(
        input.dosage,
        "Take 1 tablet by mouth every 6 hours as needed for pain"
    );
    assert_eq!(input.refills_left, 2);
    assert_eq!(input.prescriber_name.as_deref(), Some("Ronald Bone, MD"));
    assert_eq!(input.authored_at, Some(at("2024-01-20T10:45:00Z")));
    assert!(!input.controlled);
    let mut raw = fixture("medicationrequest-example");
    raw["dispenseRequest"]["numberOfRepeatsAllowed"] = 5000.into();
    let Inbound::MedicationRequest { input, .. } = record(&raw, ResourceKind::MedicationRequest)
    else {
        panic!()
    };
    assert_eq!(input.refills_left, 99);
}

#[test]
fn allergy_condition_and_immunization_map_status_codes_and_days() {
    let Inbound::Allergy { patient, input, .. } = record(
        &fixture("allergyintolerance-example"),
        ResourceKind::AllergyIntolerance,
    ) else {
        panic!()
    };
    assert_eq!(patient, "example");
    assert_eq!(input.status, "active");
    assert_eq!(input.substance, "Penicillin G");
    assert_eq!(input.code.as_deref(), Some("7980"));
    assert_eq!(input.reaction.as_deref(), Some("Hives"));
    assert_eq!(input.severity.as_deref(), Some("moderate"));
    assert_eq!(input.recorded_on, Some(day("2023-11-07")));

    let Inbound::Condition { input, .. } =
        record(&fixture("condition-example"), ResourceKind::Condition)
    else {
        panic!()
    };
    assert_eq!(input.status, "resolved");
    assert_eq!(input.code.as_deref(), Some("442311008"));
    assert_eq!(input.name, "Single liveborn, born in hospital");
    assert_eq!(input.onset_on, Some(day("1987-02-20")));
    assert_eq!(input.abated_on, Some(day("1987-02-27")));

    let Inbound::Immunization { input, .. } =
        record(&fixture("immunization-example"), ResourceKind::Immunization)
    else {
        panic!()
    };
    assert_eq!(input.status, "completed");
    assert_eq!(input.vaccine_code.as_deref(), Some("140"));
    assert_eq!(input.vaccine_name, "Flu vaccine");
    assert_eq!(input.occurred_on, Some(day("2023-10-15")));
}

#[test]
fn entered_in_error_verification_withdraws_allergies_and_conditions() {
    for (name, kind) in [
        (
            "allergyintolerance-example",
            ResourceKind::AllergyIntolerance,
        ),
        ("condition-example", ResourceKind::Condition),
    ] {
        let mut raw = fixture(name);
        raw.as_object_mut().unwrap().remove("clinicalStatus");
        raw["verificationStatus"]["coding"][0]["code"] = "entered-in-error".into();
        let status = match record(&raw, kind) {
            Inbound::Allergy { input, .. } => input.status,
            Inbound::Condition { input, .. } => input.status,
            _ => panic!(),
        };
        assert_eq!(status, "entered-in-error");
    }
}
