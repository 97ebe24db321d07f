//! Applying a page of EHR changes to the chart, in one transaction with the page's mark.
//!
//! Each resource is resolved against the id map (its patient, encounter, results,
//! prescriber), checked with the chart's own rules, and created or updated with
//! `source = 'ehr'` and its FHIR id. A resource that fails is refused on its own (by id and
//! code, never content) and the rest of the page still syncs; one whose patient is not
//! matched yet waits. `entered-in-error` and deleted resources leave the chart: records take
//! the `entered-in-error` status (hidden from patients), appointments are cancelled.
//!
//! A page is applied in sets ([`super::batch`]): the id map entries it names are read at
//! once, and the plain records and links are written together at the page's end, the whole
//! attempt in one savepoint; patients are matched, and appointments applied, with the page
//! too ([`super::matching`], [`visits`]). Practitioners and locations, which touch more
//! than their own rows, are each applied in a savepoint of their own ([`in_sets`]). If the
//! database refuses something written in sets, the attempt is undone and the page applied
//! again one resource at a time, each in its own savepoint, so the one refused is refused
//! alone.

mod allergies;
mod appointments;
mod chart;
mod conditions;
mod directory;
mod encounters;
mod immunizations;
mod medications;
mod observations;
mod removal;
mod reports;
mod summaries;
mod visits;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use self::appointments::EHR_VISIT_TYPE;
use self::{chart::Chart, removal::remove, visits::Visits};
use super::{
    batch::{Page, Row},
    columns,
    matching::Charts,
    model::{Change, EhrPatient, Inbound, Mapped, PORTICO_OWN, ResourceKind},
    runs::{self, Counts, TypeCounts},
};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::ehr_link::Model as Link,
};

/// Where records pulled from the EHR came from.
pub const EHR_SOURCE: &str = "ehr";

/// The adapter's code for a resource labelled restricted (`meta.security` R or V).
const RESTRICTED: &str = "EHR_RESTRICTED_RESOURCE";

/// Patients the run pulls one by one at its end: those whose records waited for them, and
/// those it linked for the first time.
#[derive(Debug, Default)]
pub struct Followups {
    pub waiting: std::collections::BTreeSet<String>,
    pub linked: std::collections::BTreeSet<String>,
}

/// What became of one resource.
pub(super) enum Applied {
    Changed,
    Unchanged,
    Removed,
    Waiting,
}

impl Applied {
    /// A resource written: changed, or removed when the EHR took its record out.
    fn written(removed: bool) -> Self {
        if removed {
            Self::Removed
        } else {
            Self::Changed
        }
    }
}

/// Applies `changes` (one page of `kind`) and returns the newest `lastUpdated` among them.
/// Refusals are recorded against `run_id`; `counts` is updated.
pub async fn apply_page(
    tx: &TenantTx,
    run_id: Uuid,
    kind: ResourceKind,
    changes: Vec<Change>,
    counts: &mut Counts,
    followups: &mut Followups,
) -> CoreResult<Option<DateTime<Utc>>> {
    // Taken first, as every audited write does: bookings and the sync's appointment checks
    // then run one after another.
    audit::lock(tx).await?;
    let mut tally = TypeCounts::default();
    let mut found = Followups::default();
    let attempt = tx.savepoint().await?;
    let newest = match apply_changes(&attempt, run_id, &changes, true, &mut tally, &mut found).await
    {
        Ok(newest) => {
            attempt.commit().await?;
            newest
        }
        // Something written in sets was refused: the page again, one resource at a time.
        Err(CoreError::Database(e)) if columns::unstorable(&e).is_some() => {
            attempt.rollback().await?;
            tally = TypeCounts::default();
            found = Followups::default();
            apply_changes(tx, run_id, &changes, false, &mut tally, &mut found).await?
        }
        Err(e) => return Err(e),
    };
    followups.waiting.extend(found.waiting);
    followups.linked.extend(found.linked);
    let entry = counts.entry(kind.as_str().to_owned()).or_default();
    entry.fetched += tally.fetched;
    entry.applied += tally.applied;
    entry.unchanged += tally.unchanged;
    entry.rejected += tally.rejected;
    entry.removed += tally.removed;
    entry.waiting += tally.waiting;
    runs::save_counts(tx, run_id, counts).await?;
    if tally.applied + tally.removed > 0 {
        // One event per page: which type, how many; the records carry their source.
        audit::record(
            tx,
            &Actor::system(),
            Access {
                action: "ehr.sync.apply",
                resource_type: kind.as_str(),
                resource_id: Some(run_id),
                patient_id: None,
            },
        )
        .await?;
    }
    Ok(newest)
}

/// Whether `kind`'s resources are written with the page (in sets) rather than each in a
/// savepoint of its own.
fn in_sets(kind: ResourceKind) -> bool {
    !matches!(kind, ResourceKind::Practitioner | ResourceKind::Location)
}

/// Applies one page's changes: in sets (`sets`), or each resource in its own savepoint.
async fn apply_changes(
    tx: &TenantTx,
    run_id: Uuid,
    changes: &[Change],
    sets: bool,
    tally: &mut TypeCounts,
    followups: &mut Followups,
) -> CoreResult<Option<DateTime<Utc>>> {
    let mut page = Page::prefetch(tx, changes).await?;
    // Patients are matched in sets too, from what is read for the whole page.
    let mut charts = None;
    if sets {
        let patients: Vec<(&str, EhrPatient)> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Upsert(Mapped {
                    fhir_id,
                    record: Inbound::Patient(p),
                    ..
                }) => {
                    let mut p = p.clone();
                    columns::fit_patient(&mut p).ok()?;
                    Some((fhir_id.as_str(), p))
                }
                _ => None,
            })
            .collect();
        if !patients.is_empty() {
            let patients: Vec<(&str, &EhrPatient)> =
                patients.iter().map(|(id, p)| (*id, p)).collect();
            charts = Some(Charts::prefetch(tx, &mut page, &patients).await?);
        }
    }
    let mut visits = if sets {
        Visits::prefetch(tx, &mut page, changes).await?
    } else {
        None
    };
    let mut newest: Option<DateTime<Utc>> = None;
    for change in changes {
        tally.fetched += 1;
        match change {
            Change::Rejected {
                kind: rejected_kind,
                fhir_id,
                code,
                last_updated,
            } => {
                newest = newest.max(*last_updated);
                // Portico's own write (a home reading) is already on the chart as such.
                if *code == PORTICO_OWN {
                    tally.unchanged += 1;
                    continue;
                }
                // A record the EHR has since labelled restricted leaves the portal too.
                if *code == RESTRICTED
                    && let Some(fhir_id) = fhir_id
                {
                    remove(tx, &mut page, *rejected_kind, fhir_id).await?;
                }
                refuse(tx, run_id, *rejected_kind, fhir_id.as_deref(), code, tally).await?;
            }
            Change::Deleted { kind, fhir_id } => {
                if remove(tx, &mut page, *kind, fhir_id).await? {
                    tally.removed += 1;
                } else {
                    tally.unchanged += 1;
                }
            }
            Change::Upsert(mapped) => {
                newest = newest.max(mapped.last_updated);
                let mapped_kind = mapped.kind();
                let fhir_id = mapped.fhir_id.as_str();
                let patient = mapped.record.patient().map(str::to_owned);
                let was_linked = mapped_kind == ResourceKind::Patient
                    && page.link(tx, mapped_kind, fhir_id).await?.is_some();
                let alone = !sets || !in_sets(mapped_kind);
                let applied = if alone {
                    // In a savepoint of its own: one the database refuses is undone alone and
                    // refused, and the rest of the page (and its mark) still goes in.
                    if let Some(charts) = charts.as_mut() {
                        charts.flush(tx).await?;
                    }
                    if let Some(visits) = visits.as_mut() {
                        visits.flush(tx).await?;
                    }
                    page.flush(tx).await?;
                    let one = tx.savepoint().await?;
                    let applied = match upsert(&one, &mut page, None, None, mapped.clone()).await {
                        Ok(applied) => page.flush(&one).await.map(|()| applied),
                        Err(e) => Err(e),
                    };
                    match &applied {
                        Ok(_) => one.commit().await?,
                        Err(_) => {
                            one.rollback().await?;
                            page.discard(mapped_kind, fhir_id);
                        }
                    }
                    applied
                } else {
                    match upsert(
                        tx,
                        &mut page,
                        charts.as_mut(),
                        visits.as_mut(),
                        mapped.clone(),
                    )
                    .await
                    {
                        // Nothing is written yet: a database error here is the page's.
                        Err(CoreError::Database(e)) => return Err(CoreError::Database(e)),
                        other => other,
                    }
                };
                match applied {
                    Ok(Applied::Changed) => {
                        tally.applied += 1;
                        if mapped_kind == ResourceKind::Patient && !was_linked {
                            followups.linked.insert(fhir_id.to_owned());
                        }
                    }
                    Ok(Applied::Unchanged) => tally.unchanged += 1,
                    Ok(Applied::Removed) => tally.removed += 1,
                    Ok(Applied::Waiting) => {
                        tally.waiting += 1;
                        if let Some(patient) = patient {
                            followups.waiting.insert(patient);
                        }
                    }
                    Err(CoreError::Invalid { code, .. }) => {
                        refuse(tx, run_id, mapped_kind, Some(fhir_id), code, tally).await?;
                    }
                    Err(CoreError::Database(e)) => match columns::unstorable(&e) {
                        Some(code) => {
                            refuse(tx, run_id, mapped_kind, Some(fhir_id), code, tally).await?;
                        }
                        None => return Err(CoreError::Database(e)),
                    },
                    Err(e) => return Err(e),
                }
            }
        }
    }
    if let Some(charts) = charts.as_mut() {
        charts.flush(tx).await?;
    }
    if let Some(visits) = visits.as_mut() {
        visits.flush(tx).await?;
    }
    page.flush(tx).await?;
    Ok(newest)
}

async fn refuse(
    tx: &TenantTx,
    run_id: Uuid,
    kind: ResourceKind,
    fhir_id: Option<&str>,
    code: &str,
    tally: &mut TypeCounts,
) -> CoreResult<()> {
    // The code and type only: a resource's content may be PHI.
    tracing::warn!(resource_type = kind.as_str(), code, "EHR resource refused");
    runs::reject(tx, run_id, kind, fhir_id, code).await?;
    tally.rejected += 1;
    Ok(())
}

fn invalid(code: &'static str) -> CoreError {
    CoreError::invalid("resource", code, "refused by the EHR sync")
}

/// The resource being written, with its id map entry: what every kind's write is given.
struct Resource<'a> {
    kind: ResourceKind,
    fhir_id: &'a str,
    version: Option<&'a str>,
    link: Option<Link>,
}

impl Resource<'_> {
    /// The record the resource was linked to when it was pulled before.
    fn existing(&self) -> Option<Uuid> {
        self.link.as_ref().map(|l| l.local_id)
    }

    /// Links the resource to `local_id` at its version; written with the page.
    async fn link_to(
        &self,
        tx: &TenantTx,
        page: &mut Page,
        local_id: Uuid,
        patient_id: Option<Uuid>,
    ) -> CoreResult<()> {
        page.set_link(
            tx,
            self.kind,
            self.fhir_id,
            local_id,
            self.version,
            patient_id,
        )
        .await
    }
}

/// Creates or updates what one resource maps to, unless the id map has its version already.
async fn upsert(
    tx: &TenantTx,
    page: &mut Page,
    charts: Option<&mut Charts>,
    visits: Option<&mut Visits>,
    mapped: Mapped,
) -> CoreResult<Applied> {
    let kind = mapped.kind();
    let link = page.link(tx, kind, &mapped.fhir_id).await?;
    if let (Some(link), Some(version)) = (&link, &mapped.version_id)
        && link.version_id.as_deref() == Some(version.as_str())
    {
        return Ok(Applied::Unchanged);
    }
    let resource = Resource {
        kind,
        fhir_id: &mapped.fhir_id,
        version: mapped.version_id.as_deref(),
        link,
    };
    // A kind kept in a chart waits until its patient is matched.
    macro_rules! chart_of {
        ($patient:expr) => {
            match Chart::of(tx, page, &resource, $patient).await? {
                Some(chart) => chart,
                None => return Ok(Applied::Waiting),
            }
        };
    }
    match mapped.record {
        Inbound::Patient(p) => directory::patient(tx, page, charts, &resource, &p).await,
        Inbound::Practitioner(p) => directory::practitioner(tx, page, &resource, &p).await,
        Inbound::Location(l) => directory::location(tx, page, &resource, &l).await,
        Inbound::Appointment(a) => {
            let chart = chart_of!(&a.patient);
            appointments::apply(tx, page, visits, &chart, &a).await
        }
        Inbound::VisitSummary {
            patient,
            encounter,
            status,
            text,
        } => {
            let chart = chart_of!(&patient);
            summaries::apply(tx, page, &chart, &encounter, &status, text).await
        }
        Inbound::Encounter {
            patient,
            practitioner,
            input,
        } => {
            let chart = chart_of!(&patient);
            encounters::apply(tx, page, &chart, practitioner, input).await
        }
        Inbound::Observation {
            patient,
            encounter,
            input,
            category,
            detail,
        } => {
            let chart = chart_of!(&patient);
            observations::apply(tx, page, &chart, encounter, input, category, &detail).await
        }
        Inbound::DiagnosticReport {
            patient,
            encounter,
            results,
            input,
        } => {
            let chart = chart_of!(&patient);
            reports::apply(tx, page, &chart, encounter, &results, input).await
        }
        Inbound::MedicationRequest {
            patient,
            prescriber,
            input,
        } => {
            let chart = chart_of!(&patient);
            medications::apply(tx, page, &chart, prescriber, input).await
        }
        Inbound::Allergy {
            patient,
            input,
            statuses,
            detail,
        } => {
            let chart = chart_of!(&patient);
            allergies::apply(tx, page, &chart, input, &statuses, &detail).await
        }
        Inbound::Condition {
            patient,
            input,
            statuses,
            detail,
        } => {
            let chart = chart_of!(&patient);
            conditions::apply(tx, page, &chart, input, &statuses, &detail).await
        }
        Inbound::Immunization {
            patient,
            input,
            primary_source,
        } => {
            let chart = chart_of!(&patient);
            immunizations::apply(tx, page, &chart, input, primary_source).await
        }
    }
}
