//! Applying a page of EHR changes to the chart, in one transaction with the page's mark.
//!
//! Each resource is resolved against the id map (its patient, encounter, results,
//! prescriber), checked with the chart's own rules, and created or updated with
//! `source = 'ehr'` and its FHIR id. A resource that fails is refused on its own (by id and
//! code, never content) and the rest of the page still syncs; one whose patient is not
//! matched yet waits. `entered-in-error` and deleted resources leave the chart: records take
//! the `entered-in-error` status (hidden from patients), appointments are cancelled.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use super::{
    columns, links, matching,
    model::{Change, EhrAppointment, Inbound, Mapped, ResourceKind, Statuses},
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

/// Updates the record the EHR resource is linked to, or inserts it with its creation time
/// (and the fields only a new record takes).
macro_rules! save_row {
    ($tx:expr, $existing:expr, $active:ident, $now:expr $(, $field:ident = $value:expr)*) => {
        if $existing.is_some() {
            $active.update($tx.conn()).await?;
        } else {
            $( $active.$field = Set($value); )*
            $active.created_at = Set($now);
            $active.insert($tx.conn()).await?;
        }
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
    let mut newest: Option<DateTime<Utc>> = None;
    let mut tally = TypeCounts::default();
    for change in changes {
        tally.fetched += 1;
        match change {
            Change::Rejected {
                kind: rejected_kind,
                fhir_id,
                code,
                last_updated,
            } => {
                newest = newest.max(last_updated);
                // A record the EHR has since labelled restricted leaves the portal too.
                if code == RESTRICTED
                    && let Some(fhir_id) = &fhir_id
                {
                    remove(tx, rejected_kind, fhir_id).await?;
                }
                refuse(
                    tx,
                    run_id,
                    rejected_kind,
                    fhir_id.as_deref(),
                    code,
                    &mut tally,
                )
                .await?;
            }
            Change::Deleted { kind, fhir_id } => {
                if remove(tx, kind, &fhir_id).await? {
                    tally.removed += 1;
                } else {
                    tally.unchanged += 1;
                }
            }
            Change::Upsert(mapped) => {
                newest = newest.max(mapped.last_updated);
                let mapped_kind = mapped.kind();
                let fhir_id = mapped.fhir_id.clone();
                let patient = mapped.record.patient().map(str::to_owned);
                let was_linked = mapped_kind == ResourceKind::Patient
                    && links::by_fhir(tx, mapped_kind, &fhir_id).await?.is_some();
                // Each resource in a savepoint: one the database refuses is undone alone
                // and refused, and the rest of the page (and its mark) still goes in.
                let one = tx.savepoint().await?;
                let applied = upsert(&one, mapped).await;
                match &applied {
                    Ok(_) => one.commit().await?,
                    Err(_) => one.rollback().await?,
                }
                match applied {
                    Ok(Applied::Changed) => {
                        tally.applied += 1;
                        if mapped_kind == ResourceKind::Patient && !was_linked {
                            followups.linked.insert(fhir_id);
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
                        refuse(tx, run_id, mapped_kind, Some(&fhir_id), code, &mut tally).await?;
                    }
                    Err(CoreError::Database(e)) => match columns::unstorable(&e) {
                        Some(code) => {
                            refuse(tx, run_id, mapped_kind, Some(&fhir_id), code, &mut tally)
                                .await?;
                        }
                        None => return Err(CoreError::Database(e)),
                    },
                    Err(e) => return Err(e),
                }
            }
        }
    }
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

/// The local chart of an EHR patient, if matched.
async fn chart_of(tx: &TenantTx, patient: &str) -> CoreResult<Option<Uuid>> {
    links::local(tx, ResourceKind::Patient, patient).await
}

/// The local id of a referenced record, which must be in the same chart.
async fn same_chart(
    tx: &TenantTx,
    kind: ResourceKind,
    fhir_id: Option<&str>,
    patient_id: Uuid,
) -> CoreResult<Option<Uuid>> {
    let Some(fhir_id) = fhir_id else {
        return Ok(None);
    };
    match links::by_fhir(tx, kind, fhir_id).await? {
        Some(link) if link.patient_id == Some(patient_id) => Ok(Some(link.local_id)),
        Some(_) => Err(invalid("EHR_CROSS_PATIENT_REFERENCE")),
        None => Ok(None),
    }
}

async fn upsert(tx: &TenantTx, mapped: Mapped) -> CoreResult<Applied> {
    let kind = mapped.kind();
    let link = links::by_fhir(tx, kind, &mapped.fhir_id).await?;
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
        return matching::apply(tx, fhir_id, version, &patient).await;
    }
    if let Inbound::Practitioner(p) = &mapped.record {
        tx.changed(crate::caches::Change::Catalog);
        let name = records::required("name", &p.display_name, columns::PROVIDER_NAME_MAX)?;
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
        links::set(tx, kind, fhir_id, id, version, None).await?;
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
        links::set(tx, kind, fhir_id, id, version, None).await?;
        return Ok(Applied::Changed);
    }
    let Some(patient_ref) = mapped.record.patient() else {
        return Err(invalid("EHR_MISSING_FIELD"));
    };
    let Some(patient_id) = chart_of(tx, patient_ref).await? else {
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
                Some(p) => match links::local(tx, ResourceKind::Practitioner, &p).await? {
                    Some(pid) => provider_name(tx, pid).await?,
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
            save_row!(tx, existing, active, now, summary = None);
        }
        Inbound::Appointment(a) => {
            // A change made in Portico and not yet written back wins until it is.
            if let Some(existing) = existing
                && super::writeback::appointment_pending(tx, existing).await?
            {
                return Ok(Applied::Unchanged);
            }
            removed = apply_appointment(tx, existing, id, patient_id, &a).await?;
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
            save_row!(tx, existing, active, now, report_id = None);
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
                ResourceKind::Encounter,
                encounter.as_deref(),
                patient_id,
            )
            .await?;
            let mut result_ids = Vec::with_capacity(results.len());
            for result in &results {
                if let Some(local) =
                    same_chart(tx, ResourceKind::Observation, Some(result), patient_id).await?
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
            save_row!(tx, existing, active, now);
            if !result_ids.is_empty() {
                tx.update::<observation::Entity>()
                    .col_expr(observation::Column::ReportId, Expr::value(Some(id)))
                    .filter(observation::Column::Id.is_in(result_ids))
                    .filter(observation::Column::PatientId.eq(patient_id))
                    .exec(tx.conn())
                    .await?;
            }
        }
        Inbound::VisitSummary {
            encounter,
            status,
            text,
            ..
        } => {
            let Some(encounter_id) =
                same_chart(tx, ResourceKind::Encounter, Some(&encounter), patient_id).await?
            else {
                // The visit is not in Portico (yet): the note waits with it.
                return Ok(Applied::Waiting);
            };
            // A note a newer one replaced is left alone (the newer one wrote the summary).
            if status == "superseded" {
                return Ok(Applied::Unchanged);
            }
            removed = status == ENTERED_IN_ERROR;
            if removed && other_note_of(tx, encounter_id, fhir_id).await? {
                // Another note of the visit holds the summary now: it stays.
                links::remove(tx, kind, fhir_id).await?;
                return Ok(Applied::Removed);
            }
            let summary = if removed {
                None
            } else {
                records::optional("summary", Some(text), 20_000)?
            };
            tx.update::<encounter::Entity>()
                .col_expr(encounter::Column::Summary, Expr::value(summary))
                .col_expr(encounter::Column::UpdatedAt, Expr::value(now))
                .filter(encounter::Column::Id.eq(encounter_id))
                .exec(tx.conn())
                .await?;
            // The note's own link points at its encounter.
            links::set(tx, kind, fhir_id, encounter_id, version, Some(patient_id)).await?;
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
                Some(p) => links::local(tx, ResourceKind::Practitioner, p).await?,
                None => None,
            };
            let prescriber_name = match prescriber_id {
                Some(pid) => provider_name(tx, pid).await?,
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
            save_row!(tx, existing, active, now, controlled = input.controlled);
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
            save_row!(tx, existing, active, now);
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
            save_row!(tx, existing, active, now);
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
            save_row!(tx, existing, active, now);
        }
        Inbound::Patient(_) | Inbound::Practitioner(_) | Inbound::Location(_) => {
            unreachable!("handled above")
        }
    }
    links::set(tx, kind, fhir_id, id, version, Some(patient_id)).await?;
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
async fn other_note_of(tx: &TenantTx, encounter_id: Uuid, fhir_id: &str) -> CoreResult<bool> {
    use crate::entities::ehr_link;
    Ok(tx
        .find::<ehr_link::Entity>()
        .filter(ehr_link::Column::ResourceType.eq(ResourceKind::DocumentReference.as_str()))
        .filter(ehr_link::Column::LocalId.eq(encounter_id))
        .filter(ehr_link::Column::FhirId.ne(fhir_id))
        .one(tx.conn())
        .await?
        .is_some())
}

async fn provider_name(tx: &TenantTx, id: Uuid) -> CoreResult<Option<String>> {
    Ok(tx
        .find::<provider::Entity>()
        .filter(provider::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .map(|p| p.display_name))
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
    existing: Option<Uuid>,
    id: Uuid,
    patient_id: Uuid,
    a: &EhrAppointment,
) -> CoreResult<bool> {
    let status = appointment_status(&a.status).ok_or_else(|| invalid("EHR_UNSUPPORTED_STATUS"))?;
    let provider_id = match &a.practitioner {
        Some(p) => links::local(tx, ResourceKind::Practitioner, p).await?,
        None => None,
    };
    let location_id = match &a.location {
        Some(l) => links::local(tx, ResourceKind::Location, l).await?,
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
async fn remove(tx: &TenantTx, kind: ResourceKind, fhir_id: &str) -> CoreResult<bool> {
    let Some(link) = links::by_fhir(tx, kind, fhir_id).await? else {
        return Ok(false);
    };
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
        ResourceKind::DocumentReference if other_note_of(tx, id, fhir_id).await? => {}
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
    links::remove(tx, kind, fhir_id).await?;
    Ok(true)
}
