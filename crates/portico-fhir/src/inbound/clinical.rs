//! The problem-list resources: allergies, conditions, immunizations.

use fhir_model::r4b::resources::{
    AllergyIntolerance, Condition, ConditionAbatement, ConditionOnset, Immunization,
    ImmunizationOccurrence,
};
use fhir_model::r4b::types::CodeableConcept;
use portico_core::ehr::model::{Inbound, ResourceKind, Statuses};
use portico_core::records::{
    ENTERED_IN_ERROR, REFUTED,
    allergies::AllergyInput,
    conditions::ConditionInput,
    detail::{self, AllergyDetail, ConditionDetail, Reaction},
    immunizations::ImmunizationInput,
};

use super::fields::{
    CVX, MISSING, NAME_MAX, Refs, Reject, UNSUPPORTED_STATUS, coding, concept, concept_text, day,
    first_code, text,
};

/// A status concept's code, trimmed; codes are short, so a long one is no known status.
fn status_code(value: Option<&CodeableConcept>) -> Result<Option<String>, Reject> {
    match value.and_then(first_code).map(|c| c.trim()) {
        None | Some("") => Ok(None),
        Some(c) if c.len() <= 32 => Ok(Some(c.to_owned())),
        Some(_) => Err(UNSUPPORTED_STATUS),
    }
}

/// The chart's status and the FHIR statuses as received. A `refuted` or `entered-in-error`
/// verification withdraws the record whatever its clinical status says (FHIR leaves
/// `clinicalStatus` out for entered-in-error, and may for refuted); otherwise the clinical
/// status is the chart's.
fn statuses(
    clinical: Option<&CodeableConcept>,
    verification: Option<&CodeableConcept>,
    allowed: &[&str],
) -> Result<(String, Statuses), Reject> {
    let received = Statuses {
        clinical: status_code(clinical)?,
        verification: status_code(verification)?,
    };
    let status = match received.verification.as_deref() {
        Some(v @ (ENTERED_IN_ERROR | REFUTED)) => v.to_owned(),
        _ => {
            let code = received.clinical.as_deref().ok_or(MISSING)?;
            allowed
                .iter()
                .find(|s| ![ENTERED_IN_ERROR, REFUTED].contains(*s) && **s == code)
                .map(|s| (*s).to_owned())
                .ok_or(UNSUPPORTED_STATUS)?
        }
    };
    Ok((status, received))
}

pub fn allergy(allergy: &AllergyIntolerance, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let (status, statuses) = statuses(
        allergy.clinical_status.as_ref(),
        allergy.verification_status.as_ref(),
        &portico_core::records::allergies::STATUSES,
    )?;
    let patient = refs.required(Some(&allergy.patient), ResourceKind::Patient)?;
    let code = allergy.code.as_ref().ok_or(MISSING)?;
    let substance = text(concept_text(code), NAME_MAX)?.ok_or(MISSING)?;
    // Every reaction is kept; a reaction that names nothing that happened says nothing.
    let reactions = allergy
        .reaction
        .iter()
        .flatten()
        .take(detail::MAX_ITEMS)
        .map(|r| {
            Ok(Reaction {
                manifestations: r
                    .manifestation
                    .iter()
                    .flatten()
                    .take(detail::MAX_ITEMS)
                    .map(concept)
                    .collect::<Result<_, Reject>>()?,
                severity: r.severity.as_ref().map(|s| s.as_ref().to_owned()),
            })
        })
        .filter(|r| !matches!(r, Ok(r) if r.manifestations.is_empty() && r.severity.is_none()))
        .collect::<Result<Vec<_>, Reject>>()?;
    // The chart's one-line reaction and severity are the worst reaction's.
    let worst = detail::worst_severity(&reactions).map(str::to_owned);
    let headline = reactions
        .iter()
        .find(|r| r.severity == worst)
        .or(reactions.first());
    let labels: Vec<&str> = headline
        .map(|r| {
            r.manifestations
                .iter()
                .filter_map(detail::Concept::label)
                .collect()
        })
        .unwrap_or_default();
    let joined = labels.join(", ");
    let reaction = if joined.chars().count() <= NAME_MAX {
        Some(joined).filter(|j| !j.is_empty())
    } else {
        labels.first().map(|l| (*l).to_owned())
    };
    Ok(Inbound::Allergy {
        patient,
        input: AllergyInput {
            status,
            substance,
            code: text(first_code(code), NAME_MAX)?,
            reaction,
            severity: worst,
            recorded_on: allergy.recorded_date.as_ref().and_then(day),
        },
        statuses,
        detail: AllergyDetail {
            code: Some(concept(code)?),
            reactions,
        },
    })
}

pub fn condition(condition: &Condition, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let (status, statuses) = statuses(
        condition.clinical_status.as_ref(),
        condition.verification_status.as_ref(),
        &portico_core::records::conditions::STATUSES,
    )?;
    let patient = refs.required(Some(&condition.subject), ResourceKind::Patient)?;
    let code = condition.code.as_ref().ok_or(MISSING)?;
    let name = text(concept_text(code), NAME_MAX)?.ok_or(MISSING)?;
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
            code: text(first_code(code), NAME_MAX)?,
            name,
            onset_on,
            abated_on,
        },
        statuses,
        detail: ConditionDetail {
            code: Some(concept(code)?),
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
        primary_source: immunization.primary_source,
    })
}
