//! Resources a mapped resource refers to and needs for its own meaning: the Medication of a
//! MedicationRequest that names its drug by `medicationReference` (as most EHRs do). They
//! come contained in the request (`#id`), included in the search page
//! (`_include`, `search.mode = include`), or read by the gateway in one search per page
//! (`Medication?_id=a,b,...`) for the references the page left unresolved.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::fields::{self, Refs};

/// Most Medications read for one page: a page of `_count` requests names at most that many.
pub const MAX_FETCH: usize = 1_000;

/// Medication resources by id, as JSON (each read typed when a request needs it).
#[derive(Clone, Debug, Default)]
pub struct Included {
    medications: HashMap<String, Value>,
}

impl Included {
    pub fn medication(&self, fhir_id: &str) -> Option<&Value> {
        self.medications.get(fhir_id)
    }

    /// Adds every Medication among `resources` (other types are ignored).
    pub fn add<'a>(&mut self, resources: impl IntoIterator<Item = &'a Value>) {
        for resource in resources {
            if resource.get("resourceType").and_then(Value::as_str) != Some("Medication") {
                continue;
            }
            if let Some(id) = resource
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| fields::id(id).ok())
            {
                self.medications.insert(id, resource.clone());
            }
        }
    }

    /// The Medications a page included (`search.mode = include`).
    pub fn from_page(bundle: &Value) -> Self {
        let mut included = Self::default();
        included.add(entries(bundle).filter_map(|e| e.get("resource")));
        included
    }
}

fn entries(bundle: &Value) -> impl Iterator<Item = &Value> {
    bundle
        .get("entry")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The ids of the Medications the page's requests refer to that neither they contain nor
/// the page includes: what the gateway reads before mapping the page. Only references on the
/// connection's own server count (others are refused when mapped).
pub fn unresolved_medications(bundle: &Value, base: &str, included: &Included) -> Vec<String> {
    let refs = Refs { base, included };
    let mut ids = BTreeSet::new();
    for resource in entries(bundle).filter_map(|e| e.get("resource")) {
        if resource.get("resourceType").and_then(Value::as_str) != Some("MedicationRequest") {
            continue;
        }
        let Some(reference) = resource
            .pointer("/medicationReference/reference")
            .and_then(Value::as_str)
        else {
            continue;
        };
        if reference.starts_with('#') {
            continue;
        }
        if let Ok((kind, id)) = refs.target_of(reference)
            && kind == "Medication"
            && included.medication(&id).is_none()
        {
            ids.insert(id);
        }
    }
    ids.into_iter().take(MAX_FETCH).collect()
}
