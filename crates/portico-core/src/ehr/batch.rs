//! A page of EHR changes applied in sets. Before the page's resources are looked at, the id
//! map entries of every resource it names (its own and those it refers to) are read in one
//! query a type; lookups then answer from memory, and links set or removed by the page are
//! kept there too. The chart rows of the plain record types (visits, results, reports,
//! prescriptions, allergies, conditions, immunizations), visit summaries, report results and
//! the id map's entries are held until the page ends and written table by table, in
//! multi-row statements (`INSERT ... ON CONFLICT DO UPDATE`, chunked under the databases'
//! bind-parameter limits), inside the tenant's transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, Iterable, QueryFilter,
    sea_query::OnConflict,
};
use uuid::Uuid;

use super::{
    links,
    model::{Change, Inbound, ResourceKind},
};
use crate::{
    CoreResult, TenantTx,
    entities::{
        allergy, condition, diagnostic_report,
        ehr_link::{self, Model as Link},
        encounter, immunization, medication_request, observation, provider,
    },
    sql_params::Params,
};

/// Bind parameters one statement may carry: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 30_000;

/// Ids per `IN (...)` list.
const MAX_IN: usize = 1_000;

/// Rows of one table waiting to be written, one per id (a later version of a row in the
/// same page replaces the earlier one, so one statement never touches a row twice).
struct Rows<A> {
    rows: Vec<A>,
    at: HashMap<Uuid, usize>,
}

impl<A> Default for Rows<A> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            at: HashMap::new(),
        }
    }
}

impl<A> Rows<A> {
    fn push(&mut self, id: Uuid, row: A) {
        match self.at.get(&id) {
            Some(&i) => self.rows[i] = row,
            None => {
                self.at.insert(id, self.rows.len());
                self.rows.push(row);
            }
        }
    }

    fn take(&mut self) -> Vec<A> {
        self.at.clear();
        std::mem::take(&mut self.rows)
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Writes waiting for the page's end.
#[derive(Default)]
struct Pending {
    encounters: Rows<encounter::ActiveModel>,
    observations: Rows<observation::ActiveModel>,
    reports: Rows<diagnostic_report::ActiveModel>,
    medications: Rows<medication_request::ActiveModel>,
    allergies: Rows<allergy::ActiveModel>,
    conditions: Rows<condition::ActiveModel>,
    immunizations: Rows<immunization::ActiveModel>,
    /// A report's results: (report, its chart, the observations).
    results: Vec<(Uuid, Uuid, Vec<Uuid>)>,
    /// A visit's summary (`None` clears it), and when.
    summaries: Rows<(Uuid, Option<String>, DateTime<Utc>)>,
    links: HashMap<(ResourceKind, String), ehr_link::ActiveModel>,
    unlinked: HashSet<(ResourceKind, String)>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.encounters.is_empty()
            && self.observations.is_empty()
            && self.reports.is_empty()
            && self.medications.is_empty()
            && self.allergies.is_empty()
            && self.conditions.is_empty()
            && self.immunizations.is_empty()
            && self.results.is_empty()
            && self.summaries.is_empty()
            && self.links.is_empty()
            && self.unlinked.is_empty()
    }
}

/// A chart row of a plain record type, ready to be written.
pub(super) enum Row {
    Encounter(encounter::ActiveModel),
    Observation(observation::ActiveModel),
    Report(diagnostic_report::ActiveModel),
    Medication(medication_request::ActiveModel),
    Allergy(allergy::ActiveModel),
    Condition(condition::ActiveModel),
    Immunization(immunization::ActiveModel),
}

/// What one page's apply knows and holds.
#[derive(Default)]
pub(super) struct Page {
    /// Id map entries by type and FHIR id; `None`: known not to be linked.
    links: HashMap<(ResourceKind, String), Option<Link>>,
    /// Providers' display names by id.
    names: HashMap<Uuid, Option<String>>,
    pending: Pending,
}

impl Page {
    /// Reads the id map entries of every resource `changes` names, one query per type (per
    /// thousand ids), and the names of the providers they refer to.
    pub(super) async fn prefetch(tx: &TenantTx, changes: &[Change]) -> CoreResult<Self> {
        let mut named: Vec<(ResourceKind, &str)> = Vec::new();
        for change in changes {
            match change {
                Change::Upsert(mapped) => {
                    named.push((mapped.kind(), mapped.fhir_id.as_str()));
                    if let Some(patient) = mapped.record.patient() {
                        named.push((ResourceKind::Patient, patient));
                    }
                    named.extend(references(&mapped.record));
                }
                Change::Deleted { kind, fhir_id } => named.push((*kind, fhir_id.as_str())),
                Change::Rejected {
                    kind,
                    fhir_id: Some(fhir_id),
                    ..
                } => named.push((*kind, fhir_id.as_str())),
                Change::Rejected { .. } => {}
            }
        }
        let mut wanted: HashMap<ResourceKind, HashSet<&str>> = HashMap::new();
        for (kind, id) in named {
            wanted.entry(kind).or_default().insert(id);
        }
        let mut page = Self::default();
        for (kind, ids) in wanted {
            let ids: Vec<&str> = ids.into_iter().collect();
            for chunk in ids.chunks(MAX_IN) {
                for id in chunk {
                    page.links.insert((kind, (*id).to_owned()), None);
                }
                let found = tx
                    .find::<ehr_link::Entity>()
                    .filter(ehr_link::Column::ResourceType.eq(kind.as_str()))
                    .filter(ehr_link::Column::FhirId.is_in(chunk.iter().copied()))
                    .all(tx.conn())
                    .await?;
                for link in found {
                    page.links.insert((kind, link.fhir_id.clone()), Some(link));
                }
            }
        }
        let providers: Vec<Uuid> = page
            .links
            .iter()
            .filter(|((kind, _), _)| *kind == ResourceKind::Practitioner)
            .filter_map(|(_, link)| link.as_ref().map(|l| l.local_id))
            .collect();
        for chunk in providers.chunks(MAX_IN) {
            for id in chunk {
                page.names.insert(*id, None);
            }
            let found = tx
                .find::<provider::Entity>()
                .filter(provider::Column::Id.is_in(chunk.iter().copied()))
                .all(tx.conn())
                .await?;
            for p in found {
                page.names.insert(p.id, Some(p.display_name));
            }
        }
        Ok(page)
    }

    /// The id map entry of `kind/fhir_id`.
    pub(super) async fn link(
        &mut self,
        tx: &TenantTx,
        kind: ResourceKind,
        fhir_id: &str,
    ) -> CoreResult<Option<Link>> {
        let key = (kind, fhir_id.to_owned());
        if let Some(known) = self.links.get(&key) {
            return Ok(known.clone());
        }
        let found = links::by_fhir(tx, kind, fhir_id).await?;
        self.links.insert(key, found.clone());
        Ok(found)
    }

    /// The local id of `kind/fhir_id`, if it was pulled.
    pub(super) async fn local(
        &mut self,
        tx: &TenantTx,
        kind: ResourceKind,
        fhir_id: &str,
    ) -> CoreResult<Option<Uuid>> {
        Ok(self.link(tx, kind, fhir_id).await?.map(|l| l.local_id))
    }

    /// Links `kind/fhir_id` to `local_id` (or moves the link), at `version_id`; written
    /// with the page.
    pub(super) async fn set_link(
        &mut self,
        tx: &TenantTx,
        kind: ResourceKind,
        fhir_id: &str,
        local_id: Uuid,
        version_id: Option<&str>,
        patient_id: Option<Uuid>,
    ) -> CoreResult<()> {
        let current = self.link(tx, kind, fhir_id).await?;
        let link = Link {
            tenant_id: tx.tenant_id().as_uuid(),
            id: current.map_or_else(Uuid::now_v7, |l| l.id),
            resource_type: kind.as_str().to_owned(),
            fhir_id: fhir_id.to_owned(),
            local_id,
            version_id: version_id.map(str::to_owned),
            patient_id,
            updated_at: Utc::now(),
        };
        let key = (kind, fhir_id.to_owned());
        self.pending.unlinked.remove(&key);
        self.pending
            .links
            .insert(key.clone(), ehr_link::ActiveModel::from(link.clone()));
        self.links.insert(key, Some(link));
        Ok(())
    }

    /// Forgets `kind/fhir_id`'s link; written with the page.
    pub(super) fn remove_link(&mut self, kind: ResourceKind, fhir_id: &str) {
        let key = (kind, fhir_id.to_owned());
        self.pending.links.remove(&key);
        self.pending.unlinked.insert(key.clone());
        self.links.insert(key, None);
    }

    /// Drops the writes not yet made and what was learnt with them (a resource undone
    /// alone): the next lookup of `kind/fhir_id` reads the database.
    pub(super) fn discard(&mut self, kind: ResourceKind, fhir_id: &str) {
        self.pending = Pending::default();
        self.names.clear();
        self.links.remove(&(kind, fhir_id.to_owned()));
    }

    /// A provider's display name.
    pub(super) async fn provider_name(
        &mut self,
        tx: &TenantTx,
        id: Uuid,
    ) -> CoreResult<Option<String>> {
        if let Some(known) = self.names.get(&id) {
            return Ok(known.clone());
        }
        let found = tx
            .find::<provider::Entity>()
            .filter(provider::Column::Id.eq(id))
            .one(tx.conn())
            .await?
            .map(|p| p.display_name);
        self.names.insert(id, found.clone());
        Ok(found)
    }

    /// A provider's name changed in this page.
    pub(super) fn named(&mut self, id: Uuid, name: &str) {
        self.names.insert(id, Some(name.to_owned()));
    }

    /// A chart row to write (inserted, or updated when its id exists).
    pub(super) fn save(&mut self, id: Uuid, row: Row) {
        match row {
            Row::Encounter(r) => self.pending.encounters.push(id, r),
            Row::Observation(r) => self.pending.observations.push(id, r),
            Row::Report(r) => self.pending.reports.push(id, r),
            Row::Medication(r) => self.pending.medications.push(id, r),
            Row::Allergy(r) => self.pending.allergies.push(id, r),
            Row::Condition(r) => self.pending.conditions.push(id, r),
            Row::Immunization(r) => self.pending.immunizations.push(id, r),
        }
    }

    /// A report's results point at it (only those in its chart).
    pub(super) fn results(&mut self, report: Uuid, patient: Uuid, results: Vec<Uuid>) {
        if !results.is_empty() {
            self.pending.results.push((report, patient, results));
        }
    }

    /// A visit's summary set (or cleared).
    pub(super) fn summary(&mut self, encounter: Uuid, summary: Option<String>, at: DateTime<Utc>) {
        self.pending
            .summaries
            .push(encounter, (encounter, summary, at));
    }

    /// Writes what waits, table by table.
    pub(super) async fn flush(&mut self, tx: &TenantTx) -> CoreResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let p = &mut self.pending;
        // Columns a later version of a record never overwrites: its creation time, and
        // what only a new record takes (a visit's summary, a result's report, whether a
        // prescription is controlled).
        upsert::<encounter::ActiveModel>(
            tx,
            p.encounters.take(),
            &[
                encounter::Column::TenantId.as_str(),
                encounter::Column::Id.as_str(),
            ],
            &[
                encounter::Column::CreatedAt.as_str(),
                encounter::Column::Summary.as_str(),
            ],
        )
        .await?;
        upsert::<observation::ActiveModel>(
            tx,
            p.observations.take(),
            &[
                observation::Column::TenantId.as_str(),
                observation::Column::Id.as_str(),
            ],
            &[
                observation::Column::CreatedAt.as_str(),
                observation::Column::ReportId.as_str(),
            ],
        )
        .await?;
        upsert::<diagnostic_report::ActiveModel>(
            tx,
            p.reports.take(),
            &[
                diagnostic_report::Column::TenantId.as_str(),
                diagnostic_report::Column::Id.as_str(),
            ],
            &[diagnostic_report::Column::CreatedAt.as_str()],
        )
        .await?;
        upsert::<medication_request::ActiveModel>(
            tx,
            p.medications.take(),
            &[
                medication_request::Column::TenantId.as_str(),
                medication_request::Column::Id.as_str(),
            ],
            &[
                medication_request::Column::CreatedAt.as_str(),
                medication_request::Column::Controlled.as_str(),
            ],
        )
        .await?;
        upsert::<allergy::ActiveModel>(
            tx,
            p.allergies.take(),
            &[
                allergy::Column::TenantId.as_str(),
                allergy::Column::Id.as_str(),
            ],
            &[allergy::Column::CreatedAt.as_str()],
        )
        .await?;
        upsert::<condition::ActiveModel>(
            tx,
            p.conditions.take(),
            &[
                condition::Column::TenantId.as_str(),
                condition::Column::Id.as_str(),
            ],
            &[condition::Column::CreatedAt.as_str()],
        )
        .await?;
        upsert::<immunization::ActiveModel>(
            tx,
            p.immunizations.take(),
            &[
                immunization::Column::TenantId.as_str(),
                immunization::Column::Id.as_str(),
            ],
            &[immunization::Column::CreatedAt.as_str()],
        )
        .await?;
        write_results(tx, std::mem::take(&mut p.results)).await?;
        write_summaries(tx, p.summaries.take()).await?;
        let unlinked: Vec<(ResourceKind, String)> = p.unlinked.drain().collect();
        let mut by_kind: HashMap<ResourceKind, Vec<String>> = HashMap::new();
        for (kind, id) in unlinked {
            by_kind.entry(kind).or_default().push(id);
        }
        for (kind, ids) in by_kind {
            for chunk in ids.chunks(MAX_IN) {
                tx.delete::<ehr_link::Entity>()
                    .filter(ehr_link::Column::ResourceType.eq(kind.as_str()))
                    .filter(ehr_link::Column::FhirId.is_in(chunk.iter().map(String::as_str)))
                    .exec(tx.conn())
                    .await?;
            }
        }
        let set: Vec<ehr_link::ActiveModel> = p.links.drain().map(|(_, l)| l).collect();
        upsert::<ehr_link::ActiveModel>(
            tx,
            set,
            &[
                ehr_link::Column::TenantId.as_str(),
                ehr_link::Column::ResourceType.as_str(),
                ehr_link::Column::FhirId.as_str(),
            ],
            &[ehr_link::Column::Id.as_str()],
        )
        .await?;
        Ok(())
    }
}

/// The resources a record refers to by FHIR id (its chart aside).
fn references(record: &Inbound) -> Vec<(ResourceKind, &str)> {
    let mut out = Vec::new();
    match record {
        Inbound::Encounter {
            practitioner: Some(p),
            ..
        }
        | Inbound::MedicationRequest {
            prescriber: Some(p),
            ..
        } => out.push((ResourceKind::Practitioner, p.as_str())),
        Inbound::Appointment(a) => {
            if let Some(p) = &a.practitioner {
                out.push((ResourceKind::Practitioner, p.as_str()));
            }
            if let Some(l) = &a.location {
                out.push((ResourceKind::Location, l.as_str()));
            }
        }
        Inbound::Observation {
            encounter: Some(e), ..
        } => out.push((ResourceKind::Encounter, e.as_str())),
        Inbound::DiagnosticReport {
            encounter, results, ..
        } => {
            if let Some(e) = encounter {
                out.push((ResourceKind::Encounter, e.as_str()));
            }
            out.extend(
                results
                    .iter()
                    .map(|r| (ResourceKind::Observation, r.as_str())),
            );
        }
        Inbound::VisitSummary { encounter, .. } => {
            out.push((ResourceKind::Encounter, encounter.as_str()));
        }
        _ => {}
    }
    out
}

/// `INSERT ... ON CONFLICT (conflict) DO UPDATE` of every column but the conflict's and
/// `keep`, in statements of as many rows as the parameter limit allows.
pub(super) async fn upsert<A>(
    tx: &TenantTx,
    rows: Vec<A>,
    conflict: &[&str],
    keep: &[&str],
) -> CoreResult<()>
where
    A: ActiveModelTrait + Send,
{
    if rows.is_empty() {
        return Ok(());
    }
    let columns: Vec<<A::Entity as EntityTrait>::Column> =
        <<A::Entity as EntityTrait>::Column as Iterable>::iter().collect();
    let updated: Vec<_> = columns
        .iter()
        .copied()
        .filter(|c| !conflict.contains(&c.as_str()) && !keep.contains(&c.as_str()))
        .collect();
    let mut on_conflict = OnConflict::columns(
        columns
            .iter()
            .copied()
            .filter(|c| conflict.contains(&c.as_str())),
    );
    // Every column is the key (a table of keys only): a row already there is the row.
    if updated.is_empty() {
        on_conflict.do_nothing();
    } else {
        on_conflict.update_columns(updated);
    }
    let per_statement = (MAX_PARAMS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .on_conflict(on_conflict.clone())
            .exec_without_returning(tx.conn())
            .await?;
    }
    Ok(())
}

/// Points results at their reports, each result only within its report's chart; a result
/// two reports name goes to the later. One `UPDATE ... FROM` a `VALUES` list of (result,
/// chart, report) per chunk: the database joins the pairs by key, where a `CASE` of one
/// branch a report tested every result against every report (quadratic in the page).
async fn write_results(tx: &TenantTx, results: Vec<(Uuid, Uuid, Vec<Uuid>)>) -> CoreResult<()> {
    let mut report_of: HashMap<Uuid, (Uuid, Uuid)> = HashMap::new();
    for (report, patient, ids) in results {
        for id in ids {
            report_of.insert(id, (patient, report));
        }
    }
    let rows: Vec<[Uuid; 3]> = report_of
        .into_iter()
        .map(|(id, (patient, report))| [id, patient, report])
        .collect();
    for chunk in rows.chunks(MAX_PARAMS / 3 - 1) {
        let mut params = Params::new(tx.conn().get_database_backend());
        let values: Vec<String> = chunk
            .iter()
            .map(|[id, patient, report]| {
                params.row([
                    ((*id).into(), "::uuid"),
                    ((*patient).into(), "::uuid"),
                    ((*report).into(), "::uuid"),
                ])
            })
            .collect();
        let tenant = params.push(tx.tenant_id().as_uuid(), "::uuid");
        let sql = format!(
            "WITH v (id, patient_id, report_id) AS (VALUES {}) \
             UPDATE observations SET report_id = v.report_id FROM v \
             WHERE observations.tenant_id = {tenant} AND observations.id = v.id \
             AND observations.patient_id = v.patient_id",
            values.join(", ")
        );
        tx.conn().execute_raw(params.statement(sql)).await?;
    }
    Ok(())
}

/// Sets visits' summaries: one `UPDATE ... FROM` a `VALUES` list of (visit, summary, time)
/// per chunk, as `write_results` does.
async fn write_summaries(
    tx: &TenantTx,
    summaries: Vec<(Uuid, Option<String>, DateTime<Utc>)>,
) -> CoreResult<()> {
    for chunk in summaries.chunks(MAX_PARAMS / 3 - 1) {
        let mut params = Params::new(tx.conn().get_database_backend());
        let values: Vec<String> = chunk
            .iter()
            .map(|(id, text, at)| {
                params.row([
                    ((*id).into(), "::uuid"),
                    (text.clone().into(), "::text"),
                    ((*at).into(), "::timestamptz"),
                ])
            })
            .collect();
        let tenant = params.push(tx.tenant_id().as_uuid(), "::uuid");
        let sql = format!(
            "WITH v (id, summary, updated_at) AS (VALUES {}) \
             UPDATE encounters SET summary = v.summary, updated_at = v.updated_at FROM v \
             WHERE encounters.tenant_id = {tenant} AND encounters.id = v.id",
            values.join(", ")
        );
        tx.conn().execute_raw(params.statement(sql)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_row_of_the_same_id_replaces_the_earlier() {
        let mut rows: Rows<u32> = Rows::default();
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        rows.push(a, 1);
        rows.push(b, 2);
        rows.push(a, 3);
        assert_eq!(rows.take(), vec![3, 2]);
        assert!(rows.is_empty());
    }
}
