//! A practice's status, where the operator's hold and the subscription meet: an operator
//! suspends a practice or lifts the suspension, and with billing on, lifting it returns the
//! practice to what its subscription makes it. It sits above both the tenant directory and
//! billing so that neither depends on the other's rules.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::{
    CoreError, CoreResult, TenantTx, billing, caches,
    entities::{billing_account, tenant, tenant_status},
    tenants::{self, ResolvedTenant},
};

/// Suspends the transaction's practice (`reason` is shown to its staff) or reactivates it,
/// in the transaction that also records the audit event. With billing on, reactivating
/// returns the practice to what its subscription makes it.
pub async fn set_status(
    tx: &TenantTx,
    suspend: bool,
    reason: Option<String>,
    billing_on: bool,
) -> CoreResult<ResolvedTenant> {
    let found = Some(tenants::own_row(tx).await?)
        .filter(|t| !t.is_platform())
        .ok_or(CoreError::NotFound)?;
    if let Some(r) = &reason
        && r.chars().count() > 500
    {
        return Err(CoreError::invalid(
            "reason",
            "INVALID_REASON",
            "at most 500 characters",
        ));
    }
    // The account first (as webhooks and the sweep take them), so a subscription settling
    // meanwhile either sees this hold or is seen by it.
    let billing = if billing_on {
        billing::accounts::hold(tx.conn(), found.tenant.id, Utc::now()).await?;
        billing_account::Entity::find_by_id(found.tenant.id)
            .one(tx.conn())
            .await?
    } else {
        None
    };
    tx.changed(caches::Change::Tenant);
    let mut active: tenant::ActiveModel = found.tenant.into();
    let now = Utc::now();
    let status = match (suspend, billing) {
        (true, _) => tenant_status::SUSPENDED.to_owned(),
        (false, Some(account)) => account.status,
        (false, None) => tenant_status::ACTIVE.to_owned(),
    };
    active.status_reason = Set(if suspend {
        reason
    } else {
        billing::lifecycle::reason(&status).map(str::to_owned)
    });
    active.status = Set(status);
    active.operator_hold = Set(suspend);
    active.status_changed_at = Set(Some(now));
    active.updated_at = Set(now);
    Ok(ResolvedTenant {
        tenant: active.update(tx.conn()).await?,
    })
}

/// The audit event of an operator suspending (`tenant.suspend`) or reactivating
/// (`tenant.reactivate`) a practice; recorded in the practice's log and the platform's.
pub fn status_event(suspend: bool, tenant: uuid::Uuid) -> crate::audit::Access<'static> {
    crate::audit::Access {
        action: if suspend {
            "tenant.suspend"
        } else {
            "tenant.reactivate"
        },
        resource_type: "Tenant",
        resource_id: Some(tenant),
        patient_id: None,
    }
}

/// An operator suspends or reactivates the transaction's practice ([`set_status`]); the
/// change and the practice's own audit event commit together.
pub async fn change_status(
    tx: &TenantTx,
    actor: &crate::audit::Actor,
    suspend: bool,
    reason: Option<String>,
    billing_on: bool,
) -> CoreResult<ResolvedTenant> {
    let changed = set_status(tx, suspend, reason, billing_on).await?;
    crate::audit::record(tx, actor, status_event(suspend, changed.tenant.id)).await?;
    Ok(changed)
}
