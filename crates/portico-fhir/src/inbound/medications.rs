//! Prescriptions: MedicationRequest to the chart's medication list.

use fhir_model::r4b::resources::{
    Medication, MedicationRequest, MedicationRequestMedication, Resource,
};
use fhir_model::r4b::types::Reference;
use portico_core::ehr::model::{Inbound, ResourceKind};
use portico_core::records::medications::MedicationInput;

use serde_json::Value;

use super::fields::{
    BAD_REFERENCE, MALFORMED, MISSING, NAME_MAX, RXNORM, Refs, Reject, SHORT_TEXT_MAX,
    UNRESOLVED_REFERENCE, UNSUPPORTED_INTENT, UNSUPPORTED_STATUS, coding, concept_text, moment,
    text,
};

/// Intents that are an order to take the medication. `proposal`, `plan`, `option` and
/// `filler-order` are not prescriptions the patient has.
const ORDER_INTENTS: [&str; 4] = ["order", "original-order", "reflex-order", "instance-order"];

/// Checked on the raw JSON before the typed read, so an intent outside FHIR's value set is
/// reported as an intent, not as a malformed resource. `doNotPerform` orders the opposite:
/// not to take the medication.
pub fn check_intent(raw: &Value) -> Result<(), Reject> {
    let intent = raw.get("intent").and_then(Value::as_str).ok_or(MISSING)?;
    if !ORDER_INTENTS.contains(&intent) {
        return Err(UNSUPPORTED_INTENT);
    }
    if raw.get("doNotPerform").and_then(Value::as_bool) == Some(true) {
        return Err(UNSUPPORTED_INTENT);
    }
    Ok(())
}

/// Refills shown to a patient are capped: more than this is a data error, not a plan.
const MAX_REFILLS: u32 = 99;

/// FHIR statuses the chart keeps; `draft` and `unknown` are not prescriptions yet (or any more).
pub fn medication_status(status: &str) -> Option<&'static str> {
    Some(match status {
        "active" => "active",
        "on-hold" => "on-hold",
        "cancelled" => "cancelled",
        "completed" => "completed",
        "stopped" => "stopped",
        "entered-in-error" => "entered-in-error",
        _ => return None,
    })
}

/// The Medication a `medicationReference` names: contained in the request (`#id`), or on
/// the connection's server, included in the page or read by the gateway for it.
fn referenced(
    request: &MedicationRequest,
    reference: &Reference,
    refs: &Refs<'_>,
) -> Result<Medication, Reject> {
    let raw = reference
        .reference
        .as_deref()
        .map(str::trim)
        .ok_or(MISSING)?;
    if let Some(local) = raw.strip_prefix('#') {
        return request
            .contained
            .iter()
            .find_map(|r| match r {
                Resource::Medication(m) if m.id.as_deref() == Some(local) => Some(m.clone()),
                _ => None,
            })
            .ok_or(UNRESOLVED_REFERENCE);
    }
    let (kind, fhir_id) = refs.target_of(raw)?;
    if kind != "Medication" {
        return Err(BAD_REFERENCE);
    }
    let found = refs
        .included
        .medication(&fhir_id)
        .ok_or(UNRESOLVED_REFERENCE)?;
    match serde_json::from_value::<Resource>(found.clone()) {
        Ok(Resource::Medication(m)) => Ok(m),
        _ => Err(MALFORMED),
    }
}

pub fn medication_request(request: &MedicationRequest, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = medication_status(&request.status).ok_or(UNSUPPORTED_STATUS)?;
    if !ORDER_INTENTS.contains(&request.intent.as_str()) || request.do_not_perform == Some(true) {
        return Err(UNSUPPORTED_INTENT);
    }
    let patient = refs.required(Some(&request.subject), ResourceKind::Patient)?;
    let resolved;
    let medication = match &request.medication {
        MedicationRequestMedication::CodeableConcept(c) => c,
        MedicationRequestMedication::Reference(r) => {
            resolved = referenced(request, r, refs)?;
            resolved.code.as_ref().ok_or(MISSING)?
        }
    };
    let rxnorm = coding(medication, RXNORM);
    let name = match text(medication.text.as_ref(), NAME_MAX)? {
        Some(n) => n,
        None => text(
            rxnorm
                .and_then(|c| c.display.as_ref())
                .or(concept_text(medication)),
            NAME_MAX,
        )?
        .ok_or(MISSING)?,
    };
    let dosage = request
        .dosage_instruction
        .iter()
        .flatten()
        .next()
        .and_then(|d| d.text.as_ref());
    let dosage = text(dosage, SHORT_TEXT_MAX)?.ok_or(MISSING)?;
    let refills = request
        .dispense_request
        .as_ref()
        .and_then(|d| d.number_of_repeats_allowed)
        .unwrap_or(0)
        .min(MAX_REFILLS);
    // The requester may be an organisation or a role; only practitioners are linked.
    let (mut prescriber, mut prescriber_name) = (None, None);
    if let Some(requester) = &request.requester
        && let Some((kind, fhir_id)) = refs.target(requester)?
        && kind == ResourceKind::Practitioner.as_str()
    {
        prescriber = Some(fhir_id);
        prescriber_name = text(requester.display.as_ref(), NAME_MAX)?;
    }
    Ok(Inbound::MedicationRequest {
        patient,
        prescriber,
        input: MedicationInput {
            status: status.to_owned(),
            name,
            rxnorm_code: text(rxnorm.and_then(|c| c.code.as_ref()), NAME_MAX)?,
            dosage,
            refills_left: i32::try_from(refills).unwrap_or(0),
            prescriber_id: None,
            prescriber_name,
            last_filled_on: None,
            controlled: false,
            authored_at: request.authored_on.as_ref().and_then(moment),
        },
    })
}
