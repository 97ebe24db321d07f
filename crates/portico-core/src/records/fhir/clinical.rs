//! Medications, allergies, problems and immunizations as their US Core resources.

use serde_json::{Value, json};

use super::{CVX, RXNORM, Refs, coded, instant, observation::concept_or, status_concept};
use crate::{
    entities::{allergy, condition, immunization, medication_request},
    records::{
        self, PORTAL_SOURCE, REFUTED,
        detail::{self, AllergyDetail, ConditionDetail},
    },
};

pub fn medication(m: &medication_request::Model, refs: Refs) -> Value {
    json!({
        "resourceType": "MedicationRequest",
        "status": m.status,
        "intent": "order",
        "medicationCodeableConcept": coded(RXNORM, m.rxnorm_code.as_deref(), &m.name),
        "subject": refs.to("Patient", m.patient_id),
        "authoredOn": instant(m.authored_at),
        "requester": m.prescriber_name.as_ref().map(|n| json!({ "display": n })),
        "dosageInstruction": [{ "text": m.dosage }],
        "dispenseRequest": { "numberOfRepeatsAllowed": m.refills_left },
    })
}

/// The clinical and verification status codes to write: as received; for a record entered
/// in Portico, its status (a clinical code, or `refuted`). A verification never stated is
/// not written.
fn statuses<'a>(
    status: &'a str,
    clinical: Option<&'a str>,
    verification: Option<&'a str>,
    clinical_codes: &[&str],
) -> (Option<&'a str>, Option<&'a str>) {
    let clinical = clinical.or_else(|| clinical_codes.contains(&status).then_some(status));
    let verification = verification.or_else(|| (status == REFUTED).then_some(status));
    (clinical, verification)
}

pub fn allergy(a: &allergy::Model, refs: Refs) -> Value {
    let d: AllergyDetail = detail::read(a.detail.as_deref());
    let (clinical, verification) = statuses(
        &a.status,
        a.clinical_status.as_deref(),
        a.verification_status.as_deref(),
        &records::allergies::CLINICAL,
    );
    let reactions: Option<Value> = if d.reactions.is_empty() {
        a.reaction.as_ref().map(|r| {
            json!([{
                "manifestation": [{ "text": r }],
                "severity": a.severity,
            }])
        })
    } else {
        Some(Value::Array(
            d.reactions
                .iter()
                .map(|r| json!({ "manifestation": r.manifestations, "severity": r.severity }))
                .collect(),
        ))
    };
    json!({
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": clinical.map(|c| status_concept(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
            c,
        )),
        "verificationStatus": verification.map(|v| status_concept(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
            v,
        )),
        "code": concept_or(d.code.as_ref(), json!({ "text": a.substance })),
        "patient": refs.to("Patient", a.patient_id),
        "recordedDate": a.recorded_on.map(|d| d.to_string()),
        "reaction": reactions,
    })
}

pub fn condition(c: &condition::Model, refs: Refs) -> Value {
    let d: ConditionDetail = detail::read(c.detail.as_deref());
    let (clinical, verification) = statuses(
        &c.status,
        c.clinical_status.as_deref(),
        c.verification_status.as_deref(),
        &records::conditions::CLINICAL,
    );
    // SNOMED CT codes are digits; anything else is taken as ICD-10-CM.
    let system = match &c.code {
        Some(code) if code.chars().all(|ch| ch.is_ascii_digit()) => "http://snomed.info/sct",
        _ => "http://hl7.org/fhir/sid/icd-10-cm",
    };
    json!({
        "resourceType": "Condition",
        "clinicalStatus": clinical.map(|s| status_concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical",
            s,
        )),
        "verificationStatus": verification.map(|v| status_concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            v,
        )),
        "category": [status_concept(
            "http://terminology.hl7.org/CodeSystem/condition-category",
            "problem-list-item",
        )],
        "code": concept_or(d.code.as_ref(), coded(system, c.code.as_deref(), &c.name)),
        "subject": refs.to("Patient", c.patient_id),
        "onsetDateTime": c.onset_on.map(|d| d.to_string()),
        "abatementDateTime": c.abated_on.map(|d| d.to_string()),
    })
}

pub fn immunization(i: &immunization::Model, refs: Refs) -> Value {
    json!({
        "resourceType": "Immunization",
        "status": i.status,
        "vaccineCode": coded(CVX, i.vaccine_code.as_deref(), &i.vaccine_name),
        "patient": refs.to("Patient", i.patient_id),
        "occurrenceDateTime": i.occurred_on.to_string(),
        // As the EHR said; a record entered in Portico is the practice's own.
        "primarySource": i.primary_source.or(
            (i.source.as_deref() == Some(PORTAL_SOURCE)).then_some(true)
        ),
    })
}
