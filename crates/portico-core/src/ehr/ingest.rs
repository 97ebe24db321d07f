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
//! attempt in one savepoint. Patients, practitioners, locations and appointments, which
//! touch more than their own rows, are each applied in a savepoint of their own. If the
//! database refuses something written in sets, the attempt is undone and the page applied
//! again one resource at a time, each in its own savepoint, so the one refused is refused
//! alone.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, IdenStatic, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use super::{
    batch::{Page, Row},
    columns,
    matching::{self, Charts},
    model::{Change, EhrAppointment, EhrPatient, Inbound, Mapped, ResourceKind, Statuses},
    runs::{self, Counts, TypeCounts},
};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{
        allergy, appointment, appointment_type, condition, diagnostic_report, encounter,
        immunization, location, medication_request, observation, provider,
    },
    records::{
        self, ENTERED_IN_ERROR, allergies, conditions, encounters, immunizations, medications,
        observations, reports,
    },
    scheduling::{appointments as booking, reminders},
};

/// Where records pulled from the EHR came from.
pub const EHR_SOURCE: &str = "ehr";

/// The adapter's code for a resource labelled restricted (`meta.security` R or V).
const RESTRICTED: &str = "EHR_RESTRICTED_RESOURCE";

/// The visit type EHR appointments get when none of the practice's types has their name.
pub const EHR_VISIT_TYPE: &str = "EHR visit";

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

/// Saves the record the EHR resource is linked to with the page: inserted with its creation
/// time (and the fields only a new record takes), or updated, keeping those.
macro_rules! save_row {
    ($page:expr, $variant:ident, $id:expr, $active:ident, $now:expr $(, $field:ident = $value:expr)*) => {
        $( $active.$field = Set($value); )*
        $active.created_at = Set($now);
        $page.save($id, Row::$variant($active));
    };
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

/// The local id of a referenced record, which must be in the same chart.
async fn same_chart(
    tx: &TenantTx,
    page: &mut Page,
    kind: ResourceKind,
    fhir_id: Option<&str>,
    patient_id: Uuid,
) -> CoreResult<Option<Uuid>> {
    let Some(fhir_id) = fhir_id else {
        return Ok(None);
    };
    match page.link(tx, kind, fhir_id).await? {
        Some(link) if link.patient_id == Some(patient_id) => Ok(Some(link.local_id)),
        Some(_) => Err(invalid("EHR_CROSS_PATIENT_REFERENCE")),
        None => Ok(None),
    }
}

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
    let existing = link.as_ref().map(|l| l.local_id);
    let version = mapped.version_id.as_deref();
    let fhir_id = mapped.fhir_id.as_str();
    if let Inbound::Patient(patient) = &mapped.record {
        let mut patient = patient.clone();
        columns::fit_patient(&mut patient)?;
        return match charts {
            Some(charts) => charts.apply(tx, page, fhir_id, version, &patient).await,
            None => matching::apply(tx, page, fhir_id, version, &patient).await,
        };
    }
    if let Inbound::Practitioner(p) = &mapped.record {
        tx.changed(crate::caches::Change::Catalog);
        let name = records::required("name", &p.display_name, columns::PROVIDER_NAME_MAX)?;
        let shown = name.clone();
        let id = match existing {
            Some(id) => {
                tx.update::<provider::Entity>()
                    .col_expr(provider::Column::DisplayName, Expr::value(name))
                    .col_expr(provider::Column::Active, Expr::value(p.active))
                    .filter(provider::Column::Id.eq(id))
                    .exec(tx.conn())
                    .await?;
                id
            }
            None => {
                provider::ActiveModel {
                    tenant_id: Set(tx.tenant_id().as_uuid()),
                    id: Set(Uuid::now_v7()),
                    user_id: Set(None),
                    display_name: Set(name),
                    specialty: Set(records::optional(
                        "specialty",
                        p.specialty.clone(),
                        columns::PROVIDER_NAME_MAX,
                    )?),
                    active: Set(p.active),
                    covering_provider_id: Set(None),
                    created_at: Set(Utc::now()),
                }
                .insert(tx.conn())
                .await?
                .id
            }
        };
        page.named(id, &shown);
        page.set_link(tx, kind, fhir_id, id, version, None).await?;
        return Ok(Applied::Changed);
    }
    if let Inbound::Location(l) = &mapped.record {
        tx.changed(crate::caches::Change::Catalog);
        let name = records::required("name", &l.name, columns::LOCATION_NAME_MAX)?;
        let address =
            records::optional("address", l.address.clone(), columns::LOCATION_ADDRESS_MAX)?;
        let id = match existing {
            Some(id) => {
                tx.update::<location::Entity>()
                    .col_expr(location::Column::Name, Expr::value(name))
                    .col_expr(location::Column::Address, Expr::value(address))
                    .col_expr(location::Column::Active, Expr::value(l.active))
                    .filter(location::Column::Id.eq(id))
                    .exec(tx.conn())
                    .await?;
                id
            }
            None => {
                location::ActiveModel {
                    tenant_id: Set(tx.tenant_id().as_uuid()),
                    id: Set(Uuid::now_v7()),
                    name: Set(name),
                    address: Set(address),
                    active: Set(l.active),
                    created_at: Set(Utc::now()),
                }
                .insert(tx.conn())
                .await?
                .id
            }
        };
        page.set_link(tx, kind, fhir_id, id, version, None).await?;
        return Ok(Applied::Changed);
    }
    let Some(patient_ref) = mapped.record.patient() else {
        return Err(invalid("EHR_MISSING_FIELD"));
    };
    let Some(patient_id) = page.local(tx, ResourceKind::Patient, patient_ref).await? else {
        return Ok(Applied::Waiting);
    };
    // A record the EHR moved to another chart is refused rather than moved.
    if let Some(link) = &link
        && link.patient_id.is_some_and(|p| p != patient_id)
    {
        return Err(invalid("EHR_CROSS_PATIENT_REFERENCE"));
    }
    let now = Utc::now();
    let tenant_id = tx.tenant_id().as_uuid();
    let new_id = Uuid::now_v7();
    let id = existing.unwrap_or(new_id);
    let source = Some(EHR_SOURCE.to_owned());
    let external = Some(fhir_id.to_owned());
    let removed;
    match mapped.record {
        Inbound::Encounter {
            practitioner,
            input,
            ..
        } => {
            let status = records::status("status", &input.status, &encounters::STATUSES)?;
            removed = status == ENTERED_IN_ERROR;
            if !encounters::CLASSES.contains(&input.class.as_str()) {
                return Err(invalid("EHR_UNSUPPORTED_CLASS"));
            }
            let practitioner_name = match practitioner {
                Some(p) => match page.local(tx, ResourceKind::Practitioner, &p).await? {
                    Some(pid) => page.provider_name(tx, pid).await?,
                    None => None,
                },
                None => None,
            }
            .or(input.practitioner_name);
            let started = input
                .started_at
                .ok_or_else(|| invalid("EHR_MISSING_FIELD"))?;
            let mut active = encounter::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                patient_id: Set(patient_id),
                status: Set(status),
                class: Set(input.class),
                reason: Set(records::optional("reason", input.reason, 500)?),
                practitioner_name: Set(records::optional("practitioner", practitioner_name, 200)?),
                started_at: Set(started),
                ended_at: Set(input.ended_at),
                source: Set(source),
                external_id: Set(external),
                entered_by: Set(None),
                updated_at: Set(now),
                ..Default::default()
            };
            save_row!(page, Encounter, id, active, now, summary = None);
        }
        Inbound::Appointment(a) => {
            // A change made in Portico and not yet written back wins until it is.
            match visits {
                Some(visits) => {
                    if existing.is_some_and(|e| visits.pending(e)) {
                        return Ok(Applied::Unchanged);
                    }
                    removed = visits.apply(tx, page, existing, id, patient_id, &a).await?;
                }
                None => {
                    if let Some(existing) = existing
                        && super::writeback::appointment_pending(tx, existing).await?
                    {
                        return Ok(Applied::Unchanged);
                    }
                    removed = apply_appointment(tx, page, existing, id, patient_id, &a).await?;
                }
            }
        }
        Inbound::Observation {
            encounter,
            input,
            category,
            detail,
            ..
        } => {
            let status = records::status("status", &input.status, &observations::STATUSES)?;
            removed = status == ENTERED_IN_ERROR;
            let encounter_id = same_chart(
                tx,
                page,
                ResourceKind::Encounter,
                encounter.as_deref(),
                patient_id,
            )
            .await?;
            if !observations::CATEGORIES.contains(&category.as_str()) {
                return Err(invalid("EHR_UNSUPPORTED_CODE"));
            }
            records::detail::check_observation(&detail)?;
            let c = observations::check(input, !detail.components.is_empty())?;
            let mut active = observation::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                patient_id: Set(patient_id),
                encounter_id: Set(encounter_id),
                status: Set(status),
                code: Set(c.code),
                display: Set(c.display),
                value_num: Set(c.value),
                unit: Set(c.unit),
                value_text: Set(c.value_text),
                range_low: Set(c.range_low),
                range_high: Set(c.range_high),
                range_text: Set(c.range_text),
                interpretation: Set(c.interpretation),
                effective_at: Set(c.effective_at),
                category: Set(Some(category)),
                detail: Set(records::detail::write(&detail)?),
                source: Set(source),
                external_id: Set(external),
                entered_by: Set(None),
                updated_at: Set(now),
                ..Default::default()
            };
            save_row!(page, Observation, id, active, now, report_id = None);
        }
        Inbound::DiagnosticReport {
            encounter,
            results,
            input,
            ..
        } => {
            let status = records::status("status", &input.status, &reports::STATUSES)?;
            removed = status == ENTERED_IN_ERROR;
            let encounter_id = same_chart(
                tx,
                page,
                ResourceKind::Encounter,
                encounter.as_deref(),
                patient_id,
            )
            .await?;
            let mut result_ids = Vec::with_capacity(results.len());
            for result in &results {
                if let Some(local) = same_chart(
                    tx,
                    page,
                    ResourceKind::Observation,
                    Some(result),
                    patient_id,
                )
                .await?
                {
                    result_ids.push(local);
                }
            }
            let effective_at = records::not_future(
                "effectiveAt",
                input
                    .effective_at
                    .ok_or_else(|| invalid("EHR_MISSING_FIELD"))?,
            )?;
            let mut active = diagnostic_report::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                patient_id: Set(patient_id),
                encounter_id: Set(encounter_id),
                status: Set(status),
                code: Set(records::required("code", &input.code, 32)?),
                display: Set(records::required("display", &input.display, 200)?),
                conclusion: Set(records::optional("conclusion", input.conclusion, 10_000)?),
                effective_at: Set(effective_at),
                issued_at: Set(input.issued_at),
                source: Set(source),
                external_id: Set(external),
                entered_by: Set(None),
                updated_at: Set(now),
                ..Default::default()
            };
            save_row!(page, Report, id, active, now);
            page.results(id, patient_id, result_ids);
        }
        Inbound::VisitSummary {
            encounter,
            status,
            text,
            ..
        } => {
            let Some(encounter_id) = same_chart(
                tx,
                page,
                ResourceKind::Encounter,
                Some(&encounter),
                patient_id,
            )
            .await?
            else {
                // The visit is not in Portico (yet): the note waits with it.
                return Ok(Applied::Waiting);
            };
            // A note a newer one replaced is left alone (the newer one wrote the summary).
            if status == "superseded" {
                return Ok(Applied::Unchanged);
            }
            removed = status == ENTERED_IN_ERROR;
            if removed && other_note_of(tx, page, encounter_id, fhir_id).await? {
                // Another note of the visit holds the summary now: it stays.
                page.remove_link(kind, fhir_id);
                return Ok(Applied::Removed);
            }
            let summary = if removed {
                None
            } else {
                records::optional("summary", Some(text), 20_000)?
            };
            page.summary(encounter_id, summary, now);
            // The note's own link points at its encounter.
            page.set_link(tx, kind, fhir_id, encounter_id, version, Some(patient_id))
                .await?;
            return Ok(if removed {
                Applied::Removed
            } else {
                Applied::Changed
            });
        }
        Inbound::MedicationRequest {
            prescriber, input, ..
        } => {
            let status = records::status("status", &input.status, &medications::STATUSES)?;
            removed = status == ENTERED_IN_ERROR;
            let prescriber_id = match &prescriber {
                Some(p) => page.local(tx, ResourceKind::Practitioner, p).await?,
                None => None,
            };
            let prescriber_name = match prescriber_id {
                Some(pid) => page.provider_name(tx, pid).await?,
                None => None,
            }
            .or(input.prescriber_name);
            if !(0..=99).contains(&input.refills_left) {
                return Err(invalid("EHR_VALUE_OUT_OF_RANGE"));
            }
            let mut active = medication_request::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                patient_id: Set(patient_id),
                status: Set(status),
                name: Set(records::required("name", &input.name, 200)?),
                rxnorm_code: Set(records::code("rxnormCode", input.rxnorm_code, false)?),
                dosage: Set(records::required("dosage", &input.dosage, 500)?),
                refills_left: Set(input.refills_left),
                prescriber_id: Set(prescriber_id),
                prescriber_name: Set(records::optional("prescriber", prescriber_name, 200)?),
                last_filled_on: Set(input.last_filled_on),
                authored_at: Set(input.authored_at.unwrap_or(now)),
                source: Set(source),
                external_id: Set(external),
                entered_by: Set(None),
                updated_at: Set(now),
                ..Default::default()
            };
            // Whether a prescription is a controlled substance is the practice's to say (FHIR
            // has no standard flag): only a new one takes the mapped value.
            save_row!(
                page,
                Medication,
                id,
                active,
                now,
                controlled = input.controlled
            );
        }
        Inbound::Allergy {
            input,
            statuses,
            detail,
            ..
        } => {
            let status = records::status("status", &input.status, &allergies::STATUSES)?;
            removed = status == ENTERED_IN_ERROR;
            let (clinical, verification) =
                fhir_statuses(&statuses, &allergies::CLINICAL, &allergies::VERIFICATION)?;
            records::detail::check_allergy(&detail)?;
            let severity = match input.severity.as_deref() {
                None => None,
                Some(s) if allergies::SEVERITIES.contains(&s) => Some(s.to_owned()),
                Some(_) => return Err(invalid("EHR_UNSUPPORTED_SEVERITY")),
            };
            let mut active = allergy::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                patient_id: Set(patient_id),
                status: Set(status),
                substance: Set(records::required("substance", &input.substance, 200)?),
                code: Set(records::code("code", input.code, false)?),
                reaction: Set(records::optional("reaction", input.reaction, 500)?),
                severity: Set(severity),
                recorded_on: Set(input.recorded_on),
                clinical_status: Set(clinical),
                verification_status: Set(verification),
                detail: Set(records::detail::write(&detail)?),
                source: Set(source),
                external_id: Set(external),
                entered_by: Set(None),
                updated_at: Set(now),
                ..Default::default()
            };
            save_row!(page, Allergy, id, active, now);
        }
        Inbound::Condition {
            input,
            statuses,
            detail,
            ..
        } => {
            let status = records::status("status", &input.status, &conditions::STATUSES)?;
            removed = status == ENTERED_IN_ERROR;
            let (clinical, verification) =
                fhir_statuses(&statuses, &conditions::CLINICAL, &conditions::VERIFICATION)?;
            if let Some(code) = &detail.code {
                records::detail::check_concept("code", code)?;
            }
            let mut active = condition::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                patient_id: Set(patient_id),
                status: Set(status),
                code: Set(records::code("code", input.code, false)?),
                name: Set(records::required("name", &input.name, 200)?),
                onset_on: Set(input.onset_on),
                abated_on: Set(input.abated_on),
                clinical_status: Set(clinical),
                verification_status: Set(verification),
                detail: Set(records::detail::write(&detail)?),
                source: Set(source),
                external_id: Set(external),
                entered_by: Set(None),
                updated_at: Set(now),
                ..Default::default()
            };
            save_row!(page, Condition, id, active, now);
        }
        Inbound::Immunization {
            input,
            primary_source,
            ..
        } => {
            let status = records::status("status", &input.status, &immunizations::STATUSES)?;
            removed = status == ENTERED_IN_ERROR;
            let occurred_on = input
                .occurred_on
                .ok_or_else(|| invalid("EHR_MISSING_FIELD"))?;
            let mut active = immunization::ActiveModel {
                tenant_id: Set(tenant_id),
                id: Set(id),
                patient_id: Set(patient_id),
                status: Set(status),
                vaccine_code: Set(records::code("vaccineCode", input.vaccine_code, false)?),
                vaccine_name: Set(records::required("vaccineName", &input.vaccine_name, 200)?),
                occurred_on: Set(occurred_on),
                next_due_on: Set(input.next_due_on),
                primary_source: Set(primary_source),
                source: Set(source),
                external_id: Set(external),
                entered_by: Set(None),
                updated_at: Set(now),
                ..Default::default()
            };
            save_row!(page, Immunization, id, active, now);
        }
        Inbound::Patient(_) | Inbound::Practitioner(_) | Inbound::Location(_) => {
            unreachable!("handled above")
        }
    }
    page.set_link(tx, kind, fhir_id, id, version, Some(patient_id))
        .await?;
    Ok(if removed {
        Applied::Removed
    } else {
        Applied::Changed
    })
}

/// The FHIR clinical and verification status as received, each checked against its code
/// system.
fn fhir_statuses(
    statuses: &Statuses,
    clinical: &[&str],
    verification: &[&str],
) -> CoreResult<(Option<String>, Option<String>)> {
    let known = |value: &Option<String>, allowed: &[&str]| match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(invalid("EHR_UNSUPPORTED_STATUS")),
        _ => Ok(value.clone()),
    };
    Ok((
        known(&statuses.clinical, clinical)?,
        known(&statuses.verification, verification)?,
    ))
}

/// Whether a note other than `fhir_id` is linked to the visit.
async fn other_note_of(
    tx: &TenantTx,
    page: &mut Page,
    encounter_id: Uuid,
    fhir_id: &str,
) -> CoreResult<bool> {
    use crate::entities::ehr_link;
    // Read from the database: what the page holds is written first.
    page.flush(tx).await?;
    Ok(tx
        .find::<ehr_link::Entity>()
        .filter(ehr_link::Column::ResourceType.eq(ResourceKind::DocumentReference.as_str()))
        .filter(ehr_link::Column::LocalId.eq(encounter_id))
        .filter(ehr_link::Column::FhirId.ne(fhir_id))
        .one(tx.conn())
        .await?
        .is_some())
}

/// The local status of an EHR appointment's FHIR status.
fn appointment_status(status: &str) -> Option<&'static str> {
    match status {
        "proposed" | "pending" | "booked" | "arrived" | "checked-in" | "waitlist" => {
            Some(booking::BOOKED)
        }
        "fulfilled" => Some(booking::COMPLETED),
        "noshow" => Some(booking::NO_SHOW),
        "cancelled" | "entered-in-error" => Some(booking::CANCELLED),
        _ => None,
    }
}

/// Creates or updates an appointment from the EHR. Returns whether it left the schedule.
async fn apply_appointment(
    tx: &TenantTx,
    page: &mut Page,
    existing: Option<Uuid>,
    id: Uuid,
    patient_id: Uuid,
    a: &EhrAppointment,
) -> CoreResult<bool> {
    let status = appointment_status(&a.status).ok_or_else(|| invalid("EHR_UNSUPPORTED_STATUS"))?;
    let provider_id = match &a.practitioner {
        Some(p) => page.local(tx, ResourceKind::Practitioner, p).await?,
        None => None,
    };
    let location_id = match &a.location {
        Some(l) => page.local(tx, ResourceKind::Location, l).await?,
        None => None,
    };
    // Portico's schedule needs a provider and a place for every visit.
    let (Some(provider_id), Some(location_id)) = (provider_id, location_id) else {
        return Err(invalid("EHR_APPOINTMENT_INCOMPLETE"));
    };
    if a.ends_at <= a.starts_at || a.ends_at - a.starts_at > chrono::Duration::hours(24) {
        return Err(invalid("EHR_INVALID_PERIOD"));
    }
    let holds_time = [booking::BOOKED, booking::COMPLETED, booking::NO_SHOW].contains(&status);
    if holds_time {
        let overlapping = tx
            .find::<appointment::Entity>()
            .filter(appointment::Column::ProviderId.eq(provider_id))
            .filter(appointment::Column::Id.ne(id))
            .filter(appointment::Column::Status.is_in([
                booking::BOOKED,
                booking::COMPLETED,
                booking::NO_SHOW,
            ]))
            .filter(appointment::Column::StartsAt.lt(a.ends_at))
            .filter(appointment::Column::EndsAt.gt(a.starts_at))
            .one(tx.conn())
            .await?;
        if overlapping.is_some() {
            return Err(invalid("EHR_APPOINTMENT_OVERLAP"));
        }
    }
    let now = Utc::now();
    match existing {
        Some(id) => {
            let found = tx
                .find::<appointment::Entity>()
                .filter(appointment::Column::Id.eq(id))
                .one(tx.conn())
                .await?
                .ok_or(CoreError::NotFound)?;
            let mut active: appointment::ActiveModel = found.clone().into();
            active.status = Set(status.to_owned());
            active.starts_at = Set(a.starts_at);
            active.ends_at = Set(a.ends_at);
            active.provider_id = Set(provider_id);
            active.location_id = Set(location_id);
            if status == booking::CANCELLED && found.cancelled_at.is_none() {
                active.cancelled_at = Set(Some(now));
            }
            active.updated_at = Set(now);
            let updated = active.update(tx.conn()).await?;
            // Reminders follow the visit: withdrawn when it is off or moved, planned anew.
            if updated.status != found.status || updated.starts_at != found.starts_at {
                reminders::withdraw(tx, updated.id).await?;
                if updated.status == booking::BOOKED {
                    reminders::plan(tx, &updated, now).await?;
                }
            }
        }
        None => {
            let type_id = visit_type(tx, a.type_name.as_deref(), a.ends_at - a.starts_at).await?;
            let created = appointment::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(id),
                patient_id: Set(patient_id),
                provider_id: Set(provider_id),
                location_id: Set(location_id),
                appointment_type_id: Set(type_id),
                starts_at: Set(a.starts_at),
                ends_at: Set(a.ends_at),
                status: Set(status.to_owned()),
                booked_by: Set(None),
                booked_via: Set(EHR_SOURCE.to_owned()),
                rescheduled_from: Set(None),
                cancelled_at: Set((status == booking::CANCELLED).then_some(now)),
                cancelled_by: Set(None),
                confirmed_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx.conn())
            .await?;
            if created.status == booking::BOOKED {
                reminders::plan(tx, &created, now).await?;
            }
        }
    }
    Ok(status == booking::CANCELLED)
}

/// The practice's visit type of that name, else the "EHR visit" type (made on first use, not
/// bookable online).
async fn visit_type(
    tx: &TenantTx,
    name: Option<&str>,
    length: chrono::Duration,
) -> CoreResult<Uuid> {
    let types = tx.find::<appointment_type::Entity>().all(tx.conn()).await?;
    if let Some(name) = name
        && let Some(found) = types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
    {
        return Ok(found.id);
    }
    if let Some(found) = types.iter().find(|t| t.name == EHR_VISIT_TYPE) {
        return Ok(found.id);
    }
    tx.changed(crate::caches::Change::Catalog);
    let minutes = i32::try_from(length.num_minutes())
        .unwrap_or(30)
        .clamp(5, 480);
    Ok(appointment_type::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(EHR_VISIT_TYPE.to_owned()),
        duration_minutes: Set(minutes),
        mode: Set("in_person".to_owned()),
        bookable_online: Set(false),
        eligibility: Set("any".to_owned()),
        buffer_before_minutes: Set(0),
        buffer_after_minutes: Set(0),
        min_lead_minutes: Set(0),
        horizon_days: Set(0),
        active: Set(true),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?
    .id)
}

/// Takes a resource the EHR deleted out of Portico. Returns whether anything changed.
async fn remove(
    tx: &TenantTx,
    page: &mut Page,
    kind: ResourceKind,
    fhir_id: &str,
) -> CoreResult<bool> {
    let Some(link) = page.link(tx, kind, fhir_id).await? else {
        return Ok(false);
    };
    // What the page holds goes first: the record taken out may be one of them.
    page.flush(tx).await?;
    let id = link.local_id;
    let hidden = Expr::value(ENTERED_IN_ERROR);
    let now = Expr::value(Utc::now());
    macro_rules! hide {
        ($entity:ident) => {
            tx.update::<$entity::Entity>()
                .col_expr($entity::Column::Status, hidden)
                .col_expr($entity::Column::UpdatedAt, now)
                .filter($entity::Column::Id.eq(id))
                .exec(tx.conn())
                .await?
        };
    }
    match kind {
        // People and places stay (a portal account or bookings may hang on them); the EHR
        // no longer answers for them.
        ResourceKind::Patient => {}
        ResourceKind::Practitioner => {
            tx.changed(crate::caches::Change::Catalog);
            tx.update::<provider::Entity>()
                .col_expr(provider::Column::Active, Expr::value(false))
                .filter(provider::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        }
        ResourceKind::Location => {
            tx.changed(crate::caches::Change::Catalog);
            tx.update::<location::Entity>()
                .col_expr(location::Column::Active, Expr::value(false))
                .filter(location::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        }
        ResourceKind::Appointment => {
            reminders::withdraw(tx, id).await?;
            tx.update::<appointment::Entity>()
                .col_expr(appointment::Column::Status, Expr::value(booking::CANCELLED))
                .col_expr(
                    appointment::Column::CancelledAt,
                    Expr::value(Some(Utc::now())),
                )
                .col_expr(appointment::Column::UpdatedAt, now)
                .filter(appointment::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        }
        ResourceKind::Encounter => {
            hide!(encounter);
        }
        ResourceKind::Observation => {
            hide!(observation);
        }
        ResourceKind::DiagnosticReport => {
            hide!(diagnostic_report);
        }
        ResourceKind::DocumentReference if other_note_of(tx, page, id, fhir_id).await? => {}
        ResourceKind::DocumentReference => {
            tx.update::<encounter::Entity>()
                .col_expr(
                    encounter::Column::Summary,
                    Expr::value(Option::<String>::None),
                )
                .filter(encounter::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        }
        ResourceKind::MedicationRequest => {
            hide!(medication_request);
        }
        ResourceKind::AllergyIntolerance => {
            hide!(allergy);
        }
        ResourceKind::Condition => {
            hide!(condition);
        }
        ResourceKind::Immunization => {
            hide!(immunization);
        }
    }
    page.remove_link(kind, fhir_id);
    Ok(true)
}

/// The statuses of a visit that holds its provider's time.
const HOLDING: [&str; 3] = [booking::BOOKED, booking::COMPLETED, booking::NO_SHOW];

/// Appointments applied in sets: the practice's visit types, the appointments the page
/// changes, the appointment write-backs waiting, and the visits holding the page's
/// providers' time within the page's span are read at once, and kept current as the page
/// books, moves and cancels (so a visit the page books counts against the next one, as it
/// did when each was written at once). New and changed appointments are written with the
/// page; their reminders are planned (and those of a visit moved or called off withdrawn)
/// as booking does.
#[derive(Default)]
pub(super) struct Visits {
    types: Vec<appointment_type::Model>,
    rows: HashMap<Uuid, appointment::Model>,
    waiting_writes: Vec<String>,
    inserts: HashMap<Uuid, appointment::Model>,
    updates: HashMap<Uuid, appointment::Model>,
    /// Visits whose reminders are planned once they are written (if still booked then).
    to_plan: Vec<Uuid>,
}

impl Visits {
    async fn prefetch(
        tx: &TenantTx,
        page: &mut Page,
        changes: &[Change],
    ) -> CoreResult<Option<Self>> {
        let mut existing = Vec::new();
        let mut providers = Vec::new();
        let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        for change in changes {
            let Change::Upsert(Mapped {
                fhir_id,
                record: Inbound::Appointment(a),
                ..
            }) = change
            else {
                continue;
            };
            if let Some(link) = page.link(tx, ResourceKind::Appointment, fhir_id).await? {
                existing.push(link.local_id);
            }
            if let Some(p) = &a.practitioner
                && let Some(id) = page.local(tx, ResourceKind::Practitioner, p).await?
            {
                providers.push(id);
            }
            span = Some(match span {
                None => (a.starts_at, a.ends_at),
                Some((from, to)) => (from.min(a.starts_at), to.max(a.ends_at)),
            });
        }
        let Some((from, to)) = span else {
            return Ok(None);
        };
        let mut visits = Self {
            types: tx.find::<appointment_type::Entity>().all(tx.conn()).await?,
            ..Self::default()
        };
        for chunk in existing.chunks(1_000) {
            for found in tx
                .find::<appointment::Entity>()
                .filter(appointment::Column::Id.is_in(chunk.iter().copied()))
                .all(tx.conn())
                .await?
            {
                visits.rows.insert(found.id, found);
            }
        }
        providers.sort();
        providers.dedup();
        for chunk in providers.chunks(1_000) {
            for found in tx
                .find::<appointment::Entity>()
                .filter(appointment::Column::ProviderId.is_in(chunk.iter().copied()))
                .filter(appointment::Column::Status.is_in(HOLDING))
                .filter(appointment::Column::StartsAt.lt(to))
                .filter(appointment::Column::EndsAt.gt(from))
                .all(tx.conn())
                .await?
            {
                visits.rows.insert(found.id, found);
            }
        }
        visits.waiting_writes = super::writeback::pending_payloads(tx, "appointment").await?;
        Ok(Some(visits))
    }

    /// Whether a change of appointment `id` waits to be written to the EHR (as
    /// `writeback::appointment_pending`).
    fn pending(&self, id: Uuid) -> bool {
        let id = id.to_string();
        self.waiting_writes.iter().any(|w| w.contains(&id))
    }

    /// [`apply_appointment`], from memory; the row is written with the page.
    async fn apply(
        &mut self,
        tx: &TenantTx,
        page: &mut Page,
        existing: Option<Uuid>,
        id: Uuid,
        patient_id: Uuid,
        a: &EhrAppointment,
    ) -> CoreResult<bool> {
        let status =
            appointment_status(&a.status).ok_or_else(|| invalid("EHR_UNSUPPORTED_STATUS"))?;
        let provider_id = match &a.practitioner {
            Some(p) => page.local(tx, ResourceKind::Practitioner, p).await?,
            None => None,
        };
        let location_id = match &a.location {
            Some(l) => page.local(tx, ResourceKind::Location, l).await?,
            None => None,
        };
        let (Some(provider_id), Some(location_id)) = (provider_id, location_id) else {
            return Err(invalid("EHR_APPOINTMENT_INCOMPLETE"));
        };
        if a.ends_at <= a.starts_at || a.ends_at - a.starts_at > chrono::Duration::hours(24) {
            return Err(invalid("EHR_INVALID_PERIOD"));
        }
        if HOLDING.contains(&status)
            && self.rows.values().any(|v| {
                v.provider_id == provider_id
                    && v.id != id
                    && HOLDING.contains(&v.status.as_str())
                    && v.starts_at < a.ends_at
                    && v.ends_at > a.starts_at
            })
        {
            return Err(invalid("EHR_APPOINTMENT_OVERLAP"));
        }
        let now = Utc::now();
        match existing {
            Some(id) => {
                let found = self.rows.get(&id).cloned().ok_or(CoreError::NotFound)?;
                let mut updated = found.clone();
                status.clone_into(&mut updated.status);
                updated.starts_at = a.starts_at;
                updated.ends_at = a.ends_at;
                updated.provider_id = provider_id;
                updated.location_id = location_id;
                if status == booking::CANCELLED && found.cancelled_at.is_none() {
                    updated.cancelled_at = Some(now);
                }
                updated.updated_at = now;
                // Reminders follow the visit: withdrawn when it is off or moved, planned anew.
                if updated.status != found.status || updated.starts_at != found.starts_at {
                    reminders::withdraw(tx, id).await?;
                    if updated.status == booking::BOOKED {
                        self.to_plan.push(id);
                    }
                }
                match self.inserts.get_mut(&id) {
                    Some(pending) => *pending = updated.clone(),
                    None => {
                        self.updates.insert(id, updated.clone());
                    }
                }
                self.rows.insert(id, updated);
            }
            None => {
                let type_id = self
                    .visit_type(tx, a.type_name.as_deref(), a.ends_at - a.starts_at)
                    .await?;
                let created = appointment::Model {
                    tenant_id: tx.tenant_id().as_uuid(),
                    id,
                    patient_id,
                    provider_id,
                    location_id,
                    appointment_type_id: type_id,
                    starts_at: a.starts_at,
                    ends_at: a.ends_at,
                    status: status.to_owned(),
                    booked_by: None,
                    booked_via: EHR_SOURCE.to_owned(),
                    rescheduled_from: None,
                    cancelled_at: (status == booking::CANCELLED).then_some(now),
                    cancelled_by: None,
                    confirmed_at: None,
                    created_at: now,
                    updated_at: now,
                };
                if created.status == booking::BOOKED {
                    self.to_plan.push(id);
                }
                self.inserts.insert(id, created.clone());
                self.rows.insert(id, created);
            }
        }
        Ok(status == booking::CANCELLED)
    }

    /// [`visit_type`], from the types read with the page.
    async fn visit_type(
        &mut self,
        tx: &TenantTx,
        name: Option<&str>,
        length: chrono::Duration,
    ) -> CoreResult<Uuid> {
        if let Some(name) = name
            && let Some(found) = self
                .types
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
        {
            return Ok(found.id);
        }
        if let Some(found) = self.types.iter().find(|t| t.name == EHR_VISIT_TYPE) {
            return Ok(found.id);
        }
        let id = visit_type(tx, None, length).await?;
        self.types = tx.find::<appointment_type::Entity>().all(tx.conn()).await?;
        Ok(id)
    }

    /// Writes the page's new and changed appointments, then plans the reminders of those
    /// booked.
    async fn flush(&mut self, tx: &TenantTx) -> CoreResult<()> {
        let conflict = [
            appointment::Column::TenantId.as_str(),
            appointment::Column::Id.as_str(),
        ];
        let inserts: Vec<appointment::ActiveModel> = self
            .inserts
            .drain()
            .map(|(_, v)| appointment::ActiveModel::from(v))
            .collect();
        super::batch::upsert(tx, inserts, &conflict, &[]).await?;
        // Only what the EHR's version changes.
        let written = [
            appointment::Column::Status,
            appointment::Column::StartsAt,
            appointment::Column::EndsAt,
            appointment::Column::ProviderId,
            appointment::Column::LocationId,
            appointment::Column::CancelledAt,
            appointment::Column::UpdatedAt,
        ];
        let kept: Vec<&str> = <appointment::Column as sea_orm::Iterable>::iter()
            .filter(|c| !written.iter().any(|w| w.as_str() == c.as_str()))
            .map(|c| c.as_str())
            .collect();
        let updates: Vec<appointment::ActiveModel> = self
            .updates
            .drain()
            .map(|(_, v)| appointment::ActiveModel::from(v))
            .collect();
        super::batch::upsert(tx, updates, &conflict, &kept).await?;
        let mut planned = std::collections::HashSet::new();
        let to_plan = std::mem::take(&mut self.to_plan);
        let visits: Vec<&appointment::Model> = to_plan
            .iter()
            .filter_map(|id| self.rows.get(id))
            .filter(|visit| visit.status == booking::BOOKED && planned.insert(visit.id))
            .collect();
        reminders::plan_all(tx, &visits, Utc::now()).await?;
        Ok(())
    }
}
