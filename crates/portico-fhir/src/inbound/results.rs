//! Laboratory results: observations and the reports (panels) that group them.

use fhir_model::r4b::resources::{
    DiagnosticReport, DiagnosticReportEffective, Observation, ObservationComponent,
    ObservationComponentValue, ObservationEffective, ObservationValue,
};
use fhir_model::r4b::types::CodeableConcept;
use portico_core::ehr::model::{Inbound, ResourceKind};
use portico_core::records::detail::{self, Component, ObservationDetail};
use portico_core::records::observations::{FLAGS, LABORATORY, ObservationInput, VITAL_SIGNS};
use portico_core::records::reports::ReportInput;

use super::fields::{
    LOINC, MISSING, NAME_MAX, Refs, Reject, SHORT_TEXT_MAX, TEXT_MAX, UNIT_MAX, UNSUPPORTED_CODE,
    UNSUPPORTED_STATUS, UNSUPPORTED_VALUE, coding, concept, concept_text, first_code, instant,
    moment, quantity, text,
};

/// The US Core vital signs, in the order a coding is preferred when a concept has several
/// (pulse oximetry carries both 59408-5 and 2708-6: the series follow 59408-5).
pub const VITAL_CODES: [&str; 11] = [
    "85354-9", // blood pressure panel
    "8480-6",  // systolic
    "8462-4",  // diastolic
    "8867-4",  // heart rate
    "9279-1",  // respiratory rate
    "8310-5",  // body temperature
    "29463-7", // body weight
    "8302-2",  // body height
    "39156-5", // body mass index
    "59408-5", // oxygen saturation by pulse oximetry
    "2708-6",  // oxygen saturation in arterial blood
];

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

/// The LOINC code and a display for it (the coding's display, else the concept's text): a
/// US Core vital sign's coding first, else the first LOINC coding.
fn loinc(concept: &CodeableConcept) -> Result<(String, String), Reject> {
    let loinc_codings = || {
        concept
            .coding
            .iter()
            .flatten()
            .filter(|c| c.system.as_deref() == Some(LOINC))
    };
    let vital = VITAL_CODES
        .iter()
        .find_map(|v| loinc_codings().find(|c| c.code.as_deref().map(str::trim) == Some(*v)));
    let found = vital.or_else(|| coding(concept, LOINC)).ok_or(MISSING)?;
    let code = text(found.code.as_ref(), NAME_MAX)?.ok_or(MISSING)?;
    let display = match text(found.display.as_ref(), NAME_MAX)? {
        Some(d) => d,
        None => text(concept.text.as_ref(), NAME_MAX)?.unwrap_or_else(|| code.clone()),
    };
    Ok((code, display))
}

pub fn observation(observation: &Observation, refs: &Refs<'_>) -> Result<Inbound, Reject> {
    let status = result_status(observation.status.as_ref()).ok_or(UNSUPPORTED_STATUS)?;
    let category = category(observation)?;
    let patient = refs.required(observation.subject.as_ref(), ResourceKind::Patient)?;
    let encounter = refs.to(observation.encounter.as_ref(), ResourceKind::Encounter)?;
    let (code, display) = loinc(&observation.code)?;
    let mut detail = ObservationDetail {
        code: Some(concept(&observation.code)?),
        ..ObservationDetail::default()
    };
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
                    let received = detail::Quantity {
                        value: None,
                        ..quantity(q)?
                    };
                    detail.value_unit =
                        (received != detail::Quantity::default()).then_some(received);
                }
            }
        }
        Some(ObservationValue::Integer(i)) => value = Some(f64::from(*i)),
        Some(ObservationValue::String(s)) => value_text = text(Some(s), SHORT_TEXT_MAX)?,
        Some(ObservationValue::CodeableConcept(c)) => {
            value_text = text(concept_text(c), NAME_MAX)?;
            detail.value_concept = Some(concept(c)?);
        }
        None => {}
        // Booleans, ranges, ratios, sampled data, times, date-times and periods: the chart
        // has no faithful way to show them, and a result shown wrongly is worse than none.
        Some(_) => return Err(UNSUPPORTED_VALUE),
    }
    let range = observation.reference_range.iter().flatten().next();
    if let Some(r) = range {
        detail.range = Some(detail::Range {
            low: r.low.as_ref().map(quantity).transpose()?,
            high: r.high.as_ref().map(quantity).transpose()?,
            text: text(r.text.as_ref(), NAME_MAX)?,
        });
    }
    detail.components = observation
        .component
        .iter()
        .flatten()
        .take(detail::MAX_ITEMS)
        .map(component)
        .filter_map(Result::transpose)
        .collect::<Result<_, _>>()?;
    // A panel whose components carried no usable value has nothing to show.
    if value.is_none()
        && value_text.is_none()
        && detail.components.is_empty()
        && !observation.component.is_empty()
    {
        return Err(UNSUPPORTED_VALUE);
    }
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
        category: category.to_owned(),
        detail: Box::new(detail),
    })
}

/// `vital-signs` or `laboratory` (also when the EHR gave no category); other categories are
/// not pulled, and anything else that slips in is not the chart's.
fn category(observation: &Observation) -> Result<&'static str, Reject> {
    let codes: Vec<&str> = observation
        .category
        .iter()
        .flatten()
        .flat_map(|c| c.coding.iter().flatten())
        .filter_map(|c| c.code.as_deref())
        .collect();
    if codes.contains(&VITAL_SIGNS) {
        Ok(VITAL_SIGNS)
    } else if codes.contains(&LABORATORY) || observation.category.is_empty() {
        Ok(LABORATORY)
    } else {
        Err(UNSUPPORTED_CODE)
    }
}

/// One component with a plain quantity (a blood pressure's systolic); others are left out,
/// as the chart cannot show them faithfully.
fn component(c: &ObservationComponent) -> Result<Option<Component>, Reject> {
    let value = match &c.value {
        Some(ObservationComponentValue::Quantity(q))
            if q.comparator.is_none() && q.value.is_some_and(f64::is_finite) =>
        {
            quantity(q)?
        }
        _ => return Ok(None),
    };
    let (code, display) = loinc(&c.code)?;
    Ok(Some(Component {
        code,
        display,
        concept: Some(concept(&c.code)?),
        value: Some(value),
    }))
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
