//! The time-driven half of the lifecycle: making the accounts of practices billing has not
//! seen yet, and ending the trials and grace periods that ran out (the every-minute sweep).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{accounts, settings::BillingSettings};
use crate::{
    CoreResult, Db,
    entities::{billing_account, tenant},
    tenants::PLATFORM_SLUG,
};

/// Ends trials and grace periods that ran out, for every practice whose account says one
/// is running; the practices whose status changed.
pub async fn sweep(
    db: &Db,
    settings: &BillingSettings,
    now: DateTime<Utc>,
) -> CoreResult<Vec<Uuid>> {
    let running = billing_account::Entity::find()
        .filter(billing_account::Column::Status.is_in([
            crate::entities::tenant_status::TRIAL,
            crate::entities::tenant_status::PAST_DUE,
        ]))
        .all(db.conn())
        .await?;
    let mut changed = Vec::new();
    for account in running {
        let due = super::lifecycle::status((&account).into(), settings.grace, now);
        if due == account.status {
            continue;
        }
        let txn = db.begin_write().await?;
        accounts::hold(&txn, account.tenant_id, now).await?;
        let settled = accounts::settle(&txn, account.tenant_id, settings, now).await?;
        txn.commit().await?;
        db.caches().changed(
            crate::TenantId::from_uuid(account.tenant_id),
            crate::caches::Change::Tenant,
        );
        if settled.status != account.status {
            changed.push(account.tenant_id);
        }
    }
    Ok(changed)
}

/// Makes the account of every practice billing has not seen yet (their trials start).
pub async fn ensure_all(
    db: &Db,
    settings: &BillingSettings,
    now: DateTime<Utc>,
) -> CoreResult<usize> {
    use sea_orm::QuerySelect;
    let known: std::collections::HashSet<Uuid> = billing_account::Entity::find()
        .select_only()
        .column(billing_account::Column::TenantId)
        .into_tuple()
        .all(db.conn())
        .await?
        .into_iter()
        .collect();
    let practices: Vec<Uuid> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .filter(tenant::Column::Slug.ne(PLATFORM_SLUG))
        .into_tuple()
        .all(db.conn())
        .await?;
    let mut made = 0;
    for id in practices.into_iter().filter(|id| !known.contains(id)) {
        let txn = db.begin_write().await?;
        accounts::ensure_in(&txn, id, settings, now).await?;
        accounts::settle(&txn, id, settings, now).await?;
        txn.commit().await?;
        db.caches().changed(
            crate::TenantId::from_uuid(id),
            crate::caches::Change::Tenant,
        );
        made += 1;
    }
    Ok(made)
}
