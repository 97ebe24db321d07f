//! The patient-facing FHIR R4 API's work: reading one resource and searching a type, for a
//! viewer who may open the chart (a patient their own and those shared with them to read;
//! staff any of the practice's, through [`chart_access`]). The resources are the records'
//! own ([`crate::records::fhir`]), with their ids. Every read is audited as the GraphQL API
//! audits the same read: `{record}.read` for one, `{record}.list` once per chart searched.
//! The HTTP side (routes, Bundles, OperationOutcomes) is the server's.

pub mod bulk;
mod capability;
mod load;
mod params;
mod scopes;
mod types;

use serde_json::Value;
use uuid::Uuid;

pub use capability::{OAuthUris, statement};
pub use params::{DEFAULT_COUNT, MAX_COUNT, Search};
pub use scopes::{Described, Interaction, Scopes, SystemScopes};
pub use types::{Param, ParamKind, ResourceType, US_CORE};

use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::Actor,
    chart_access::{self, OpenChart, Purpose, Viewer},
    entities::{
        allergy, appointment, condition, diagnostic_report, encounter, home_reading, immunization,
        medication_request, observation,
    },
    identity::Role,
    records::{self, fhir},
};
use sea_orm::{ColumnTrait, QueryFilter};

/// The most charts one search may name (each is opened, read and audited).
pub const MAX_CHARTS: usize = 20;

/// Who asks, and how their practice is named in Provenance.
#[derive(Clone, Debug)]
pub struct Asker<'a> {
    pub viewer: Viewer,
    pub actor: &'a Actor,
    pub practice: &'a str,
    /// Set when a SMART app asks for the viewer: only its chart, within its scopes.
    pub app: Option<AppAccess>,
    /// What the practice's policies let the viewer see beyond the chart's records, as the
    /// GraphQL API decides it: appointments (`appointments`, `own_appointments`) and
    /// readings recorded at home (`readings`, `own_readings`).
    pub sees: Sees,
}

/// See [`Asker::sees`].
#[derive(Clone, Copy, Debug)]
pub struct Sees {
    pub appointments: bool,
    pub home_readings: bool,
}

/// What a SMART app's token lets it read.
#[derive(Clone, Debug)]
pub struct AppAccess {
    pub patient: Uuid,
    pub scopes: Scopes,
}

impl Asker<'_> {
    /// The searches a resource of `ty` must match for this asker (one of them), or
    /// `INSUFFICIENT_SCOPE` when an app may not do `interaction` on `ty` at all.
    fn limits(&self, ty: ResourceType, interaction: Interaction) -> CoreResult<Vec<&Search>> {
        if ty == ResourceType::Appointment && !self.sees.appointments {
            return Err(CoreError::invalid(
                "type",
                "FORBIDDEN",
                "your role may not see appointments",
            ));
        }
        let Some(app) = &self.app else {
            return Ok(Vec::new());
        };
        app.scopes.permits(ty, interaction).ok_or_else(|| {
            CoreError::invalid(
                "scope",
                "INSUFFICIENT_SCOPE",
                format!(
                    "the app was not granted {} of {}",
                    match interaction {
                        Interaction::Read => "reading",
                        Interaction::Search => "searching",
                    },
                    ty.as_str()
                ),
            )
        })
    }

    /// Whether an app may see `resource` (a granular scope's search matches it).
    fn within(limits: &[&Search], resource: &serde_json::Value) -> bool {
        limits.is_empty() || limits.iter().any(|s| s.matches(resource))
    }
}

/// A page of a search's matches.
#[derive(Clone, Debug)]
pub struct Found {
    /// Matches in all.
    pub total: usize,
    /// This page's matches, newest first.
    pub matches: Vec<Value>,
    /// Their Provenance, when asked for.
    pub included: Vec<Value>,
}

/// Resource `id` of type `ty`, audited as `{record}.read`. An id that is not on a chart the
/// viewer may open (or that is hidden from them) is `NotFound`.
pub async fn read(
    tx: &TenantTx,
    asker: &Asker<'_>,
    ty: ResourceType,
    id: &str,
) -> CoreResult<Value> {
    let limits = asker.limits(ty, Interaction::Read)?;
    if ty == ResourceType::Provenance {
        let (kind, target) = fhir::provenance_target(id).ok_or(CoreError::NotFound)?;
        let kind = ResourceType::parse(kind)
            .filter(|k| *k != ResourceType::Provenance)
            .ok_or(CoreError::NotFound)?;
        // The record it is about must be readable too.
        let target_limits = asker.limits(kind, Interaction::Read)?;
        let (served, _) = find(tx, asker, kind, target, &target_limits).await?;
        return Ok(served.provenance(kind, asker.practice));
    }
    let id = Uuid::parse_str(id).map_err(|_| CoreError::NotFound)?;
    let (served, _) = find(tx, asker, ty, id, &limits).await?;
    Ok(served.resource)
}

/// Finds and audits one resource.
async fn find(
    tx: &TenantTx,
    asker: &Asker<'_>,
    ty: ResourceType,
    id: Uuid,
    limits: &[&Search],
) -> CoreResult<(load::Served, OpenChart)> {
    let chart_id = chart_of(tx, ty, id).await?.ok_or(CoreError::NotFound)?;
    if asker.app.as_ref().is_some_and(|a| a.patient != chart_id) {
        return Err(CoreError::NotFound);
    }
    let chart = open(tx, asker, chart_id).await?;
    let served = load::chart_resources(tx, &chart, ty, asker.sees)
        .await?
        .into_iter()
        .find(|s| s.id == id && Asker::within(limits, &s.resource))
        .ok_or(CoreError::NotFound)?;
    let action = format!("{}.read", ty.action());
    records::audit(tx, asker.actor, &chart, &action, ty.as_str(), Some(id)).await?;
    contacts_read(tx, asker, &chart, ty).await?;
    Ok((served, chart))
}

/// A search of type `ty` with the query string's `pairs`, audited as `{record}.list` on
/// each chart searched. Bad parameters are refused (`Invalid`, field `search`) before
/// anything is read.
pub async fn search(
    tx: &TenantTx,
    asker: &Asker<'_>,
    ty: ResourceType,
    pairs: &[(String, String)],
) -> CoreResult<Found> {
    if !ty.searchable() {
        return Err(CoreError::invalid(
            "search",
            "UNSUPPORTED_SEARCH",
            format!(
                "{} is read by id, or included in a search with _revinclude=Provenance:target",
                ty.as_str()
            ),
        ));
    }
    let limits = asker.limits(ty, Interaction::Search)?;
    let search = Search::parse(ty, pairs)?;
    let mut charts = Vec::new();
    for id in charts_to_search(tx, asker, ty, &search).await? {
        charts.push(open(tx, asker, id).await?);
    }
    let mut matches = Vec::new();
    for chart in &charts {
        let found = load::chart_resources(tx, chart, ty, asker.sees).await?;
        matches.extend(
            found
                .into_iter()
                .filter(|s| search.matches(&s.resource) && Asker::within(&limits, &s.resource)),
        );
        let action = format!("{}.list", ty.action());
        records::audit(tx, asker.actor, chart, &action, ty.as_str(), None).await?;
        contacts_read(tx, asker, chart, ty).await?;
    }
    let total = matches.len();
    let page: Vec<load::Served> = matches
        .into_iter()
        .skip(search.offset)
        .take(search.count)
        .collect();
    // An app not granted Provenance gets none along.
    let provenance = search.provenance
        && asker
            .limits(ResourceType::Provenance, Interaction::Read)
            .is_ok();
    let included = if provenance {
        page.iter()
            .map(|s| s.provenance(ty, asker.practice))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Found {
        total,
        matches: page.into_iter().map(|s| s.resource).collect(),
        included,
    })
}

/// The charts a search reads: those `patient` names (or a Patient search's `_id`s); else a
/// patient's own and those shared with them to read. Staff must name the chart.
async fn charts_to_search(
    tx: &TenantTx,
    asker: &Asker<'_>,
    ty: ResourceType,
    search: &Search,
) -> CoreResult<Vec<Uuid>> {
    let mut named = search.patients.clone();
    if ty == ResourceType::Patient {
        named.extend(search.ids());
    }
    // An app reads its one chart: another named is not found.
    if let Some(app) = &asker.app {
        if named.iter().any(|id| *id != app.patient) {
            return Err(CoreError::NotFound);
        }
        return Ok(vec![app.patient]);
    }
    if !named.is_empty() {
        named.sort_unstable();
        named.dedup();
        if named.len() > MAX_CHARTS {
            return Err(CoreError::invalid(
                "search",
                "INVALID_VALUE",
                format!("a search names at most {MAX_CHARTS} charts"),
            ));
        }
        return Ok(named);
    }
    if asker.viewer.role != Role::Patient {
        return Err(CoreError::invalid(
            "search",
            "PATIENT_REQUIRED",
            "name the chart with the patient parameter",
        ));
    }
    crate::proxies::charts_with(tx, asker.viewer.user_id, "read").await
}

/// A Patient carries the chart's emergency contacts: read, they are audited as GraphQL
/// audits reading them.
async fn contacts_read(
    tx: &TenantTx,
    asker: &Asker<'_>,
    chart: &OpenChart,
    ty: ResourceType,
) -> CoreResult<()> {
    if ty != ResourceType::Patient {
        return Ok(());
    }
    let action = "emergency_contact.list";
    records::audit(tx, asker.actor, chart, action, "EmergencyContact", None).await
}

async fn open(tx: &TenantTx, asker: &Asker<'_>, chart: Uuid) -> CoreResult<OpenChart> {
    chart_access::open(
        tx,
        &asker.viewer,
        PatientId::from_uuid(chart),
        Purpose::Read,
    )
    .await
}

/// The chart a record of type `ty` is on.
async fn chart_of(tx: &TenantTx, ty: ResourceType, id: Uuid) -> CoreResult<Option<Uuid>> {
    async fn of<E: records::ChartRecord>(tx: &TenantTx, id: Uuid) -> CoreResult<Option<Uuid>> {
        Ok(tx
            .find::<E>()
            .filter(E::id_column().eq(id))
            .one(tx.conn())
            .await?
            .map(|m| E::patient_of(&m)))
    }
    Ok(match ty {
        ResourceType::Patient => Some(id),
        ResourceType::AllergyIntolerance => of::<allergy::Entity>(tx, id).await?,
        ResourceType::Condition => of::<condition::Entity>(tx, id).await?,
        ResourceType::Observation => match of::<observation::Entity>(tx, id).await? {
            Some(chart) => Some(chart),
            None => tx
                .find::<home_reading::Entity>()
                .filter(home_reading::Column::Id.eq(id))
                .one(tx.conn())
                .await?
                .map(|r| r.patient_id),
        },
        ResourceType::DiagnosticReport => of::<diagnostic_report::Entity>(tx, id).await?,
        ResourceType::MedicationRequest => of::<medication_request::Entity>(tx, id).await?,
        ResourceType::Immunization => of::<immunization::Entity>(tx, id).await?,
        ResourceType::Encounter | ResourceType::DocumentReference => {
            of::<encounter::Entity>(tx, id).await?
        }
        ResourceType::Appointment => tx
            .find::<appointment::Entity>()
            .filter(appointment::Column::Id.eq(id))
            .one(tx.conn())
            .await?
            .map(|a| a.patient_id),
        ResourceType::Provenance => None,
    })
}
