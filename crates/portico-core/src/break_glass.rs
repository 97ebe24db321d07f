//! Break-glass access: a staff member opens a restricted chart outside their normal permission
//! for a limited time, with a stated reason. The opening is audited as `chart.break_glass`,
//! every event of theirs on the chart during the window carries the access's id (flagged),
//! and practice admins list the accesses and mark them reviewed.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::{self, Access, Actor},
    chart_access::{self, Viewer},
    entities::{break_glass_access, patient},
    identity::Role,
};

/// The shortest reason accepted (in characters, after trimming).
pub const MIN_REASON_CHARS: usize = 15;
const MAX_REASON_CHARS: usize = 1000;

fn access<'a>(action: &'a str, model: &break_glass_access::Model) -> Access<'a> {
    Access {
        action,
        resource_type: "BreakGlassAccess",
        resource_id: Some(model.id),
        patient_id: Some(model.patient_id),
    }
}

/// Opens `chart` to `viewer` for `ttl`, for `reason`.
pub async fn open(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    chart: PatientId,
    reason: &str,
    ttl: std::time::Duration,
) -> CoreResult<break_glass_access::Model> {
    let reason = reason.trim();
    let chars = reason.chars().count();
    if chars < MIN_REASON_CHARS {
        return Err(CoreError::invalid(
            "reason",
            "REASON_TOO_SHORT",
            format!("state the reason in at least {MIN_REASON_CHARS} characters"),
        ));
    }
    if chars > MAX_REASON_CHARS {
        return Err(CoreError::invalid(
            "reason",
            "REASON_TOO_LONG",
            format!("keep the reason under {MAX_REASON_CHARS} characters"),
        ));
    }
    if viewer.role == Role::Patient {
        return Err(CoreError::NotFound);
    }
    tx.find::<patient::Entity>()
        .filter(patient::Column::Id.eq(chart.as_uuid()))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if !chart_access::needs_break_glass(tx, viewer, chart.as_uuid()).await? {
        return Err(CoreError::invalid(
            "patientId",
            "BREAK_GLASS_NOT_NEEDED",
            "you may open this chart without breaking the glass",
        ));
    }
    let now = Utc::now();
    let ttl = Duration::from_std(ttl).unwrap_or_else(|_| Duration::hours(1));
    let model = break_glass_access::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(chart.as_uuid()),
        user_id: Set(viewer.user_id.as_uuid()),
        reason: Set(reason.to_owned()),
        expires_at: Set(now + ttl),
        reviewed_at: Set(None),
        reviewed_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let flagged = actor.clone().with_break_glass(Some(model.id));
    audit::record(tx, &flagged, access("chart.break_glass", &model)).await?;
    Ok(model)
}

/// Break-glass accesses, newest first; `reviewed` filters when set. Listing is audited.
pub async fn list(
    tx: &TenantTx,
    actor: &Actor,
    reviewed: Option<bool>,
    offset: u64,
    limit: u64,
) -> CoreResult<Vec<break_glass_access::Model>> {
    let mut query = tx
        .find::<break_glass_access::Entity>()
        .order_by_desc(break_glass_access::Column::Id);
    match reviewed {
        Some(true) => query = query.filter(break_glass_access::Column::ReviewedAt.is_not_null()),
        Some(false) => query = query.filter(break_glass_access::Column::ReviewedAt.is_null()),
        None => {}
    }
    let page = query.offset(offset).limit(limit).all(tx.conn()).await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "break_glass.list",
            resource_type: "BreakGlassAccess",
            resource_id: None,
            patient_id: None,
        },
    )
    .await?;
    Ok(page)
}

/// Marks an access reviewed (once; marking it again changes nothing).
pub async fn review(
    tx: &TenantTx,
    actor: &Actor,
    reviewer: crate::UserId,
    id: Uuid,
) -> CoreResult<break_glass_access::Model> {
    let found = tx
        .find::<break_glass_access::Entity>()
        .filter(break_glass_access::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if found.reviewed_at.is_some() {
        return Ok(found);
    }
    let mut active: break_glass_access::ActiveModel = found.into();
    let now = Utc::now();
    active.reviewed_at = Set(Some(now));
    active.reviewed_by = Set(Some(reviewer.as_uuid()));
    active.updated_at = Set(now);
    let updated = active.update(tx.conn()).await?;
    audit::record(tx, actor, access("break_glass.review", &updated)).await?;
    Ok(updated)
}
