//! The chart's records as FHIR R4 resources shaped after US Core, one builder per resource
//! type. The same builders serve "download my record" (a transaction Bundle whose entries
//! refer to each other by `urn:uuid:` URLs) and the FHIR REST API (`Type/id` references):
//! [`Refs`] says which. Built with `serde_json` (docs/design-notes.md says why not a model
//! crate); [`compact`] drops the `null`s the builders leave for absent elements.

mod appointment;
mod clinical;
mod encounter;
mod observation;
mod patient;
mod provenance;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub use appointment::{appointment, appointment_status};
pub use clinical::{allergy, condition, immunization, medication};
pub use encounter::{encounter, summary};
pub use observation::{observation, report};
pub use patient::patient;
pub use provenance::{Agent, provenance, provenance_id, provenance_target};

pub(crate) const LOINC: &str = "http://loinc.org";
pub(crate) const UCUM: &str = "http://unitsofmeasure.org";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const MRN_SYSTEM: &str = "urn:portico:mrn";
pub(crate) const OBSERVATION_CATEGORY: &str =
    "http://terminology.hl7.org/CodeSystem/observation-category";

/// How resources refer to each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refs {
    /// `urn:uuid:{id}`: the entries of a transaction Bundle.
    Urn,
    /// `{Type}/{id}`: resources served by the REST API, whose ids are the records' own.
    Rest,
}

impl Refs {
    /// A reference to the `kind` resource with id `id`.
    pub fn to(self, kind: &str, id: Uuid) -> Value {
        match self {
            Self::Urn => json!({ "reference": format!("urn:uuid:{id}") }),
            Self::Rest => json!({ "reference": format!("{kind}/{id}") }),
        }
    }
}

pub(crate) fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Drops `null` members so optional elements are absent rather than null (FHIR JSON has no
/// nulls).
pub fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, compact(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(compact).collect()),
        other => other,
    }
}

fn coded(system: &str, code: Option<&str>, text: &str) -> Value {
    match code {
        Some(code) => json!({
            "coding": [{ "system": system, "code": code, "display": text }],
            "text": text,
        }),
        None => json!({ "text": text }),
    }
}

fn status_concept(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}
