//! Every chart as FHIR R4 NDJSON, one file per resource type (the FHIR Bulk Data layout):
//! the "download my record" bundle of each chart ([`crate::records::export`]) split by
//! resource type, each resource given its id and its references rewritten from the
//! bundle's `urn:uuid:` full URLs to `Type/id`, so the files stand on their own. A resource
//! that more than one chart's bundle holds is written once.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::QueryOrder;
use serde_json::Value;

use super::{
    PortabilityError,
    manifest::{FileEntry, NdjsonFile, OutputDir},
};
use crate::{
    TenantTx,
    audit::Actor,
    chart_access::{OpenChart, Relationship},
    entities::patient,
    records,
};

/// Writes `fhir/<Type>.ndjson` for every chart of the practice; returns the files written.
pub async fn export(
    tx: &TenantTx,
    dir: &mut OutputDir,
) -> Result<Vec<(String, FileEntry)>, PortabilityError> {
    let charts = tx
        .find::<patient::Entity>()
        .order_by_asc(patient::Column::Id)
        .all(tx.conn())
        .await?;
    let mut files: BTreeMap<String, NdjsonFile> = BTreeMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    // The export is made by Portico for the practice: audited as the system, chart by chart
    // (`chart.export`, which the patient sees in their access log).
    let actor = Actor::system();
    for chart in charts {
        let chart = OpenChart {
            chart,
            relationship: Relationship::Staff,
            break_glass: None,
        };
        let bundle = records::export::bundle(tx, &actor, &chart).await?;
        for (kind, resource) in resources(&bundle) {
            let id = resource["id"].as_str().unwrap_or_default().to_owned();
            if !seen.insert((kind.clone(), id)) {
                continue;
            }
            let file = match files.entry(kind) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let name = format!("fhir/{}.ndjson", e.key());
                    e.insert(dir.file(&name)?)
                }
            };
            file.write(&resource)?;
        }
    }
    files.into_values().map(NdjsonFile::close).collect()
}

/// The bundle's resources with their type, each with its `id` and its references made
/// relative (`Patient/<id>`); entries of a type that is not a plain name are left out.
fn resources(bundle: &Value) -> Vec<(String, Value)> {
    let entries = bundle["entry"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut local: HashMap<String, String> = HashMap::new();
    for entry in entries {
        if let (Some(url), Some(kind)) = (
            entry["fullUrl"].as_str(),
            entry["resource"]["resourceType"].as_str(),
        ) && let Some(id) = url.strip_prefix("urn:uuid:")
        {
            local.insert(url.to_owned(), format!("{kind}/{id}"));
        }
    }
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let (Some(url), Some(kind)) = (
            entry["fullUrl"].as_str(),
            entry["resource"]["resourceType"].as_str(),
        ) else {
            continue;
        };
        if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let mut resource = entry["resource"].clone();
        resource["id"] = Value::String(url.strip_prefix("urn:uuid:").unwrap_or(url).to_owned());
        relink(&mut resource, &local);
        out.push((kind.to_owned(), resource));
    }
    out
}

/// Rewrites every `reference` that names an entry of the bundle.
fn relink(value: &mut Value, local: &HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "reference"
                    && let Some(target) = v.as_str().and_then(|r| local.get(r))
                {
                    *v = Value::String(target.clone());
                } else {
                    relink(v, local);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| relink(v, local)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn resources_get_their_ids_and_relative_references() {
        let bundle = json!({ "entry": [
            { "fullUrl": "urn:uuid:p1", "resource": { "resourceType": "Patient" } },
            { "fullUrl": "urn:uuid:o1", "resource": { "resourceType": "Observation",
                "subject": { "reference": "urn:uuid:p1" },
                "hasMember": [{ "reference": "urn:uuid:elsewhere" }] } },
        ]});
        let out = resources(&bundle);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, "Patient");
        assert_eq!(out[0].1["id"], "p1");
        assert_eq!(out[1].1["subject"]["reference"], "Patient/p1");
        assert_eq!(out[1].1["hasMember"][0]["reference"], "urn:uuid:elsewhere");
    }
}
