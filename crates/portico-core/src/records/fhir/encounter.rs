//! A visit as a US Core Encounter, and its summary as a clinical note (DocumentReference).

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};

use super::{LOINC, Refs, coded, instant};
use crate::entities::encounter;

pub fn encounter(e: &encounter::Model, refs: Refs) -> Value {
    let (class, display) = match e.class.as_str() {
        "virtual" => ("VR", "virtual"),
        "emergency" => ("EMER", "emergency"),
        "inpatient" => ("IMP", "inpatient encounter"),
        "home" => ("HH", "home health"),
        _ => ("AMB", "ambulatory"),
    };
    json!({
        "resourceType": "Encounter",
        "status": e.status,
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": class,
            "display": display,
        },
        // US Core asks for a type; Portico keeps none beyond the class.
        "type": [{ "text": "Visit" }],
        "subject": refs.to("Patient", e.patient_id),
        "period": { "start": instant(e.started_at), "end": e.ended_at.map(instant) },
        "reasonCode": e.reason.as_ref().map(|r| json!([{ "text": r }])),
        "participant": e.practitioner_name.as_ref().map(|n| json!([{
            "individual": { "display": n },
        }])),
    })
}

/// The visit summary as a clinical note about the encounter (the REST API serves it under
/// the encounter's id).
pub fn summary(e: &encounter::Model, summary: &str, refs: Refs) -> Value {
    json!({
        "resourceType": "DocumentReference",
        "status": "current",
        "type": coded(LOINC, Some("34133-9"), "Summary of episode note"),
        "category": [{
            "coding": [{
                "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                "code": "clinical-note",
                "display": "Clinical Note",
            }],
        }],
        "subject": refs.to("Patient", e.patient_id),
        "date": instant(e.updated_at),
        "content": [{
            "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "data": STANDARD.encode(summary.as_bytes()),
                "title": "Visit summary",
            },
        }],
        "context": {
            "encounter": [refs.to("Encounter", e.id)],
            "period": { "start": instant(e.started_at), "end": e.ended_at.map(instant) },
        },
    })
}
