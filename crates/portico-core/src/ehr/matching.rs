//! Matching an EHR patient to a Portico chart: by the id map first, then by an identifier
//! equal to a chart's MRN (with the birth date agreeing), then by name and birth date (with
//! an email, phone or postal code agreeing). One sure match is linked; anything less sure
//! goes to the staff review queue and the patient's records wait; none creates a chart (without a
//! portal account: the practice invites the patient as usual), unless charts of the same
//! name and birth date are linked to other EHR patients already: a second registration of
//! one person is reviewed by staff, never made a second chart silently. A linked chart takes the
//! EHR's demographics, which is the record of truth for them.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, IdenStatic, QueryFilter, Set, TryIntoModel};
use uuid::Uuid;

use super::{
    batch::Page,
    ingest::Applied,
    model::{EhrPatient, ResourceKind},
    reviews,
};
use crate::{
    CoreResult, TenantTx,
    audit::Actor,
    entities::{ehr_link, patient, patient_search_term as term},
    patients::{self, NewPatient},
};

/// How an EHR patient matches Portico's charts.
#[derive(Debug, PartialEq, Eq)]
pub enum Candidates {
    /// One chart, matched well enough to link without a person.
    Sure(Uuid),
    /// Charts it may be: staff decide.
    Unsure(Vec<Uuid>),
    /// No chart free to take it, but charts of the same name and birth date are linked to
    /// other EHR patients already: a second registration of the same person, perhaps.
    /// Staff decide before a second chart is made.
    Duplicate(Vec<Uuid>),
    None,
}

/// The practice's MRN system, for EHRs that do not type their MRN identifier. No
/// connection sets one yet (`EhrPatient::mrn` takes it once one does): an EHR that types
/// no identifier gives charts no MRN, and is matched by its untyped identifiers.
const MRN_SYSTEM: Option<&str> = None;

/// The charts an EHR patient (not linked yet) may be. An identifier equal to a chart's MRN
/// links only when the birth date agrees too (an insurance or other number may collide
/// with an MRN); name and birth date alone link only when an email, phone or postal code
/// agrees as well. Anything less certain goes to staff.
pub async fn candidates(tx: &TenantTx, p: &EhrPatient) -> CoreResult<Candidates> {
    let values = p.mrn_values(MRN_SYSTEM);
    if !values.is_empty() {
        let found = tx
            .find::<patient::Entity>()
            .filter(patient::Column::Mrn.is_in(values))
            .all(tx.conn())
            .await?;
        let by_mrn = unlinked(tx, found).await?;
        match by_mrn.as_slice() {
            [] => {}
            [one] if one.birth_date == p.birth_date => return Ok(Candidates::Sure(one.id)),
            some => return Ok(Candidates::Unsure(some.iter().map(|c| c.id).collect())),
        }
    }
    let same_birth = tx
        .find::<patient::Entity>()
        .filter(patient::Column::BirthDate.eq(p.birth_date))
        .all(tx.conn())
        .await?;
    let same_name: Vec<patient::Model> = same_birth
        .into_iter()
        .filter(|c| {
            c.given_name
                .trim()
                .eq_ignore_ascii_case(p.given_name.trim())
                && c.family_name
                    .trim()
                    .eq_ignore_ascii_case(p.family_name.trim())
        })
        .collect();
    let linked: Vec<Uuid> = same_name.iter().map(|c| c.id).collect();
    let by_name = unlinked(tx, same_name).await?;
    Ok(match by_name.as_slice() {
        [] if linked.is_empty() => Candidates::None,
        [] => Candidates::Duplicate(linked),
        [one] if contact_agrees(one, p) => Candidates::Sure(one.id),
        some => Candidates::Unsure(some.iter().map(|c| c.id).collect()),
    })
}

fn contact_agrees(chart: &patient::Model, p: &EhrPatient) -> bool {
    fn same(a: &Option<String>, b: &Option<String>, norm: fn(&str) -> String) -> bool {
        matches!((a, b), (Some(a), Some(b)) if !norm(a).is_empty() && norm(a) == norm(b))
    }
    let lower = |v: &str| v.trim().to_ascii_lowercase();
    let digits = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
    same(&chart.email, &p.email, lower)
        || same(&chart.phone, &p.phone, digits)
        || same(&chart.postal_code, &p.postal_code, lower)
}

/// Charts not linked to another EHR patient already.
async fn unlinked(tx: &TenantTx, found: Vec<patient::Model>) -> CoreResult<Vec<patient::Model>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = found.iter().map(|p| p.id).collect();
    let linked: Vec<Uuid> = tx
        .find::<ehr_link::Entity>()
        .filter(ehr_link::Column::ResourceType.eq(ResourceKind::Patient.as_str()))
        .filter(ehr_link::Column::LocalId.is_in(ids))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|l| l.local_id)
        .collect();
    Ok(found
        .into_iter()
        .filter(|p| !linked.contains(&p.id))
        .collect())
}

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    fhir_id: &str,
    version: Option<&str>,
    p: &EhrPatient,
) -> CoreResult<Applied> {
    let link = page.link(tx, ResourceKind::Patient, fhir_id).await?;
    let mut created = None;
    let local = match &link {
        Some(link) => link.local_id,
        None => {
            if !p.active && reviews::close_merged(tx, fhir_id).await? {
                return Ok(Applied::Unchanged);
            }
            for kind in [reviews::PATIENT_MATCH, reviews::POSSIBLE_DUPLICATE] {
                if reviews::open_for(tx, kind, ResourceKind::Patient, fhir_id)
                    .await?
                    .is_some()
                {
                    return Ok(Applied::Waiting);
                }
            }
            let found = if reviews::decided_new(tx, fhir_id).await? {
                Candidates::None
            } else {
                candidates(tx, p).await?
            };
            match found {
                Candidates::Sure(one) => one,
                // An inactive record (one the EHR merged into another, say) makes no chart.
                Candidates::None | Candidates::Duplicate(_) if !p.active => {
                    return Ok(Applied::Unchanged);
                }
                Candidates::None => {
                    let chart = create(tx, p).await?;
                    let id = chart.id;
                    created = Some(chart);
                    id
                }
                Candidates::Unsure(some) => {
                    reviews::open_match(tx, fhir_id, &some).await?;
                    return Ok(Applied::Waiting);
                }
                Candidates::Duplicate(charts) => {
                    reviews::open_duplicate(tx, fhir_id, &charts).await?;
                    return Ok(Applied::Waiting);
                }
            }
        }
    };
    // A contact change made in Portico and not yet written back wins until it is: taking
    // the EHR's record now would undo it, and its version check would then pass over the
    // EHR's own change instead of flagging the conflict. A chart staff just linked has no
    // version yet: the version is taken (the waiting write is checked against it), the
    // details are not.
    if super::writeback::demographics_pending(tx, local).await? {
        if link.as_ref().is_some_and(|l| l.version_id.is_none()) {
            page.set_link(
                tx,
                ResourceKind::Patient,
                fhir_id,
                local,
                version,
                Some(local),
            )
            .await?;
        }
        return Ok(Applied::Unchanged);
    }
    let found = match created {
        Some(chart) => Some(chart),
        None => chart(tx, local).await?,
    };
    if let Some(found) = found {
        update(tx, found, p).await?;
    }
    page.set_link(
        tx,
        ResourceKind::Patient,
        fhir_id,
        local,
        version,
        Some(local),
    )
    .await?;
    Ok(Applied::Changed)
}

/// A new chart for an EHR patient no chart matches.
pub(super) async fn create(tx: &TenantTx, p: &EhrPatient) -> CoreResult<patient::Model> {
    // The EHR's MRN (the identifier typed `MR`, or in the practice's MRN system) becomes
    // the chart's, unless a chart already has it (then the chart goes without; staff can
    // set one). No MRN rather than some other number.
    let mrn = match p.mrn(MRN_SYSTEM) {
        Some(id) => {
            let taken = tx
                .find::<patient::Entity>()
                .filter(patient::Column::Mrn.eq(id.value.as_str()))
                .one(tx.conn())
                .await?
                .is_some();
            (!taken).then(|| id.value.clone())
        }
        None => None,
    };
    patients::create(
        tx,
        &Actor::system(),
        NewPatient {
            mrn,
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            birth_date: Some(p.birth_date),
            gender: p.gender.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
        },
    )
    .await
}

/// A chart by id.
pub(super) async fn chart(tx: &TenantTx, local: Uuid) -> CoreResult<Option<patient::Model>> {
    Ok(tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(local))
        .one(tx.conn())
        .await?)
}

/// Takes the EHR's demographics into a linked chart. An address the EHR changed clears its
/// bounce mark, as a patient's own change does.
pub(super) async fn update(tx: &TenantTx, found: patient::Model, p: &EhrPatient) -> CoreResult<()> {
    let updated = updated(&found, p)?.update(tx.conn()).await?;
    crate::patient_search::index_names(tx, &updated).await?;
    Ok(())
}

/// A linked chart with the EHR's demographics taken in (the changed columns `Set`).
fn updated(found: &patient::Model, p: &EhrPatient) -> CoreResult<patient::ActiveModel> {
    let mut active: patient::ActiveModel = found.clone().into();
    active.given_name = Set(crate::records::required("givenName", &p.given_name, 100)?);
    active.given_names = Set(crate::records::detail::write(&p.given_names)?);
    active.family_name = Set(crate::records::required("familyName", &p.family_name, 100)?);
    active.birth_date = Set(p.birth_date);
    if !patients::GENDERS.contains(&p.gender.as_str()) {
        return Err(crate::CoreError::invalid(
            "gender",
            "EHR_UNSUPPORTED_GENDER",
            "not a gender Portico keeps",
        ));
    }
    active.gender = Set(p.gender.clone());
    let email = p.email.as_ref().map(|e| e.trim().to_ascii_lowercase());
    if email.is_some() && email != found.email {
        active.email = Set(email);
        active.email_bounced_at = Set(None);
    }
    if p.phone.is_some() && p.phone != found.phone {
        active.phone = Set(p.phone.clone());
        active.phone_bounced_at = Set(None);
    }
    for (value, column) in [
        (&p.address_line, &mut active.address_line),
        (&p.city, &mut active.city),
        (&p.region, &mut active.region),
        (&p.postal_code, &mut active.postal_code),
        (&p.country, &mut active.country),
    ] {
        if value.is_some() {
            *column = Set(value.clone());
        }
    }
    active.updated_at = Set(chrono::Utc::now());
    Ok(active)
}

/// Matching a page of EHR patients in sets: the charts they may be (linked to them, by MRN,
/// by birth date), which charts are linked already, their reviews, the contact changes
/// waiting to be written back and the charts' search terms are read before the first
/// patient is looked at, one query each; each patient is then matched in memory by the
/// rules of [`apply`], in page order, the page's own links and new charts counting for the
/// patients after it. New and changed charts and their search terms are written with the
/// page. Reviews, rare, are opened and closed as they are met.
#[derive(Default)]
pub(super) struct Charts {
    rows: HashMap<Uuid, patient::Model>,
    by_mrn: HashMap<String, Vec<Uuid>>,
    by_birth: HashMap<NaiveDate, Vec<Uuid>>,
    /// Charts linked to an EHR patient.
    linked: HashSet<Uuid>,
    /// EHR patients with an open match or duplicate review, and those with an open
    /// duplicate review (which the EHR's merge closes).
    open: HashSet<String>,
    open_duplicate: HashSet<String>,
    /// EHR patients staff said are new charts.
    decided_new: HashSet<String>,
    /// Demographic write-backs waiting (payloads).
    waiting_writes: Vec<String>,
    /// Each chart's stored search terms.
    terms: HashMap<Uuid, Vec<String>>,
    created: Vec<Uuid>,
    inserts: HashMap<Uuid, patient::Model>,
    updates: HashMap<Uuid, patient::Model>,
}

impl Charts {
    /// Reads what matching `patients` (FHIR id and patient, one page) needs.
    pub(super) async fn prefetch(
        tx: &TenantTx,
        page: &mut Page,
        patients: &[(&str, &EhrPatient)],
    ) -> CoreResult<Self> {
        let mut charts = Self::default();
        let mut locals = Vec::new();
        for (fhir_id, _) in patients {
            if let Some(link) = page.link(tx, ResourceKind::Patient, fhir_id).await? {
                locals.push(link.local_id);
            }
        }
        let mut mrns: Vec<String> = patients
            .iter()
            .flat_map(|(_, p)| p.mrn_values(MRN_SYSTEM))
            .map(str::to_owned)
            .collect();
        mrns.sort();
        mrns.dedup();
        let mut births: Vec<NaiveDate> = patients.iter().map(|(_, p)| p.birth_date).collect();
        births.sort();
        births.dedup();
        let mut found: Vec<patient::Model> = Vec::new();
        found.extend(charts_where(tx, patient::Column::Id, &locals).await?);
        found.extend(charts_where(tx, patient::Column::Mrn, &mrns).await?);
        found.extend(charts_where(tx, patient::Column::BirthDate, &births).await?);
        // In id order, as the one-by-one queries found them.
        found.sort_by_key(|c| c.id);
        for chart in found {
            if !charts.rows.contains_key(&chart.id) {
                charts.index(chart);
            }
        }
        let ids: Vec<Uuid> = charts.rows.keys().copied().collect();
        for chunk in ids.chunks(1_000) {
            charts.linked.extend(
                tx.find::<ehr_link::Entity>()
                    .filter(ehr_link::Column::ResourceType.eq(ResourceKind::Patient.as_str()))
                    .filter(ehr_link::Column::LocalId.is_in(chunk.iter().copied()))
                    .all(tx.conn())
                    .await?
                    .into_iter()
                    .map(|l| l.local_id),
            );
            for term in tx
                .find::<term::Entity>()
                .filter(term::Column::PatientId.is_in(chunk.iter().copied()))
                .all(tx.conn())
                .await?
            {
                charts
                    .terms
                    .entry(term.patient_id)
                    .or_default()
                    .push(term.term);
            }
        }
        let fhir_ids: Vec<&str> = patients.iter().map(|(id, _)| *id).collect();
        for review in reviews::of_patients(tx, &fhir_ids).await? {
            if review.status == reviews::OPEN {
                charts.open.insert(review.fhir_id.clone());
                if review.kind == reviews::POSSIBLE_DUPLICATE {
                    charts.open_duplicate.insert(review.fhir_id.clone());
                }
            } else if review.status == reviews::RESOLVED
                && review.resolution.as_deref() == Some(reviews::Resolution::CreatePatient.name())
            {
                charts.decided_new.insert(review.fhir_id.clone());
            }
        }
        charts.waiting_writes = super::writeback::pending_payloads(tx, "demographics").await?;
        Ok(charts)
    }

    fn index(&mut self, chart: patient::Model) {
        if let Some(mrn) = &chart.mrn {
            self.by_mrn.entry(mrn.clone()).or_default().push(chart.id);
        }
        self.by_birth
            .entry(chart.birth_date)
            .or_default()
            .push(chart.id);
        self.rows.insert(chart.id, chart);
    }

    /// Charts of `ids` not linked to an EHR patient.
    fn unlinked(&self, ids: &[Uuid]) -> Vec<&patient::Model> {
        ids.iter()
            .filter(|id| !self.linked.contains(id))
            .filter_map(|id| self.rows.get(id))
            .collect()
    }

    /// [`candidates`], from memory.
    fn candidates(&self, p: &EhrPatient) -> Candidates {
        let values = p.mrn_values(MRN_SYSTEM);
        if !values.is_empty() {
            let mut found: Vec<Uuid> = values
                .iter()
                .flat_map(|v| self.by_mrn.get(*v).into_iter().flatten().copied())
                .collect();
            found.sort();
            found.dedup();
            let by_mrn = self.unlinked(&found);
            match by_mrn.as_slice() {
                [] => {}
                [one] if one.birth_date == p.birth_date => return Candidates::Sure(one.id),
                some => return Candidates::Unsure(some.iter().map(|c| c.id).collect()),
            }
        }
        let same_name: Vec<Uuid> = self
            .by_birth
            .get(&p.birth_date)
            .into_iter()
            .flatten()
            .filter_map(|id| self.rows.get(id))
            .filter(|c| {
                c.birth_date == p.birth_date
                    && c.given_name
                        .trim()
                        .eq_ignore_ascii_case(p.given_name.trim())
                    && c.family_name
                        .trim()
                        .eq_ignore_ascii_case(p.family_name.trim())
            })
            .map(|c| c.id)
            .collect();
        let by_name = self.unlinked(&same_name);
        match by_name.as_slice() {
            [] if same_name.is_empty() => Candidates::None,
            [] => Candidates::Duplicate(same_name),
            [one] if contact_agrees(one, p) => Candidates::Sure(one.id),
            some => Candidates::Unsure(some.iter().map(|c| c.id).collect()),
        }
    }

    /// [`apply`], in memory but for reviews; the chart's row and link are written with the
    /// page. A refusal is decided before anything is kept.
    pub(super) async fn apply(
        &mut self,
        tx: &TenantTx,
        page: &mut Page,
        fhir_id: &str,
        version: Option<&str>,
        p: &EhrPatient,
    ) -> CoreResult<Applied> {
        let link = page.link(tx, ResourceKind::Patient, fhir_id).await?;
        let mut new_chart = None;
        let local = match &link {
            Some(link) => link.local_id,
            None => {
                if !p.active && self.open_duplicate.contains(fhir_id) {
                    reviews::close_merged(tx, fhir_id).await?;
                    self.open.remove(fhir_id);
                    self.open_duplicate.remove(fhir_id);
                    return Ok(Applied::Unchanged);
                }
                if self.open.contains(fhir_id) {
                    return Ok(Applied::Waiting);
                }
                let found = if self.decided_new.contains(fhir_id) {
                    Candidates::None
                } else {
                    self.candidates(p)
                };
                match found {
                    Candidates::Sure(one) => one,
                    Candidates::None | Candidates::Duplicate(_) if !p.active => {
                        return Ok(Applied::Unchanged);
                    }
                    Candidates::None => {
                        let chart = self.new_chart(tx, p)?;
                        let id = chart.id;
                        new_chart = Some(chart);
                        id
                    }
                    Candidates::Unsure(some) => {
                        reviews::open_match(tx, fhir_id, &some).await?;
                        self.open.insert(fhir_id.to_owned());
                        return Ok(Applied::Waiting);
                    }
                    Candidates::Duplicate(charts) => {
                        reviews::open_duplicate(tx, fhir_id, &charts).await?;
                        self.open.insert(fhir_id.to_owned());
                        self.open_duplicate.insert(fhir_id.to_owned());
                        return Ok(Applied::Waiting);
                    }
                }
            }
        };
        let local_text = local.to_string();
        if self.waiting_writes.iter().any(|w| w.contains(&local_text)) {
            if link.as_ref().is_some_and(|l| l.version_id.is_none()) {
                page.set_link(
                    tx,
                    ResourceKind::Patient,
                    fhir_id,
                    local,
                    version,
                    Some(local),
                )
                .await?;
            }
            return Ok(Applied::Unchanged);
        }
        let found = match &new_chart {
            Some(chart) => Some(chart.clone()),
            None => self
                .inserts
                .get(&local)
                .or_else(|| self.updates.get(&local))
                .or_else(|| self.rows.get(&local))
                .cloned(),
        };
        if let Some(found) = found {
            let mut active = updated(&found, p)?;
            crate::patient_search::fill_columns(&mut active);
            let chart = active
                .try_into_model()
                .map_err(crate::CoreError::Database)?;
            if new_chart.is_some() {
                self.created.push(chart.id);
                self.inserts.insert(chart.id, chart.clone());
                self.index(chart);
            } else {
                // A chart made earlier in the page is still to be inserted: as it is now.
                match self.inserts.get_mut(&local) {
                    Some(pending) => *pending = chart.clone(),
                    None => {
                        self.updates.insert(local, chart.clone());
                    }
                }
                self.reindex(chart);
            }
        }
        page.set_link(
            tx,
            ResourceKind::Patient,
            fhir_id,
            local,
            version,
            Some(local),
        )
        .await?;
        self.linked.insert(local);
        Ok(Applied::Changed)
    }

    /// A chart whose birth date may have changed, in the indexes again.
    fn reindex(&mut self, chart: patient::Model) {
        for ids in self.by_birth.values_mut() {
            ids.retain(|id| *id != chart.id);
        }
        for ids in self.by_mrn.values_mut() {
            ids.retain(|id| *id != chart.id);
        }
        self.index(chart);
    }

    /// [`create`]'s chart, checked, not yet written.
    fn new_chart(&self, tx: &TenantTx, p: &EhrPatient) -> CoreResult<patient::Model> {
        let mrn = p.mrn(MRN_SYSTEM).and_then(|id| {
            let taken = self
                .by_mrn
                .get(id.value.as_str())
                .is_some_and(|ids| !ids.is_empty());
            (!taken).then(|| id.value.clone())
        });
        let mut active = patients::new_chart(
            tx,
            NewPatient {
                mrn,
                given_name: p.given_name.clone(),
                family_name: p.family_name.clone(),
                birth_date: Some(p.birth_date),
                gender: p.gender.clone(),
                email: p.email.clone(),
                phone: p.phone.clone(),
            },
        )?;
        crate::patient_search::fill_columns(&mut active);
        active.try_into_model().map_err(crate::CoreError::Database)
    }

    /// Writes the page's new and changed charts, their search terms and the audit events
    /// of the charts made.
    pub(super) async fn flush(&mut self, tx: &TenantTx) -> CoreResult<()> {
        use super::batch::upsert;
        let inserts: Vec<patient::Model> = self.inserts.drain().map(|(_, c)| c).collect();
        let updates: Vec<patient::Model> = self.updates.drain().map(|(_, c)| c).collect();
        let mut stale: Vec<Uuid> = Vec::new();
        let mut terms: Vec<term::ActiveModel> = Vec::new();
        for chart in inserts.iter().chain(&updates) {
            let mut wanted =
                crate::patient_search::name_terms(&chart.given_name, &chart.family_name);
            let mut stored = self.terms.get(&chart.id).cloned().unwrap_or_default();
            stored.sort();
            let mut sorted = wanted.clone();
            sorted.sort();
            if stored == sorted {
                continue;
            }
            if !stored.is_empty() {
                stale.push(chart.id);
            }
            self.terms.insert(chart.id, sorted);
            terms.extend(wanted.drain(..).map(|word| term::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                patient_id: Set(chart.id),
                term: Set(word),
            }));
        }
        let tenant = [
            patient::Column::TenantId.as_str(),
            patient::Column::Id.as_str(),
        ];
        upsert::<patient::ActiveModel>(
            tx,
            inserts
                .into_iter()
                .map(patient::ActiveModel::from)
                .collect(),
            &tenant,
            &[],
        )
        .await?;
        // Only what taking the EHR's demographics writes (see `updated`).
        let written = [
            patient::Column::GivenName,
            patient::Column::GivenNames,
            patient::Column::FamilyName,
            patient::Column::BirthDate,
            patient::Column::Gender,
            patient::Column::Email,
            patient::Column::EmailBouncedAt,
            patient::Column::Phone,
            patient::Column::PhoneBouncedAt,
            patient::Column::AddressLine,
            patient::Column::City,
            patient::Column::Region,
            patient::Column::PostalCode,
            patient::Column::Country,
            patient::Column::UpdatedAt,
            patient::Column::SearchFamily,
            patient::Column::SearchGiven,
            patient::Column::PhoneReversed,
            patient::Column::EmailLower,
        ];
        let kept: Vec<&str> = <patient::Column as sea_orm::Iterable>::iter()
            .filter(|c| !written.iter().any(|w| w.as_str() == c.as_str()))
            .map(|c| c.as_str())
            .collect();
        upsert::<patient::ActiveModel>(
            tx,
            updates
                .into_iter()
                .map(patient::ActiveModel::from)
                .collect(),
            &tenant,
            &kept,
        )
        .await?;
        for chunk in stale.chunks(1_000) {
            tx.delete::<term::Entity>()
                .filter(term::Column::PatientId.is_in(chunk.iter().copied()))
                .exec(tx.conn())
                .await?;
        }
        upsert::<term::ActiveModel>(
            tx,
            terms,
            &[
                term::Column::TenantId.as_str(),
                term::Column::PatientId.as_str(),
                term::Column::Term.as_str(),
            ],
            &[],
        )
        .await?;
        let created = std::mem::take(&mut self.created);
        crate::audit::record_all(
            tx,
            &Actor::system(),
            created.into_iter().map(patients::created),
        )
        .await
    }
}

/// The charts whose `column` is one of `values`, a thousand values to a query.
async fn charts_where<V>(
    tx: &TenantTx,
    column: patient::Column,
    values: &[V],
) -> CoreResult<Vec<patient::Model>>
where
    V: Into<sea_orm::Value> + Clone,
{
    let mut found = Vec::new();
    for chunk in values.chunks(1_000) {
        found.extend(
            tx.find::<patient::Entity>()
                .filter(column.is_in(chunk.iter().cloned()))
                .all(tx.conn())
                .await?,
        );
    }
    Ok(found)
}
