//! What the sync leaves for staff: an EHR patient who matches several charts (their records
//! wait until someone picks the chart, or says it is a new patient), an EHR patient who
//! looks like a second registration of a patient already linked (their records wait until
//! someone says it is another person, who then gets a chart; or until the EHR merges the
//! registration away, marking it inactive, which closes the review), and a demographic
//! change the EHR refused because its record changed meanwhile (kept, or sent again over
//! the EHR's version, by a person; never overwritten silently).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::{links, model::ResourceKind};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{
        ehr_review::{self, Column, Entity, Model as Review},
        patient,
    },
};

pub const PATIENT_MATCH: &str = "patient_match";
/// An EHR patient with the name and birth date of a chart already linked to another EHR
/// patient (a second registration of one person, or two people alike).
pub const POSSIBLE_DUPLICATE: &str = "possible_duplicate";
pub const WRITE_CONFLICT: &str = "write_conflict";
pub const OPEN: &str = "open";
pub const RESOLVED: &str = "resolved";

/// How staff settle a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The EHR patient is this chart.
    Link(Uuid),
    /// The EHR patient is none of the candidates: a new chart.
    CreatePatient,
    /// Send Portico's change again over the EHR's current version.
    Overwrite,
    /// Keep the EHR's record; Portico's change is not sent.
    KeepEhr,
}

impl Resolution {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Link(_) => "link",
            Self::CreatePatient => "create_patient",
            Self::Overwrite => "overwrite",
            Self::KeepEhr => "keep_ehr",
        }
    }
}

pub fn candidates_of(review: &Review) -> Vec<Uuid> {
    serde_json::from_str(&review.candidates).unwrap_or_default()
}

pub async fn open_for(
    tx: &TenantTx,
    kind: &str,
    resource: ResourceKind,
    fhir_id: &str,
) -> CoreResult<Option<Review>> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::Kind.eq(kind))
        .filter(Column::ResourceType.eq(resource.as_str()))
        .filter(Column::FhirId.eq(fhir_id))
        .filter(Column::Status.eq(OPEN))
        .one(tx.conn())
        .await?)
}

/// Opens (or reopens) the review of a subject.
async fn open(
    tx: &TenantTx,
    kind: &str,
    resource: ResourceKind,
    fhir_id: &str,
    candidates: &[Uuid],
    patient_id: Option<Uuid>,
    outbox_id: Option<Uuid>,
) -> CoreResult<Review> {
    let candidates = serde_json::to_string(candidates).unwrap_or_else(|_| "[]".to_owned());
    let found = tx
        .find::<Entity>()
        .filter(Column::Kind.eq(kind))
        .filter(Column::ResourceType.eq(resource.as_str()))
        .filter(Column::FhirId.eq(fhir_id))
        .one(tx.conn())
        .await?;
    let now = Utc::now();
    let mut active: ehr_review::ActiveModel = match found {
        Some(found) => found.into(),
        None => ehr_review::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            kind: Set(kind.to_owned()),
            resource_type: Set(resource.as_str().to_owned()),
            fhir_id: Set(fhir_id.to_owned()),
            ..Default::default()
        },
    };
    active.candidates = Set(candidates);
    active.patient_id = Set(patient_id);
    active.outbox_id = Set(outbox_id);
    active.status = Set(OPEN.to_owned());
    active.resolution = Set(None);
    active.resolved_by = Set(None);
    active.resolved_at = Set(None);
    active.created_at = Set(now);
    Ok(if active.id.is_unchanged() {
        active.update(tx.conn()).await?
    } else {
        active.insert(tx.conn()).await?
    })
}

pub async fn open_match(tx: &TenantTx, fhir_id: &str, candidates: &[Uuid]) -> CoreResult<Review> {
    open(
        tx,
        PATIENT_MATCH,
        ResourceKind::Patient,
        fhir_id,
        candidates,
        None,
        None,
    )
    .await
}

pub async fn open_duplicate(tx: &TenantTx, fhir_id: &str, charts: &[Uuid]) -> CoreResult<Review> {
    open(
        tx,
        POSSIBLE_DUPLICATE,
        ResourceKind::Patient,
        fhir_id,
        charts,
        None,
        None,
    )
    .await
}

/// Closes the open duplicate review of an EHR patient the EHR has since marked inactive
/// (merged into the other registration): nothing is left to decide. Returns whether one
/// was open.
pub async fn close_merged(tx: &TenantTx, fhir_id: &str) -> CoreResult<bool> {
    let Some(review) = open_for(tx, POSSIBLE_DUPLICATE, ResourceKind::Patient, fhir_id).await?
    else {
        return Ok(false);
    };
    let mut active: ehr_review::ActiveModel = review.into();
    active.status = Set(RESOLVED.to_owned());
    active.resolution = Set(Some(MERGED_IN_EHR.to_owned()));
    active.resolved_at = Set(Some(Utc::now()));
    active.update(tx.conn()).await?;
    Ok(true)
}

/// How a duplicate review closes when the EHR merges the registration away.
pub const MERGED_IN_EHR: &str = "merged_in_ehr";

pub async fn open_conflict(
    tx: &TenantTx,
    fhir_id: &str,
    patient_id: Uuid,
    outbox_id: Uuid,
) -> CoreResult<Review> {
    open(
        tx,
        WRITE_CONFLICT,
        ResourceKind::Patient,
        fhir_id,
        &[],
        Some(patient_id),
        Some(outbox_id),
    )
    .await
}

/// The match and duplicate reviews of these EHR patients, whatever their status, so a page
/// of patients is matched with one read.
pub async fn of_patients(tx: &TenantTx, fhir_ids: &[&str]) -> CoreResult<Vec<Review>> {
    let mut out = Vec::new();
    for chunk in fhir_ids.chunks(1_000) {
        out.extend(
            tx.find::<Entity>()
                .filter(Column::Kind.is_in([PATIENT_MATCH, POSSIBLE_DUPLICATE]))
                .filter(Column::ResourceType.eq(ResourceKind::Patient.as_str()))
                .filter(Column::FhirId.is_in(chunk.iter().copied()))
                .all(tx.conn())
                .await?,
        );
    }
    Ok(out)
}

/// Whether staff said this EHR patient is a new chart (the pull then creates one).
pub async fn decided_new(tx: &TenantTx, fhir_id: &str) -> CoreResult<bool> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::Kind.is_in([PATIENT_MATCH, POSSIBLE_DUPLICATE]))
        .filter(Column::ResourceType.eq(ResourceKind::Patient.as_str()))
        .filter(Column::FhirId.eq(fhir_id))
        .filter(Column::Status.eq(RESOLVED))
        .filter(Column::Resolution.eq(Resolution::CreatePatient.name()))
        .one(tx.conn())
        .await?
        .is_some())
}

/// Open reviews, oldest first.
pub async fn list_open(tx: &TenantTx, limit: u64) -> CoreResult<Vec<Review>> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::Status.eq(OPEN))
        .order_by_asc(Column::CreatedAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<Review> {
    tx.find::<Entity>()
        .filter(Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// The refused write is settled by the review: it is not to be retried from the failed list.
async fn cancel_conflicted(tx: &TenantTx, review: &Review) -> CoreResult<()> {
    if let Some(id) = review.outbox_id {
        crate::outbox::cancel(tx, id).await?;
    }
    Ok(())
}

/// Settles an open review. A match links (or creates) the chart; the caller then pulls the
/// EHR patient's records. A conflict is kept, or its change queued again over the EHR's
/// version.
pub async fn resolve(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
    resolution: Resolution,
) -> CoreResult<Review> {
    let review = find(tx, id).await?;
    if review.status != OPEN {
        return Err(CoreError::invalid(
            "id",
            "REVIEW_CLOSED",
            "this review is already settled",
        ));
    }
    let wrong = || {
        CoreError::invalid(
            "resolution",
            "RESOLUTION_NOT_ALLOWED",
            "that resolution does not apply to this review",
        )
    };
    match (review.kind.as_str(), resolution) {
        (PATIENT_MATCH, Resolution::Link(chart)) => {
            let exists = tx
                .find::<patient::Entity>()
                .filter(patient::Column::Id.eq(chart))
                .one(tx.conn())
                .await?
                .is_some();
            // One of the charts offered: a review is not a way to link any chart at all.
            if !exists
                || !candidates_of(&review).contains(&chart)
                || links::by_local(tx, ResourceKind::Patient, chart)
                    .await?
                    .is_some()
            {
                return Err(CoreError::invalid(
                    "patientId",
                    "PATIENT_NOT_AVAILABLE",
                    "not one of the charts offered, or linked to another EHR patient",
                ));
            }
            // Linked without a version: the next pull of the patient takes its details.
            links::set(
                tx,
                ResourceKind::Patient,
                &review.fhir_id,
                chart,
                None,
                Some(chart),
            )
            .await?;
        }
        (PATIENT_MATCH | POSSIBLE_DUPLICATE, Resolution::CreatePatient) => {
            // The chart is made by the pull that follows, which now finds no open review
            // and no candidate it may take.
        }
        (WRITE_CONFLICT, Resolution::Overwrite) => {
            let patient_id = review.patient_id.ok_or(CoreError::NotFound)?;
            super::writeback::queue_demographics(tx, patient_id, true).await?;
            cancel_conflicted(tx, &review).await?;
        }
        // The pull of the patient that follows takes the EHR's record.
        (WRITE_CONFLICT, Resolution::KeepEhr) => cancel_conflicted(tx, &review).await?,
        _ => return Err(wrong()),
    }
    let mut active: ehr_review::ActiveModel = review.into();
    active.status = Set(RESOLVED.to_owned());
    active.resolution = Set(Some(resolution.name().to_owned()));
    active.resolved_by = Set(actor.id);
    active.resolved_at = Set(Some(Utc::now()));
    let review = active.update(tx.conn()).await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "ehr.review.resolve",
            resource_type: "EhrReview",
            resource_id: Some(review.id),
            patient_id: review.patient_id,
        },
    )
    .await?;
    Ok(review)
}

/// Settles a review and queues the pull that follows it: the matched patient's records, or
/// the EHR's record after a conflict.
pub async fn resolve_and_pull(
    tx: &TenantTx,
    actor: &Actor,
    tenant_id: crate::TenantId,
    id: Uuid,
    resolution: Resolution,
) -> CoreResult<Review> {
    let review = resolve(tx, actor, id, resolution).await?;
    crate::outbox::job(
        tx,
        &format!("ehr-review:{}", review.id),
        &crate::ports::Job::SyncEhr {
            tenant_id,
            review_id: Some(review.id),
            manual: true,
        },
    )
    .await?;
    Ok(review)
}
