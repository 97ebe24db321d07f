//! Laboratory results: observations and the reports (panels) that group them.

use fhir_model::r4b::resources::{
    DiagnosticReport, DiagnosticReportEffective, Observation, ObservationEffective,
    ObservationValue,
};
use fhir_model::r4b::types::CodeableConcept;
use portico_core::ehr::model::{Inbound, ResourceKind};
use portico_core::records::observations::{FLAGS, ObservationInput};
use portico_core::records::reports::ReportInput;

use super::fields::{
    LOINC, MISSING, NAME_MAX, Refs, Reject, SHORT_TEXT_MAX, TEXT_MAX, UNIT_MAX, UNSUPPORTED_CODE,
    UNSUPPORTED_STATUS, UNSUPPORTED_VALUE, coding, concept_text, first_code, instant, moment, text,
};

/// FHIR observation and report statuses to the chart's (`preliminary`, `final`, `amended`,
/// `corrected`, `entered-in-error`). `cancelled` and `unknown` have no result to show.
pub fn result_status(status: &str) -> Option<&'static str> {
    Some(match status {
        "registered" | "partial" | "preliminary" => "preliminary",
        "final" => "final",
        "amended" | "appended" => "amended",
        "corrected" => "corrected",
        "entered-in-error" => "entered-in-error",
        _ => return None,
    })
}

/// The LOINC code and a display for it (the coding's display, else the concept's text).
fn loinc(concept: &CodeableConcept) -> Result<(String, String), Reject> {
    let found = coding(concept, LOINC).ok_or(MISSING)?;
    let code = text(found.code.as_ref(), NAME_MAX)?.ok_or(MISSING)?;
    let display = match text(found.display.as_ref(), NAME_MAX)? {
        Some(d) => d,
        None => text(concept.text.as_ref(), NAME_MAX)?.unwrap_or_else(|| code.clone()),
    };
    Ok((code, display))
}

pub fn observation(observation: &Observation, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = result_status(observation.status.as_ref()).ok_or(UNSUPPORTED_STATUS)?;
    // The pull asks for laboratory results only; anything else that slips in is not the chart's.
    let categories: Vec<_> = observation.category.iter().flatten().collect();
    if !categories.is_empty()
        && !categories.iter().any(|c| {
            c.coding
                .iter()
                .flatten()
                .any(|c| c.code.as_deref() == Some("laboratory"))
        })
    {
        return Err(UNSUPPORTED_CODE);
    }
    let patient = refs.required(observation.subject.as_ref(), ResourceKind::Patient)?;
    let encounter = refs.to(observation.encounter.as_ref(), ResourceKind::Encounter)?;
    let (code, display) = loinc(&observation.code)?;
    let (mut value, mut unit, mut value_text) = (None, None, None);
    match &observation.value {
        Some(ObservationValue::Quantity(q)) => {
            let number = q.value.filter(|v| v.is_finite());
            let quantity_unit = text(q.unit.as_ref().or(q.code.as_ref()), UNIT_MAX)?;
            match &q.comparator {
                // `<20 copies/mL` is not 20: it is shown as written, never as a number.
                Some(comparator) => {
                    let number = number.ok_or(UNSUPPORTED_VALUE)?;
                    let written = match &quantity_unit {
                        Some(u) => format!("{}{number} {u}", comparator.as_ref()),
                        None => format!("{}{number}", comparator.as_ref()),
                    };
                    value_text = text(Some(&written), SHORT_TEXT_MAX)?;
                }
                None => {
                    value = number;
                    unit = quantity_unit;
                }
            }
        }
        Some(ObservationValue::Integer(i)) => value = Some(f64::from(*i)),
        Some(ObservationValue::String(s)) => value_text = text(Some(s), SHORT_TEXT_MAX)?,
        Some(ObservationValue::CodeableConcept(c)) => value_text = text(concept_text(c), NAME_MAX)?,
        None => {}
        // Booleans, ranges, ratios, sampled data, times, date-times and periods: the chart
        // has no faithful way to show them, and a result shown wrongly is worse than none.
        Some(_) => return Err(UNSUPPORTED_VALUE),
    }
    let range = observation.reference_range.iter().flatten().next();
    let interpretation = observation
        .interpretation
        .iter()
        .flatten()
        .next()
        .and_then(first_code)
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| FLAGS.contains(&c.as_str()));
    let effective_at = match &observation.effective {
        Some(ObservationEffective::DateTime(d)) => moment(d),
        Some(ObservationEffective::Period(p)) => p.start.as_ref().and_then(moment),
        Some(ObservationEffective::Instant(i)) => instant(i),
        _ => None,
    };
    Ok(Inbound::Observation {
        patient,
        encounter,
        input: ObservationInput {
            status: status.to_owned(),
            code,
            display,
            value,
            unit,
            value_text,
            range_low: range.and_then(|r| r.low.as_ref()).and_then(|q| q.value),
            range_high: range.and_then(|r| r.high.as_ref()).and_then(|q| q.value),
            range_text: text(range.and_then(|r| r.text.as_ref()), NAME_MAX)?,
            interpretation,
            effective_at,
            report_id: None,
            encounter_id: None,
        },
    })
}

pub fn report(report: &DiagnosticReport, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = result_status(report.status.as_ref()).ok_or(UNSUPPORTED_STATUS)?;
    let patient = refs.required(report.subject.as_ref(), ResourceKind::Patient)?;
    let encounter = refs.to(report.encounter.as_ref(), ResourceKind::Encounter)?;
    let (code, display) = loinc(&report.code)?;
    let results = report
        .result
        .iter()
        .flatten()
        .map(|r| refs.to(Some(r), ResourceKind::Observation))
        .filter_map(Result::transpose)
        .collect::<Result<Vec<_>, _>>()?;
    let effective_at = match &report.effective {
        Some(DiagnosticReportEffective::DateTime(d)) => moment(d),
        Some(DiagnosticReportEffective::Period(p)) => p.start.as_ref().and_then(moment),
        None => None,
    };
    Ok(Inbound::DiagnosticReport {
        patient,
        encounter,
        results,
        input: ReportInput {
            status: status.to_owned(),
            code,
            display,
            conclusion: text(report.conclusion.as_ref(), TEXT_MAX)?,
            effective_at,
            issued_at: report.issued.as_ref().and_then(instant),
            encounter_id: None,
        },
    })
}
