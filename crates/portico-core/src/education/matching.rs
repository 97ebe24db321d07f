//! "Learn more": the active resources about the codes of a patient's problems, results and
//! medications, in the patient's language (their chart's preferred language), or in English
//! for a code nothing is written about in theirs. The portal asks with the codes of the
//! records it shows; the caller opens the chart (own, a caregiver's `read` grant, or staff), whose
//! language decides, and the lookup is audited as a read of that chart.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{ACTIVE, FALLBACK_LANGUAGE, codes::System, library};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::Actor,
    chart_access::OpenChart,
    entities::{education_resource, education_resource_code},
    notify::Language,
};

/// Codes one lookup may ask about, at most (a page of records).
pub const MAX_ASKED: usize = 200;

/// The resources found for one asked code.
#[derive(Clone, Debug)]
pub struct Match {
    /// As asked.
    pub system: String,
    pub code: String,
    /// Title order.
    pub resources: Vec<education_resource::Model>,
}

/// For each asked `(system, code)` that any active resource is about, those resources in
/// the language of `patient`'s chart, else in English. A malformed code matches nothing (a
/// record's code may be of a local system); an unknown system is refused.
pub async fn for_chart(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    asked: &[(String, String)],
) -> CoreResult<Vec<Match>> {
    if asked.len() > MAX_ASKED {
        return Err(CoreError::invalid(
            "codes",
            "TOO_MANY_CODES",
            format!("ask about at most {MAX_ASKED} codes at once"),
        ));
    }
    let mut keys: Vec<(usize, System, Vec<String>)> = Vec::new();
    for (i, (system, code)) in asked.iter().enumerate() {
        let system = System::parse(system.trim()).ok_or_else(|| {
            CoreError::invalid(
                "codes",
                "INVALID_CODE_SYSTEM",
                format!(
                    "code {}: the system is icd10, snomed, loinc or rxnorm",
                    i + 1
                ),
            )
        })?;
        keys.push((i, system, system.lookup_keys(code)));
    }
    let language = Language::of(chart.chart.preferred_language.as_deref()).tag();
    crate::records::audit(tx, actor, chart, "education.match", "Patient", None).await?;

    // Every (system, key) → resource ids, in one query per system.
    let mut by_key: HashMap<(System, String), Vec<Uuid>> = HashMap::new();
    for system in System::ALL {
        let wanted: Vec<String> = keys
            .iter()
            .filter(|(_, s, _)| *s == system)
            .flat_map(|(_, _, k)| k.iter().cloned())
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let rows = tx
            .find::<education_resource_code::Entity>()
            .filter(education_resource_code::Column::System.eq(system.as_str()))
            .filter(education_resource_code::Column::Code.is_in(wanted))
            .all(tx.conn())
            .await?;
        for row in rows {
            by_key
                .entry((system, row.code))
                .or_default()
                .push(row.resource_id);
        }
    }
    let ids: Vec<Uuid> = by_key.values().flatten().copied().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let resources: BTreeMap<Uuid, education_resource::Model> = tx
        .find::<education_resource::Entity>()
        .filter(education_resource::Column::Id.is_in(ids))
        .filter(education_resource::Column::Status.eq(ACTIVE))
        .order_by_asc(education_resource::Column::Title)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();

    let mut out = Vec::new();
    for (i, system, lookup) in keys {
        let mut found: Vec<&education_resource::Model> = lookup
            .iter()
            .filter_map(|k| by_key.get(&(system, k.clone())))
            .flatten()
            .filter_map(|id| resources.get(id))
            .collect();
        found.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
        found.dedup_by_key(|r| r.id);
        let in_theirs: Vec<_> = found.iter().filter(|r| r.language == language).collect();
        let chosen: Vec<education_resource::Model> = if in_theirs.is_empty() {
            found
                .iter()
                .filter(|r| r.language == FALLBACK_LANGUAGE)
                .map(|r| (*r).clone())
                .collect()
        } else {
            in_theirs.into_iter().map(|r| (*r).clone()).collect()
        };
        if chosen.is_empty() {
            continue;
        }
        let (system_asked, code_asked) = &asked[i];
        out.push(Match {
            system: system_asked.trim().to_owned(),
            code: code_asked.clone(),
            resources: chosen,
        });
    }
    Ok(out)
}

/// One active resource as the portal opens it ("Learn more", a message's card). A resource
/// is practice content, not a record of anyone's: reading it is not a chart read.
pub async fn open(tx: &TenantTx, id: Uuid) -> CoreResult<education_resource::Model> {
    library::find_active(tx, id).await
}
