//! Who stands behind a record (US Core Provenance). Served under an id made of the
//! record's type and id, so the record is found again from it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::instant;

/// The Provenance id of record `id` of resource type `kind`.
pub fn provenance_id(kind: &str, id: Uuid) -> String {
    format!("{kind}-{id}")
}

/// The record a Provenance id names: its resource type and id.
pub fn provenance_target(provenance: &str) -> Option<(&str, Uuid)> {
    let (kind, id) = provenance.split_once('-')?;
    Some((kind, Uuid::parse_str(id).ok()?))
}

/// Who the Provenance names: the practice, as author of what it entered or as transmitter
/// of what came from its EHR; or the patient, as author of a reading they recorded.
#[derive(Clone, Debug)]
pub enum Agent<'a> {
    Practice { name: &'a str, from_ehr: bool },
    Patient(Value),
}

/// The Provenance of record `id` of resource type `kind`, last changed at `recorded`.
pub fn provenance(kind: &str, id: Uuid, recorded: DateTime<Utc>, agent: Agent<'_>) -> Value {
    let (role, who) = match agent {
        Agent::Practice { name, from_ehr } => (
            if from_ehr { "transmitter" } else { "author" },
            json!({ "display": name }),
        ),
        Agent::Patient(reference) => ("author", reference),
    };
    json!({
        "resourceType": "Provenance",
        "id": provenance_id(kind, id),
        "target": [{ "reference": format!("{kind}/{id}") }],
        "recorded": instant(recorded),
        "agent": [{
            "type": {
                "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                    "code": role,
                }],
            },
            "who": who,
        }],
    })
}
