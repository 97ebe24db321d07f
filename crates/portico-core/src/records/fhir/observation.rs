//! A result as a US Core Observation (laboratory or vital signs), and a lab report as a
//! DiagnosticReport.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{LOINC, OBSERVATION_CATEGORY, Refs, UCUM, coded, instant, status_concept};
use crate::{
    entities::{diagnostic_report, observation},
    records::{
        detail::{self, Concept, ObservationDetail, Quantity},
        observations::LABORATORY,
    },
};

/// A concept as the EHR sent it; `fallback` when the record has none (entered in Portico).
pub(super) fn concept_or(received: Option<&Concept>, fallback: Value) -> Value {
    match received {
        Some(c) if !c.coding.is_empty() || c.text.is_some() => json!(c),
        _ => fallback,
    }
}

/// A quantity in `unit`: with the unit's system and code as received, else as UCUM.
fn quantity(value: f64, unit: Option<&str>, received: Option<&Quantity>) -> Value {
    match received {
        Some(q) if q.unit.is_some() || q.code.is_some() => json!({
            "value": value, "unit": q.unit, "system": q.system, "code": q.code,
        }),
        _ => match unit {
            Some(unit) => json!({ "value": value, "unit": unit, "system": UCUM, "code": unit }),
            None => json!({ "value": value }),
        },
    }
}

/// A range bound in its own unit as received, else in the result's unit.
fn bound(
    value: Option<f64>,
    received: Option<&Quantity>,
    o: &observation::Model,
    d: &ObservationDetail,
) -> Option<Value> {
    let unit = received
        .filter(|q| q.unit.is_some() || q.code.is_some())
        .or(d.value_unit.as_ref());
    value.map(|v| quantity(v, o.unit.as_deref(), unit))
}

/// The Observation; `encounter` is the visit's reference when it is on the chart.
pub fn observation(o: &observation::Model, encounter: Option<Value>, refs: Refs) -> Value {
    let d: ObservationDetail = detail::read(o.detail.as_deref());
    let received_range = d.range.clone().unwrap_or_default();
    let range =
        (o.range_low.is_some() || o.range_high.is_some() || o.range_text.is_some()).then(|| {
            json!([{
                "low": bound(o.range_low, received_range.low.as_ref(), o, &d),
                "high": bound(o.range_high, received_range.high.as_ref(), o, &d),
                "text": o.range_text,
            }])
        });
    let components: Vec<Value> = d
        .components
        .iter()
        .map(|c| {
            json!({
                "code": concept_or(c.concept.as_ref(), coded(LOINC, Some(&c.code), &c.display)),
                "valueQuantity": c.value.as_ref().and_then(|q| q.value).map(|v| {
                    quantity(v, None, c.value.as_ref())
                }),
            })
        })
        .collect();
    let category = o.category.as_deref().unwrap_or(LABORATORY);
    let value_concept = d.value_concept.as_ref().filter(|_| o.value_text.is_some());
    json!({
        "resourceType": "Observation",
        "status": o.status,
        "category": [{
            "coding": [{ "system": OBSERVATION_CATEGORY, "code": category }],
        }],
        "code": concept_or(d.code.as_ref(), coded(LOINC, Some(&o.code), &o.display)),
        "subject": refs.to("Patient", o.patient_id),
        "encounter": encounter,
        "effectiveDateTime": instant(o.effective_at),
        "valueQuantity": o.value_num.map(|v| quantity(v, o.unit.as_deref(), d.value_unit.as_ref())),
        "valueCodeableConcept": value_concept.map(|c| json!(c)),
        "valueString": o.value_text.as_ref().filter(|_| value_concept.is_none()),
        "component": (!components.is_empty()).then_some(components),
        "interpretation": o.interpretation.as_ref().map(|flag| json!([status_concept(
            "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
            flag,
        )])),
        "referenceRange": range,
    })
}

/// The DiagnosticReport with its results (the Observations of `results`).
pub fn report(
    r: &diagnostic_report::Model,
    encounter: Option<Value>,
    results: &[Uuid],
    refs: Refs,
) -> Value {
    let results: Vec<Value> = results
        .iter()
        .map(|id| refs.to("Observation", *id))
        .collect();
    json!({
        "resourceType": "DiagnosticReport",
        "status": r.status,
        "category": [status_concept("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB")],
        "code": coded(LOINC, Some(&r.code), &r.display),
        "subject": refs.to("Patient", r.patient_id),
        "encounter": encounter,
        "effectiveDateTime": instant(r.effective_at),
        "issued": r.issued_at.map(instant),
        "conclusion": r.conclusion,
        "result": (!results.is_empty()).then_some(results),
    })
}
