//! FHIR JSON to the chart's inputs. Each bundle entry is read on its own, so one malformed or
//! hostile resource is rejected with a stable code while the rest of the page still maps.

pub(crate) mod choice;
mod clinical;
mod directory;
mod documents;
pub mod fields;
pub mod included;
mod medications;
pub(crate) mod patient;
mod results;
mod visits;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fhir_model::r4b::resources::Resource;
use portico_core::ehr::gateway::{ChangePage, EhrError};
use portico_core::ehr::model::{Change, Mapped, PORTICO_OWN, ResourceKind};
use serde::Deserialize;
use serde_json::Value;

use crate::http::BAD_RESPONSE;
use crate::outbound;
use fields::{MALFORMED, MISSING, RESTRICTED, Refs, Reject, UNEXPECTED_TYPE, UNSUPPORTED_STATUS};
pub use included::{Included, unresolved_medications};

/// The confidentiality code system of `meta.security` labels.
const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
/// The same system under its FHIR DSTU2 URL, which some servers still send.
const CONFIDENTIALITY_OLD: &str = "http://hl7.org/fhir/v3/Confidentiality";

/// Maps one resource (a bundle entry's `resource`) that should be of type `kind`. `base` is the
/// connection's base URL without trailing slash, for absolute references.
pub fn map_resource(raw: &Value, kind: ResourceKind, base: &str) -> Change {
    map_resource_with(raw, kind, base, &Included::default())
}

/// [`map_resource`] with the resources the page included or the gateway read for it.
pub fn map_resource_with(
    raw: &Value,
    kind: ResourceKind,
    base: &str,
    included: &Included,
) -> Change {
    let fhir_id = raw
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| fields::id(id).ok());
    let last_updated = raw
        .pointer("/meta/lastUpdated")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    match map_checked(raw, kind, base, included) {
        Ok(mapped) => Change::Upsert(mapped),
        Err(code) => {
            // Codes only: the resource itself may hold PHI.
            tracing::debug!(kind = kind.as_str(), code, "FHIR resource rejected");
            Change::Rejected {
                kind,
                fhir_id,
                code,
                last_updated,
            }
        }
    }
}

fn map_checked(
    raw: &Value,
    kind: ResourceKind,
    base: &str,
    included: &Included,
) -> Result<Mapped, Reject> {
    let resource_type = raw
        .get("resourceType")
        .and_then(Value::as_str)
        .ok_or(MALFORMED)?;
    if resource_type != kind.as_str() {
        return Err(UNEXPECTED_TYPE);
    }
    // First, so that a restricted resource is never shown whatever else is wrong with it.
    if restricted(raw) {
        return Err(RESTRICTED);
    }
    // A home reading Portico wrote: already on the chart as the patient's reading.
    if kind == ResourceKind::Observation && carries(raw, outbound::READING_SYSTEM) {
        return Err(PORTICO_OWN);
    }
    // Checked before the typed read: fhir-model refuses codes outside a required value set,
    // and a status Portico does not know is a different problem from a malformed resource.
    if let Some(status) = raw.get("status").and_then(Value::as_str)
        && !status_known(kind, status)
    {
        return Err(UNSUPPORTED_STATUS);
    }
    if kind == ResourceKind::MedicationRequest {
        medications::check_intent(raw)?;
    }
    let resource = Resource::deserialize(raw).map_err(|_| MALFORMED)?;
    if lost_choice(raw, &resource) {
        return Err(MALFORMED);
    }
    let refs = Refs { base, included };
    let (id, meta, record) = match &resource {
        Resource::Patient(r) => (&r.id, &r.meta, patient::map(r, raw)?),
        Resource::Practitioner(r) => (&r.id, &r.meta, directory::practitioner(r)?),
        Resource::Location(r) => (&r.id, &r.meta, directory::location(r)?),
        Resource::Encounter(r) => (&r.id, &r.meta, visits::encounter(r, &refs)?),
        Resource::Appointment(r) => (&r.id, &r.meta, visits::appointment(r, &refs)?),
        Resource::Observation(r) => (&r.id, &r.meta, results::observation(r, &refs)?),
        Resource::DiagnosticReport(r) => (&r.id, &r.meta, results::report(r, &refs)?),
        Resource::DocumentReference(r) => (&r.id, &r.meta, documents::visit_summary(r, &refs)?),
        Resource::MedicationRequest(r) => {
            (&r.id, &r.meta, medications::medication_request(r, &refs)?)
        }
        Resource::AllergyIntolerance(r) => (&r.id, &r.meta, clinical::allergy(r, &refs)?),
        Resource::Condition(r) => (&r.id, &r.meta, clinical::condition(r, &refs)?),
        Resource::Immunization(r) => (&r.id, &r.meta, clinical::immunization(r, &refs)?),
        _ => return Err(UNEXPECTED_TYPE),
    };
    let fhir_id = fields::id(id.as_deref().ok_or(MISSING)?)
        .map_err(|e| if e == fields::TOO_LONG { e } else { MALFORMED })?;
    let version_id = match meta.as_ref().and_then(|m| m.version_id.as_deref()) {
        Some(v) => Some(fields::id(v).map_err(|_| MALFORMED)?),
        None => None,
    };
    let last_updated = meta
        .as_ref()
        .and_then(|m| m.last_updated.as_ref())
        .and_then(fields::instant);
    Ok(Mapped {
        fhir_id,
        version_id,
        last_updated,
        record,
    })
}

/// Whether the resource carries an identifier of `system`.
fn carries(raw: &Value, system: &str) -> bool {
    raw.get("identifier")
        .and_then(Value::as_array)
        .is_some_and(|ids| {
            ids.iter()
                .any(|i| i.get("system").and_then(Value::as_str) == Some(system))
        })
}

/// Whether `meta.security` labels the resource restricted (`R`) or very restricted (`V`).
/// Read from the raw JSON, so a label is seen even where the typed read would fail.
fn restricted(raw: &Value) -> bool {
    let Some(labels) = raw.pointer("/meta/security").and_then(Value::as_array) else {
        return false;
    };
    labels.iter().any(|label| {
        let system = label.get("system").and_then(Value::as_str);
        let code = label.get("code").and_then(Value::as_str);
        matches!(system, Some(CONFIDENTIALITY | CONFIDENTIALITY_OLD))
            && matches!(code.map(str::trim), Some("R" | "V"))
    })
}

/// fhir-model reads optional `value[x]`-style choices through serde's `flatten`, which turns a
/// malformed choice into `None` instead of an error: a result whose value was garbled would
/// map as a result without a value. The choices the mappings read are checked here.
fn lost_choice(raw: &Value, resource: &Resource) -> bool {
    let present = |prefix: &str| {
        raw.as_object().is_some_and(|o| {
            o.keys().any(|k| {
                k.strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
            })
        })
    };
    match resource {
        Resource::Observation(r) => {
            (r.value.is_none() && present("value"))
                || (r.effective.is_none() && present("effective"))
        }
        Resource::DiagnosticReport(r) => r.effective.is_none() && present("effective"),
        Resource::Condition(r) => {
            (r.onset.is_none() && present("onset"))
                || (r.abatement.is_none() && present("abatement"))
        }
        _ => false,
    }
}

/// Whether a raw `status` is one the mapping for `kind` handles.
fn status_known(kind: ResourceKind, status: &str) -> bool {
    match kind {
        ResourceKind::Patient | ResourceKind::Practitioner => true,
        ResourceKind::Location => directory::LOCATION_STATUSES.contains(&status),
        ResourceKind::Encounter => visits::encounter_status(status).is_some(),
        ResourceKind::Appointment => visits::APPOINTMENT_STATUSES.contains(&status),
        ResourceKind::Observation | ResourceKind::DiagnosticReport => {
            results::result_status(status).is_some()
        }
        ResourceKind::DocumentReference => documents::document_status(status).is_some(),
        ResourceKind::MedicationRequest => medications::medication_status(status).is_some(),
        // Their status lives in clinicalStatus, checked in the mapping.
        ResourceKind::AllergyIntolerance | ResourceKind::Condition => true,
        ResourceKind::Immunization => clinical::immunization_status(status).is_some(),
    }
}

/// Maps a page: a `searchset` bundle gives upserts (included resources skipped), a `history`
/// bundle gives its deletions only. The `next` link is returned as the server sent it; the
/// caller checks it before following it.
pub fn map_bundle(bundle: &Value, kind: ResourceKind, base: &str) -> Result<ChangePage, EhrError> {
    map_bundle_with(bundle, kind, base, Included::default())
}

/// [`map_bundle`] with resources read for the page beforehand (`fetched`), besides those it
/// includes itself.
pub fn map_bundle_with(
    bundle: &Value,
    kind: ResourceKind,
    base: &str,
    fetched: Included,
) -> Result<ChangePage, EhrError> {
    let bad = |why: &str| {
        EhrError::new(
            BAD_RESPONSE,
            format!("{} page: {why}", kind.as_str()),
            false,
        )
    };
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(bad("not a Bundle"));
    }
    let history = bundle.get("type").and_then(Value::as_str) == Some("history");
    let entries = match bundle.get("entry") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(entries)) => entries.as_slice(),
        Some(_) => return Err(bad("entry is not a list")),
    };
    if history {
        return Ok(ChangePage {
            changes: deletions(entries, kind),
            next: next_link(bundle),
        });
    }
    let mut included = fetched;
    included.add(entries.iter().filter_map(|e| e.get("resource")));
    let mut changes = Vec::with_capacity(entries.len());
    for entry in entries {
        let mode = entry.pointer("/search/mode").and_then(Value::as_str);
        if matches!(mode, Some("include" | "outcome")) {
            continue;
        }
        match entry.get("resource") {
            Some(resource) => changes.push(map_resource_with(resource, kind, base, &included)),
            None => changes.push(Change::Rejected {
                kind,
                fhir_id: None,
                code: MISSING,
                last_updated: None,
            }),
        }
    }
    Ok(ChangePage {
        changes,
        next: next_link(bundle),
    })
}

pub(crate) fn next_link(bundle: &Value) -> Option<String> {
    bundle
        .get("link")
        .and_then(Value::as_array)
        .and_then(|links| {
            links
                .iter()
                .find(|l| l.get("relation").and_then(Value::as_str) == Some("next"))
        })
        .and_then(|l| l.get("url").and_then(Value::as_str))
        .map(str::to_owned)
}

/// One entry of a history page: which resource, whether it was deleted, and when.
struct Version {
    fhir_id: String,
    deleted: bool,
    at: Option<DateTime<Utc>>,
    /// Position in the page; history pages are newest first.
    position: usize,
}

impl Version {
    /// Whether this version came after `other`: by `lastModified` when both have one and they
    /// differ, else by position (newest first, as FHIR history pages are ordered).
    fn after(&self, other: &Self) -> bool {
        match (self.at, other.at) {
            (Some(a), Some(b)) if a != b => a > b,
            _ => self.position < other.position,
        }
    }
}

/// The deletions of a history page, each id once. A deletion followed in the same page by a
/// newer version of the same id (the resource was created again) is not one: reporting it
/// would remove from the chart a resource the EHR has.
fn deletions(entries: &[Value], kind: ResourceKind) -> Vec<Change> {
    let versions: Vec<Version> = entries
        .iter()
        .enumerate()
        .filter_map(|(position, entry)| version(entry, kind, position))
        .collect();
    // Other versions by id, so each deletion is compared with its own resource's only.
    let mut written: HashMap<&str, Vec<&Version>> = HashMap::new();
    for v in versions.iter().filter(|v| !v.deleted) {
        written.entry(v.fhir_id.as_str()).or_default().push(v);
    }
    let mut reported: HashSet<&str> = HashSet::new();
    let mut changes = Vec::new();
    for deleted in versions.iter().filter(|v| v.deleted) {
        let recreated = written
            .get(deleted.fhir_id.as_str())
            .is_some_and(|later| later.iter().any(|v| v.after(deleted)));
        if recreated || !reported.insert(deleted.fhir_id.as_str()) {
            continue;
        }
        changes.push(Change::Deleted {
            kind,
            fhir_id: deleted.fhir_id.clone(),
        });
    }
    changes
}

/// A history entry of a `kind` resource. A deletion's id is read from the request URL or the
/// full URL; another version's from its resource first (a create's request URL has none).
fn version(entry: &Value, kind: ResourceKind, position: usize) -> Option<Version> {
    let deleted = entry.pointer("/request/method").and_then(Value::as_str) == Some("DELETE");
    let in_url = |pointer: &str| {
        entry
            .pointer(pointer)
            .and_then(Value::as_str)
            .and_then(|u| id_in(u, kind))
    };
    let from_resource = || {
        let resource = entry.get("resource")?;
        if resource.get("resourceType").and_then(Value::as_str) != Some(kind.as_str()) {
            return None;
        }
        resource
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| fields::id(id).ok())
    };
    let fhir_id = if deleted {
        in_url("/request/url").or_else(|| in_url("/fullUrl"))?
    } else {
        from_resource()
            .or_else(|| in_url("/request/url"))
            .or_else(|| in_url("/fullUrl"))
            .or_else(|| in_url("/response/location"))?
    };
    let time = |pointer: &str| {
        entry
            .pointer(pointer)
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let at = time("/response/lastModified").or_else(|| time("/resource/meta/lastUpdated"));
    Some(Version {
        fhir_id,
        deleted,
        at,
        position,
    })
}

/// The id in `.../{Type}/{id}` (optionally followed by `/_history/{v}`).
fn id_in(url: &str, kind: ResourceKind) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let at = parts.iter().rposition(|p| *p == kind.as_str())?;
    fields::id(parts.get(at + 1)?).ok()
}
