//! The problem-list resources: allergies, conditions, immunizations.

use fhir_model::r4b::resources::{
    AllergyIntolerance, Condition, ConditionAbatement, ConditionOnset, Immunization,
    ImmunizationOccurrence,
};
use fhir_model::r4b::types::CodeableConcept;
use portico_core::ehr::model::{Inbound, ResourceKind};
use portico_core::records::{
    ENTERED_IN_ERROR, allergies::AllergyInput, conditions::ConditionInput,
    immunizations::ImmunizationInput,
};

use super::fields::{
    CVX, MISSING, NAME_MAX, Refs, Reject, UNSUPPORTED_STATUS, coding, concept_text, day,
    first_code, text,
};

/// The status from `clinicalStatus`, unless `verificationStatus` withdraws the record
/// (FHIR leaves `clinicalStatus` out then).
fn status(
    clinical: Option<&CodeableConcept>,
    verification: Option<&CodeableConcept>,
    allowed: &[&str],
) -> Result<String, Reject> {
    if verification
        .and_then(first_code)
        .is_some_and(|c| c == ENTERED_IN_ERROR)
    {
        return Ok(ENTERED_IN_ERROR.to_owned());
    }
    let code = clinical.and_then(first_code).ok_or(MISSING)?;
    allowed
        .iter()
        .find(|s| **s != ENTERED_IN_ERROR && **s == code.as_str())
        .map(|s| (*s).to_owned())
        .ok_or(UNSUPPORTED_STATUS)
}

pub fn allergy(allergy: &AllergyIntolerance, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = status(
        allergy.clinical_status.as_ref(),
        allergy.verification_status.as_ref(),
        &portico_core::records::allergies::STATUSES,
    )?;
    let patient = refs.required(Some(&allergy.patient), ResourceKind::Patient)?;
    let concept = allergy.code.as_ref().ok_or(MISSING)?;
    let substance = text(concept_text(concept), NAME_MAX)?.ok_or(MISSING)?;
    let reaction = allergy.reaction.iter().flatten().next();
    let manifestation = reaction
        .and_then(|r| r.manifestation.iter().flatten().next())
        .and_then(concept_text);
    Ok(Inbound::Allergy {
        patient,
        input: AllergyInput {
            status,
            substance,
            code: text(first_code(concept), NAME_MAX)?,
            reaction: text(manifestation, NAME_MAX)?,
            severity: reaction
                .and_then(|r| r.severity.as_ref())
                .map(|s| s.as_ref().to_owned()),
            recorded_on: allergy.recorded_date.as_ref().and_then(day),
        },
    })
}

pub fn condition(condition: &Condition, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = status(
        condition.clinical_status.as_ref(),
        condition.verification_status.as_ref(),
        &portico_core::records::conditions::STATUSES,
    )?;
    let patient = refs.required(Some(&condition.subject), ResourceKind::Patient)?;
    let concept = condition.code.as_ref().ok_or(MISSING)?;
    let name = text(concept_text(concept), NAME_MAX)?.ok_or(MISSING)?;
    let onset_on = match &condition.onset {
        Some(ConditionOnset::DateTime(d)) => day(d),
        Some(ConditionOnset::Period(p)) => p.start.as_ref().and_then(day),
        _ => None,
    };
    let abated_on = match &condition.abatement {
        Some(ConditionAbatement::DateTime(d)) => day(d),
        Some(ConditionAbatement::Period(p)) => p.start.as_ref().and_then(day),
        _ => None,
    };
    Ok(Inbound::Condition {
        patient,
        input: ConditionInput {
            status,
            code: text(first_code(concept), NAME_MAX)?,
            name,
            onset_on,
            abated_on,
        },
    })
}

pub fn immunization_status(status: &str) -> Option<&'static str> {
    portico_core::records::immunizations::STATUSES
        .into_iter()
        .find(|s| *s == status)
}

pub fn immunization(immunization: &Immunization, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = immunization_status(&immunization.status).ok_or(UNSUPPORTED_STATUS)?;
    let patient = refs.required(Some(&immunization.patient), ResourceKind::Patient)?;
    let concept = &immunization.vaccine_code;
    let cvx = coding(concept, CVX);
    let name = match text(concept.text.as_ref(), NAME_MAX)? {
        Some(n) => n,
        None => text(
            cvx.and_then(|c| c.display.as_ref())
                .or(concept_text(concept)),
            NAME_MAX,
        )?
        .ok_or(MISSING)?,
    };
    let occurred_on = match &immunization.occurrence {
        ImmunizationOccurrence::DateTime(d) => day(d),
        ImmunizationOccurrence::String(_) => None,
    };
    Ok(Inbound::Immunization {
        patient,
        input: ImmunizationInput {
            status: status.to_owned(),
            vaccine_code: text(cvx.and_then(|c| c.code.as_ref()), NAME_MAX)?,
            vaccine_name: name,
            occurred_on: Some(occurred_on.ok_or(MISSING)?),
            next_due_on: None,
        },
    })
}
