//! Encounters (visits that happened) and appointments (visits booked).

use fhir_model::r4b::resources::{Appointment, Encounter};
use portico_core::ehr::model::{EhrAppointment, Inbound, ResourceKind};
use portico_core::records::encounters::EncounterInput;

use super::fields::{
    MISSING, NAME_MAX, Refs, Reject, SHORT_TEXT_MAX, UNSUPPORTED_CODE, UNSUPPORTED_STATUS,
    concept_text, instant, moment, text,
};

/// FHIR encounter status to the chart's.
pub fn encounter_status(status: &str) -> Option<&'static str> {
    Some(match status {
        "planned" => "planned",
        "arrived" | "triaged" | "in-progress" | "onleave" => "in-progress",
        "finished" => "finished",
        "cancelled" => "cancelled",
        "entered-in-error" => "entered-in-error",
        _ => return None,
    })
}

/// v3 ActCode encounter class to the chart's classes.
fn class(code: &str) -> Option<&'static str> {
    Some(match code {
        "AMB" => "ambulatory",
        "VR" => "virtual",
        "EMER" => "emergency",
        "IMP" | "ACUTE" | "NONAC" => "inpatient",
        "HH" => "home",
        _ => return None,
    })
}

pub fn encounter(encounter: &Encounter, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = encounter_status(encounter.status.as_ref()).ok_or(UNSUPPORTED_STATUS)?;
    let class = class(encounter.class.code.as_deref().ok_or(MISSING)?).ok_or(UNSUPPORTED_CODE)?;
    let patient = refs.required(encounter.subject.as_ref(), ResourceKind::Patient)?;
    // The first participant who is a practitioner (others may be roles or relatives).
    let mut practitioner = None;
    let mut practitioner_name = None;
    for individual in encounter
        .participant
        .iter()
        .flatten()
        .filter_map(|p| p.individual.as_ref())
    {
        if let Some((kind, fhir_id)) = refs.target(individual)?
            && kind == ResourceKind::Practitioner.as_str()
        {
            practitioner = Some(fhir_id);
            practitioner_name = text(individual.display.as_ref(), NAME_MAX)?;
            break;
        }
    }
    let reason = match encounter.reason_code.iter().flatten().next() {
        Some(c) => text(concept_text(c), SHORT_TEXT_MAX)?,
        None => None,
    };
    let period = encounter.period.as_ref();
    Ok(Inbound::Encounter {
        patient,
        practitioner,
        input: EncounterInput {
            status: status.to_owned(),
            class: class.to_owned(),
            reason,
            summary: None,
            practitioner_name,
            started_at: period.and_then(|p| p.start.as_ref()).and_then(moment),
            ended_at: period.and_then(|p| p.end.as_ref()).and_then(moment),
        },
    })
}

/// FHIR appointment statuses, passed through as they are.
pub const APPOINTMENT_STATUSES: [&str; 10] = [
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
];

pub fn appointment(appointment: &Appointment, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = appointment.status.as_ref();
    if !APPOINTMENT_STATUSES.contains(&status) {
        return Err(UNSUPPORTED_STATUS);
    }
    let starts_at = appointment
        .start
        .as_ref()
        .and_then(instant)
        .ok_or(MISSING)?;
    let ends_at = appointment.end.as_ref().and_then(instant).ok_or(MISSING)?;
    let (mut patient, mut practitioner, mut location) = (None, None, None);
    for actor in appointment
        .participant
        .iter()
        .flatten()
        .filter_map(|p| p.actor.as_ref())
    {
        let Some((kind, fhir_id)) = refs.target(actor)? else {
            continue;
        };
        let slot = match ResourceKind::parse(&kind) {
            Some(ResourceKind::Patient) => &mut patient,
            Some(ResourceKind::Practitioner) => &mut practitioner,
            Some(ResourceKind::Location) => &mut location,
            // Devices, healthcare services, related persons: not what the portal shows.
            _ => continue,
        };
        slot.get_or_insert(fhir_id);
    }
    let type_name = match appointment.appointment_type.as_ref().and_then(concept_text) {
        Some(t) => Some(t),
        None => appointment
            .service_type
            .iter()
            .flatten()
            .find_map(concept_text),
    };
    Ok(Inbound::Appointment(EhrAppointment {
        patient: patient.ok_or(MISSING)?,
        practitioner,
        location,
        status: status.to_owned(),
        starts_at,
        ends_at,
        type_name: text(type_name, NAME_MAX)?,
    }))
}
