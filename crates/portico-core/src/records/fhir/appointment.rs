//! A booking as an R4 Appointment (US Core has no Appointment profile).

use serde_json::{Value, json};

use super::{Refs, instant};
use crate::{entities::appointment, scheduling::appointments as booking};

/// The FHIR status of a booking's status: a moved booking is the old one cancelled.
pub fn appointment_status(status: &str) -> &'static str {
    match status {
        booking::COMPLETED => "fulfilled",
        booking::NO_SHOW => "noshow",
        booking::CANCELLED | booking::RESCHEDULED => "cancelled",
        _ => "booked",
    }
}

/// The Appointment, naming the clinician, place and kind of visit by name (Portico serves
/// no Practitioner or Location resources).
pub fn appointment(
    a: &appointment::Model,
    provider: Option<&str>,
    location: Option<&str>,
    visit_type: &str,
    refs: Refs,
) -> Value {
    let mut participant = vec![json!({
        "actor": refs.to("Patient", a.patient_id),
        "required": "required",
        "status": "accepted",
    })];
    for name in [provider, location].into_iter().flatten() {
        participant.push(json!({
            "actor": { "display": name },
            "required": "required",
            "status": "accepted",
        }));
    }
    json!({
        "resourceType": "Appointment",
        "status": appointment_status(&a.status),
        "appointmentType": { "text": visit_type },
        "serviceType": [{ "text": visit_type }],
        "start": instant(a.starts_at),
        "end": instant(a.ends_at),
        "created": instant(a.created_at),
        "participant": participant,
    })
}
