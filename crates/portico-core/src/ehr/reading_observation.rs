//! A reading recorded at home as a patient-reported Observation: what the EHR is sent, and
//! what the FHIR API serves.

use serde_json::{Value, json};

use chrono::{DateTime, SecondsFormat, Utc};

use super::model::ReadingWrite;
use crate::records::fhir::{LOINC, OBSERVATION_CATEGORY, UCUM};
use crate::{entities::home_reading, readings::Kind};

/// The reading as it is told, with `patient` the chart's id where it is told (the EHR's
/// Patient id, or Portico's own); `None` for a kind Portico no longer knows.
pub fn reading_write(reading: home_reading::Model, patient: String) -> Option<ReadingWrite> {
    let kind = Kind::parse(&reading.kind)?;
    Some(ReadingWrite {
        local_id: reading.id,
        patient,
        code: reading.code,
        display: kind.display(&reading.unit).to_owned(),
        category: kind.category().to_owned(),
        value: reading.value,
        diastolic: reading.value2,
        unit: reading.unit,
        taken_at: reading.taken_at,
        recorded_at: reading.created_at,
        by_proxy: reading.by_proxy,
    })
}

/// To the millisecond, as the EHR has always been sent it.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn loinc(code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": LOINC, "code": code, "display": display }], "text": display })
}

fn ucum(value: f64, unit: &str) -> Value {
    json!({ "value": value, "unit": unit, "system": UCUM, "code": unit })
}

/// The reading's LOINC concept; pulse oximetry also carries 2708-6, as the R4 vital-signs
/// profile for oxygen saturation asks.
fn reading_code(write: &ReadingWrite) -> Value {
    let mut code = loinc(&write.code, &write.display);
    if write.code == "59408-5"
        && let Some(codings) = code["coding"].as_array_mut()
    {
        codings.push(json!({ "system": LOINC, "code": "2708-6",
            "display": "Oxygen saturation in Arterial blood" }));
    }
    code
}

/// `final`, `subject` the patient (and performer when they recorded it; a caregiver's
/// reading says so in a note instead), the value as given in UCUM, and a blood pressure as
/// the panel with its systolic and diastolic components.
pub fn reading(write: &ReadingWrite, subject: Value) -> Value {
    let mut body = json!({
        "resourceType": "Observation",
        "status": "final",
        "category": [{
            "coding": [{ "system": OBSERVATION_CATEGORY, "code": write.category }],
        }],
        "code": reading_code(write),
        "subject": subject,
        "effectiveDateTime": instant(write.taken_at),
        "issued": instant(write.recorded_at),
        "note": [{
            "text": if write.by_proxy {
                "Recorded at home by the patient's caregiver in the patient portal"
            } else {
                "Recorded at home by the patient in the patient portal"
            },
        }],
    });
    if !write.by_proxy {
        body["performer"] = json!([body["subject"].clone()]);
    }
    match write.diastolic {
        Some(diastolic) => {
            body["component"] = json!([
                {
                    "code": loinc("8480-6", "Systolic blood pressure"),
                    "valueQuantity": ucum(write.value, &write.unit),
                },
                {
                    "code": loinc("8462-4", "Diastolic blood pressure"),
                    "valueQuantity": ucum(diastolic, &write.unit),
                },
            ]);
        }
        None => body["valueQuantity"] = ucum(write.value, &write.unit),
    }
    body
}
