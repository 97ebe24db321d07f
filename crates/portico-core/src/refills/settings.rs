//! The practice's refill settings: the turnaround target, the pool refills fall back to,
//! and each provider's covering provider.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use super::DEFAULT_TURNAROUND_HOURS;
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{care_team_pool, provider, tenant},
    tenants,
};

/// Hours a practice aims to decide a refill in.
pub fn turnaround_hours(practice: &tenant::Model) -> i32 {
    practice
        .refill_turnaround_hours
        .unwrap_or(DEFAULT_TURNAROUND_HOURS)
}

/// Sets the turnaround target (1 to 720 hours; `None` restores the default) and the
/// fallback pool (an active care-team pool of the practice, or none).
pub async fn set(
    tx: &TenantTx,
    actor: &Actor,
    turnaround_hours: Option<i32>,
    pool_id: Option<Uuid>,
) -> CoreResult<tenant::Model> {
    if turnaround_hours.is_some_and(|h| !(1..=720).contains(&h)) {
        return Err(CoreError::invalid(
            "turnaroundHours",
            "OUT_OF_RANGE",
            "must be 1 to 720 hours",
        ));
    }
    if let Some(pool) = pool_id {
        // Another practice's pool, or none, is not found; a retired one is a mistake.
        let found = tx
            .find::<care_team_pool::Entity>()
            .filter(care_team_pool::Column::Id.eq(pool))
            .one(tx.conn())
            .await?
            .ok_or(CoreError::NotFound)?;
        if !found.active {
            return Err(CoreError::invalid(
                "poolId",
                "UNKNOWN_POOL",
                "not an active care-team pool of this practice",
            ));
        }
    }
    let found = tenants::own_row(tx).await?;
    tx.changed(crate::caches::Change::Tenant);
    let mut active: tenant::ActiveModel = found.tenant.into();
    active.refill_turnaround_hours = Set(turnaround_hours);
    active.refill_pool_id = Set(pool_id);
    active.updated_at = Set(Utc::now());
    let updated = active.update(tx.conn()).await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "refill_settings.update",
            resource_type: "Tenant",
            resource_id: Some(updated.id),
            patient_id: None,
        },
    )
    .await?;
    Ok(updated)
}

/// Sets who takes `provider_id`'s refills while they are away: another active provider, or
/// nobody.
pub async fn set_covering(
    tx: &TenantTx,
    actor: &Actor,
    provider_id: Uuid,
    covering: Option<Uuid>,
) -> CoreResult<provider::Model> {
    let found = tx
        .find::<provider::Entity>()
        .filter(provider::Column::Id.eq(provider_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if let Some(covering) = covering {
        let other = tx
            .find::<provider::Entity>()
            .filter(provider::Column::Id.eq(covering))
            .one(tx.conn())
            .await?
            .ok_or(CoreError::NotFound)?;
        if covering == provider_id || !other.active {
            return Err(CoreError::invalid(
                "coveringProviderId",
                "INVALID_COVERING_PROVIDER",
                "another active provider of this practice",
            ));
        }
    }
    tx.changed(crate::caches::Change::Catalog);
    let mut active: provider::ActiveModel = found.into();
    active.covering_provider_id = Set(covering);
    let updated = active.update(tx.conn()).await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "provider.set_covering",
            resource_type: "Provider",
            resource_id: Some(updated.id),
            patient_id: None,
        },
    )
    .await?;
    Ok(updated)
}
