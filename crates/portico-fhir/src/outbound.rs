//! The FHIR JSON Portico writes back. Built with `serde_json::json!`: fhir-model's structs
//! cannot be built field by field without its `builders` feature, and these bodies are small.
//! The tests read every body back with fhir-model to prove it is valid FHIR.

use chrono::{DateTime, SecondsFormat, Utc};
use portico_core::ehr::model::Demographics;
use serde_json::{Map, Value, json};

use crate::inbound::fields::RXNORM;

fn instant(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn reference(kind: &str, fhir_id: &str) -> Value {
    json!({ "reference": format!("{kind}/{fhir_id}") })
}

/// A portal booking as an Appointment (`fhir_id` set for an update).
#[expect(
    clippy::too_many_arguments,
    reason = "the fields of OutboundWrite::Appointment"
)]
pub fn appointment(
    fhir_id: Option<&str>,
    status: &str,
    starts_at: &DateTime<Utc>,
    ends_at: &DateTime<Utc>,
    patient: &str,
    practitioner: Option<&str>,
    location: Option<&str>,
    type_name: &str,
) -> Value {
    let mut participants = vec![json!({
        "actor": reference("Patient", patient),
        "required": "required",
        "status": "accepted",
    })];
    for (kind, id) in [("Practitioner", practitioner), ("Location", location)] {
        if let Some(id) = id {
            participants.push(json!({
                "actor": reference(kind, id),
                "required": "required",
                "status": "accepted",
            }));
        }
    }
    let mut body = json!({
        "resourceType": "Appointment",
        "status": status,
        "appointmentType": { "text": type_name },
        "start": instant(starts_at),
        "end": instant(ends_at),
        "participant": participants,
    });
    if let (Some(id), Some(map)) = (fhir_id, body.as_object_mut()) {
        map.insert("id".to_owned(), Value::String(id.to_owned()));
    }
    body
}

/// An approved refill: a new active order that names the prescription it renews.
#[expect(
    clippy::too_many_arguments,
    reason = "the fields of OutboundWrite::RefillApproved"
)]
pub fn refill_approved(
    patient: &str,
    prior: Option<&str>,
    requester: Option<&str>,
    medication: &str,
    rxnorm_code: Option<&str>,
    dosage: &str,
    quantity: Option<i32>,
    refills: i32,
    authored_at: &DateTime<Utc>,
) -> Value {
    let mut concept = json!({ "text": medication });
    if let Some(code) = rxnorm_code {
        concept["coding"] = json!([{ "system": RXNORM, "code": code, "display": medication }]);
    }
    let mut body = json!({
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": reference("Patient", patient),
        "authoredOn": instant(authored_at),
        "dosageInstruction": [{ "text": dosage }],
        "dispenseRequest": { "numberOfRepeatsAllowed": refills.max(0) },
    });
    // No quantity in the decision: the EHR's own default applies, not a made-up zero.
    if let Some(quantity) = quantity {
        body["dispenseRequest"]["quantity"] = json!({ "value": quantity.max(0) });
    }
    if let Some(requester) = requester {
        body["requester"] = reference("Practitioner", requester);
    }
    if let Some(prior) = prior {
        body["priorPrescription"] = reference("MedicationRequest", prior);
    }
    body
}

/// A declined refill as a Task on the prescription, for the EHR's inbox: `rejected` when
/// denied, `completed` with business status `needs-appointment` when sent to a visit.
pub fn refill_declined(
    patient: &str,
    prior: Option<&str>,
    outcome: &str,
    authored_at: &DateTime<Utc>,
) -> Value {
    let needs_visit = outcome == "needs-appointment";
    let mut body = json!({
        "resourceType": "Task",
        "status": if needs_visit { "completed" } else { "rejected" },
        "intent": "order",
        "description": if needs_visit {
            "Refill request: the patient needs an appointment"
        } else {
            "Refill request denied"
        },
        "for": reference("Patient", patient),
        "authoredOn": instant(authored_at),
    });
    if needs_visit {
        body["businessStatus"] = json!({ "text": "needs-appointment" });
    }
    if let Some(prior) = prior {
        body["focus"] = reference("MedicationRequest", prior);
    }
    body
}

/// Changes only the given contact fields of a Patient as the server sent it; everything
/// else (names, identifiers, extensions Portico does not know) is kept as it was.
pub fn apply_demographics(patient: &mut Value, change: &Demographics) {
    let Some(map) = patient.as_object_mut() else {
        return;
    };
    for (system, value) in [("email", &change.email), ("phone", &change.phone)] {
        if let Some(value) = value {
            set_telecom(map, system, value);
        }
    }
    let fields = [
        ("city", &change.city),
        ("state", &change.region),
        ("postalCode", &change.postal_code),
        ("country", &change.country),
    ];
    if change.address_line.is_none() && fields.iter().all(|(_, v)| v.is_none()) {
        return;
    }
    let addresses = map.entry("address").or_insert_with(|| json!([]));
    if !addresses.is_array() {
        *addresses = json!([]);
    }
    let Some(list) = addresses.as_array_mut() else {
        return;
    };
    if list.first().is_none_or(|a| !a.is_object()) {
        list.insert(0, json!({}));
    }
    let Some(address) = list.first_mut().and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(line) = &change.address_line {
        address.insert("line".to_owned(), json!([line]));
    }
    for (key, value) in fields {
        if let Some(value) = value {
            address.insert(key.to_owned(), Value::String(value.clone()));
        }
    }
}

fn set_telecom(map: &mut Map<String, Value>, system: &str, value: &str) {
    let telecom = map.entry("telecom").or_insert_with(|| json!([]));
    if !telecom.is_array() {
        *telecom = json!([]);
    }
    let Some(list) = telecom.as_array_mut() else {
        return;
    };
    let existing = list
        .iter_mut()
        .find(|t| t.get("system").and_then(Value::as_str) == Some(system));
    match existing {
        Some(point) => point["value"] = Value::String(value.to_owned()),
        None => list.push(json!({ "system": system, "value": value })),
    }
}
