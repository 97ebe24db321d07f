//! The FHIR JSON Portico writes back. Built with `serde_json::json!`: fhir-model's structs
//! cannot be built field by field without its `builders` feature, and these bodies are small.
//! The tests read every body back with fhir-model to prove it is valid FHIR.

use chrono::{DateTime, SecondsFormat, Utc};
use portico_core::ehr::model::{Demographics, ReadingWrite};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::inbound::{choice, fields::RXNORM, patient::address_line};

fn instant(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn reference(kind: &str, fhir_id: &str) -> Value {
    json!({ "reference": format!("{kind}/{fhir_id}") })
}

/// The identifier system of a portal booking's Appointment.
pub const APPOINTMENT_SYSTEM: &str = "urn:portico:appointment";
/// The identifier system of a refill decision's MedicationRequest or Task.
pub const REFILL_SYSTEM: &str = "urn:portico:refill";

/// The identifier system of a submitted form's QuestionnaireResponse.
pub const FORM_RESPONSE_SYSTEM: &str = "urn:portico:form-response";

/// A submitted form for the EHR: Portico's QuestionnaireResponse with its identifier and the
/// EHR's patient as subject, and as author when they answered it themselves (a caregiver's
/// answers name no author: the EHR has no record of the caregiver). `None` when the stored
/// JSON is not an object.
pub fn form_response(
    local_id: &Uuid,
    patient: &str,
    response: &str,
    by_proxy: bool,
) -> Option<Value> {
    let mut body: Value = serde_json::from_str(response).ok()?;
    let map = body.as_object_mut()?;
    // QuestionnaireResponse.identifier is a single Identifier in R4.
    map.insert(
        "identifier".to_owned(),
        identifier(FORM_RESPONSE_SYSTEM, local_id),
    );
    map.insert("subject".to_owned(), reference("Patient", patient));
    if !by_proxy {
        map.insert("author".to_owned(), reference("Patient", patient));
    }
    Some(body)
}

/// Portico's own id as a FHIR identifier.
pub fn identifier(system: &str, local_id: &Uuid) -> Value {
    json!({ "system": system, "value": local_id.to_string() })
}

/// The `If-None-Exist` search of a create: the server makes the resource only if none carries
/// Portico's identifier yet, so a create sent twice (an answer lost, a retry) makes one.
pub fn if_none_exist(system: &str, local_id: &Uuid) -> String {
    format!("identifier={system}|{local_id}")
}

/// Adds Portico's identifier to a resource unless it already carries it; others are kept.
pub fn keep_identifier(resource: &mut Value, system: &str, local_id: &Uuid) {
    let Some(map) = resource.as_object_mut() else {
        return;
    };
    let list = map.entry("identifier").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    let Some(list) = list.as_array_mut() else {
        return;
    };
    let value = local_id.to_string();
    let present = list.iter().any(|i| {
        i.get("system").and_then(Value::as_str) == Some(system)
            && i.get("value").and_then(Value::as_str) == Some(value.as_str())
    });
    if !present {
        list.push(identifier(system, local_id));
    }
}

/// A new portal booking as an Appointment.
#[expect(
    clippy::too_many_arguments,
    reason = "the fields of OutboundWrite::Appointment"
)]
pub fn appointment(
    local_id: &Uuid,
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
    json!({
        "resourceType": "Appointment",
        "identifier": [identifier(APPOINTMENT_SYSTEM, local_id)],
        "status": status,
        "appointmentType": { "text": type_name },
        "start": instant(starts_at),
        "end": instant(ends_at),
        "participant": participants,
    })
}

/// A booking's change applied to the Appointment as the server sent it: only status, start
/// and end change (and `minutesDuration`, if the server keeps one, follows them); participants,
/// comments, extensions and the rest are kept. Portico's identifier is added if missing.
pub fn apply_appointment_update(
    appointment: &mut Value,
    local_id: &Uuid,
    status: &str,
    starts_at: &DateTime<Utc>,
    ends_at: &DateTime<Utc>,
) {
    keep_identifier(appointment, APPOINTMENT_SYSTEM, local_id);
    let Some(map) = appointment.as_object_mut() else {
        return;
    };
    map.insert("status".to_owned(), Value::String(status.to_owned()));
    map.insert("start".to_owned(), Value::String(instant(starts_at)));
    map.insert("end".to_owned(), Value::String(instant(ends_at)));
    if map.contains_key("minutesDuration") {
        let minutes = (*ends_at - *starts_at).num_minutes().max(1);
        map.insert("minutesDuration".to_owned(), json!(minutes));
    }
}

/// An approved refill: a new active order that names the prescription it renews.
#[expect(
    clippy::too_many_arguments,
    reason = "the fields of OutboundWrite::RefillApproved"
)]
pub fn refill_approved(
    local_id: &Uuid,
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
        "identifier": [identifier(REFILL_SYSTEM, local_id)],
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
    local_id: &Uuid,
    patient: &str,
    prior: Option<&str>,
    outcome: &str,
    authored_at: &DateTime<Utc>,
) -> Value {
    let needs_visit = outcome == "needs-appointment";
    let mut body = json!({
        "resourceType": "Task",
        "identifier": [identifier(REFILL_SYSTEM, local_id)],
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

/// The identifier system of a home reading's Observation; a pull passes over Observations
/// that carry it (they are Portico's own, already on the chart as readings).
pub const READING_SYSTEM: &str = "urn:portico:reading";

/// A home reading as a patient-reported Observation (core's, which the FHIR API serves
/// too), with Portico's identifier and the EHR's patient.
pub fn reading(write: &ReadingWrite) -> Value {
    let mut body = portico_core::ehr::reading_observation::reading(
        write,
        reference("Patient", &write.patient),
    );
    body["identifier"] = json!([identifier(READING_SYSTEM, &write.local_id)]);
    body
}

/// Changes only the entries of a Patient (as the server sent it) that the chart's contact
/// details were read from, and only where they differ: the e-mail and the phone the pull
/// takes (`choice::telecom`: the mobile over the home number, never an old one) and the
/// address it takes (home, never an old or ended one). Every other entry, and everything
/// else (names, identifiers, extensions Portico does not know), is kept as it was. A value
/// with no current entry to go to is added as a new one (an address as `home`, a phone as
/// `mobile`), never written over an old, ended or billing entry.
pub fn apply_demographics(patient: &mut Value, change: &Demographics) {
    let today = choice::today();
    // Chosen before anything changes, exactly as the pull chose them.
    let email_at = choice::telecom(patient, "email", &today);
    let phone_at = choice::telecom(patient, "phone", &today);
    let address_at = choice::address(patient, &today);
    let Some(map) = patient.as_object_mut() else {
        return;
    };
    if let Some(email) = &change.email {
        set_telecom(map, "email", email_at, email, |a, b| {
            a.trim().eq_ignore_ascii_case(b.trim())
        });
    }
    if let Some(phone) = &change.phone {
        set_telecom(map, "phone", phone_at, phone, |a, b| {
            let digits = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
            a.trim() == b.trim() || (!digits(a).is_empty() && digits(a) == digits(b))
        });
    }
    set_address(map, address_at, change);
}

/// A list of the resource, made a list if it is missing or not one.
fn list_of<'a>(map: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Vec<Value>> {
    let list = map.entry(key).or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    list.as_array_mut()
}

fn set_telecom(
    map: &mut Map<String, Value>,
    system: &str,
    at: Option<usize>,
    value: &str,
    same: fn(&str, &str) -> bool,
) {
    let Some(list) = list_of(map, "telecom") else {
        return;
    };
    match at
        .and_then(|i| list.get_mut(i))
        .and_then(Value::as_object_mut)
    {
        Some(point) => {
            let current = point.get("value").and_then(Value::as_str).unwrap_or("");
            if !same(current, value) {
                point.insert("value".to_owned(), Value::String(value.to_owned()));
            }
        }
        None if system == "phone" => {
            list.push(json!({ "system": system, "value": value, "use": "mobile" }));
        }
        None => list.push(json!({ "system": system, "value": value })),
    }
}

/// Whether the EHR's value of an address part already says what the chart holds. The chart
/// keeps countries as ISO alpha-2 (`US`) while an EHR may send `USA` or a name: the same
/// country is not a change, so it is never written over.
fn same_address_part(key: &str, ehr: &str, chart: &str) -> bool {
    if ehr.trim().eq_ignore_ascii_case(chart.trim()) {
        return true;
    }
    key == "country"
        && portico_core::ehr::columns::country_alpha2(ehr)
            .is_some_and(|code| code.eq_ignore_ascii_case(chart.trim()))
}

fn set_address(map: &mut Map<String, Value>, at: Option<usize>, change: &Demographics) {
    let parts = [
        ("city", &change.city),
        ("state", &change.region),
        ("postalCode", &change.postal_code),
        ("country", &change.country),
    ];
    let Some(list) = list_of(map, "address") else {
        return;
    };
    let current = at.and_then(|i| list.get(i)).filter(|a| a.is_object());
    let line_changed = change.address_line.as_ref().is_some_and(|line| {
        address_line(current)
            .as_ref()
            .and_then(Value::as_str)
            .is_none_or(|now| now != line.trim())
    });
    let changed: Vec<(&str, &String)> = parts
        .iter()
        .filter_map(|(key, value)| value.as_ref().map(|v| (*key, v)))
        .filter(|(key, value)| {
            current
                .and_then(|a| a.get(*key))
                .and_then(Value::as_str)
                .is_none_or(|now| !same_address_part(key, now, value))
        })
        .collect();
    if !line_changed && changed.is_empty() {
        return;
    }
    // A billing address is what the chart reads only when there is nothing else; a
    // changed address is the patient's home, not where their bills go.
    let target = at.filter(|i| {
        list.get(*i)
            .and_then(|a| a.get("use"))
            .and_then(Value::as_str)
            != Some("billing")
    });
    let address = match target
        .and_then(|i| list.get_mut(i))
        .and_then(Value::as_object_mut)
    {
        Some(address) => {
            // Its `text` renders the old parts; left, it would contradict the new ones.
            address.remove("text");
            address
        }
        None => {
            list.push(json!({ "use": "home" }));
            let Some(address) = list.last_mut().and_then(Value::as_object_mut) else {
                return;
            };
            address
        }
    };
    if line_changed && let Some(line) = &change.address_line {
        address.insert("line".to_owned(), json!([line]));
    }
    for (key, value) in changed {
        address.insert(key.to_owned(), Value::String(value.clone()));
    }
}
