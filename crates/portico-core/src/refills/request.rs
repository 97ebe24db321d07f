//! Asking for a refill: checks who asks and what for, writes the request and, in the same
//! transaction, the outbox row that runs the routing job once it commits. One pending
//! request per medication is held by a unique index, so two at once cannot both land.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::OnConflict};
use uuid::Uuid;

use super::{REQUESTED, record};
use crate::{
    CoreError, CoreResult, TenantTx, UserId, audit,
    audit::Actor,
    entities::{
        medication_request, patient,
        refill_request::{self, Column, Entity, Model as Refill},
    },
    outbox,
    ports::Job,
};

pub const MAX_PHARMACY: usize = 200;
pub const MAX_NOTE: usize = 1000;
/// The proxy scope that lets a caregiver ask for refills.
pub const PROXY_SCOPE: &str = "refills";

#[derive(Clone, Debug)]
pub struct RefillInput {
    pub medication_id: Uuid,
    pub pharmacy: String,
    pub note: Option<String>,
}

/// Whether `user` may ask for refills on `chart`: their own, or through a proxy grant with
/// the `refills` scope.
pub async fn may_request(tx: &TenantTx, user: UserId, chart: &patient::Model) -> CoreResult<bool> {
    if chart.user_id == Some(user.as_uuid()) {
        return Ok(true);
    }
    crate::proxies::allows(tx, user, chart.id, PROXY_SCOPE).await
}

/// The chart whose refill requests `viewer` may list: as for any record (own chart, a proxy
/// with `read`, staff), or through a proxy grant with `refills`, which lets its holder follow
/// the requests they may make.
pub async fn chart_for_listing(
    tx: &TenantTx,
    viewer: &crate::chart_access::Viewer,
    patient: crate::PatientId,
) -> CoreResult<crate::chart_access::OpenChart> {
    use crate::chart_access::{self, OpenChart, Purpose, Relationship};
    match chart_access::open(tx, viewer, patient, Purpose::Read).await {
        Err(CoreError::NotFound) if viewer.role == crate::identity::Role::Patient => {
            let chart = tx
                .find::<patient::Entity>()
                .filter(patient::Column::Id.eq(patient.as_uuid()))
                .one(tx.conn())
                .await?
                .ok_or(CoreError::NotFound)?;
            if crate::proxies::allows(tx, viewer.user_id, chart.id, PROXY_SCOPE).await? {
                Ok(OpenChart {
                    chart,
                    relationship: Relationship::Proxy,
                    break_glass: None,
                })
            } else {
                Err(CoreError::NotFound)
            }
        }
        other => other,
    }
}

fn already_pending() -> CoreError {
    CoreError::invalid(
        "medicationId",
        "REFILL_ALREADY_PENDING",
        "a refill of this medication is already waiting for a decision",
    )
}

/// Checks the fields: a pharmacy of 1 to 200 characters, an optional note of at most 1000.
pub fn checked(pharmacy: &str, note: Option<String>) -> CoreResult<(String, Option<String>)> {
    let pharmacy = pharmacy.trim();
    if pharmacy.is_empty() || pharmacy.chars().count() > MAX_PHARMACY {
        return Err(CoreError::invalid(
            "pharmacy",
            "INVALID_PHARMACY",
            format!("name the pharmacy in 1 to {MAX_PHARMACY} characters"),
        ));
    }
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(CoreError::invalid(
            "note",
            "NOTE_TOO_LONG",
            format!("at most {MAX_NOTE} characters"),
        ));
    }
    Ok((pharmacy.to_owned(), note))
}

/// Asks for a refill of `input.medication_id` as `requester`. A medication of a chart the
/// requester may not ask for is `NotFound`, as one that does not exist.
pub async fn request(
    tx: &TenantTx,
    actor: &Actor,
    requester: UserId,
    input: RefillInput,
) -> CoreResult<Refill> {
    // First: requests of one practice take turns, so the pending check below sees any
    // request committed just before.
    audit::lock(tx).await?;
    let medication = tx
        .find::<medication_request::Entity>()
        .filter(medication_request::Column::Id.eq(input.medication_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let chart = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(medication.patient_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if !may_request(tx, requester, &chart).await? {
        return Err(crate::proxies::refusal(tx, requester, chart.id, PROXY_SCOPE).await?);
    }
    if medication.status != "active" {
        return Err(CoreError::invalid(
            "medicationId",
            "MEDICATION_NOT_ACTIVE",
            "only an active medication can be refilled",
        ));
    }
    let (pharmacy, note) = checked(&input.pharmacy, input.note)?;
    let pending = tx
        .find::<Entity>()
        .filter(Column::OpenMedicationId.eq(medication.id))
        .one(tx.conn())
        .await?;
    if pending.is_some() {
        return Err(already_pending());
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let row = refill_request::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(id),
        patient_id: Set(chart.id),
        medication_request_id: Set(medication.id),
        open_medication_id: Set(Some(medication.id)),
        requested_by: Set(requester.as_uuid()),
        pharmacy: Set(pharmacy),
        note: Set(note),
        status: Set(REQUESTED.to_owned()),
        route: Set(None),
        route_reason: Set(None),
        assigned_pool_id: Set(None),
        assigned_user_id: Set(None),
        due_at: Set(None),
        routed_at: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        approved_quantity: Set(None),
        approved_refills: Set(None),
        deny_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    // The unique index is the backstop: a request that raced past the check above keeps
    // the first one (and, with ON CONFLICT, leaves the transaction usable on PostgreSQL).
    let inserted = Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::TenantId, Column::OpenMedicationId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
    if inserted == 0 {
        return Err(already_pending());
    }
    let job = Job::RouteRefill {
        tenant_id: tx.tenant_id(),
        refill_id: id,
    };
    outbox::job(tx, &format!("refill:{id}:route"), &job).await?;
    let created = super::find(tx, id).await?;
    record(tx, actor, "refill.request", &created).await?;
    crate::events::publish(
        tx,
        crate::events::Event::RefillRequested {
            refill_id: created.id,
            patient_id: created.patient_id,
        },
    )
    .await?;
    Ok(created)
}
