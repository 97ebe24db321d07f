//! How far each resource type's pull has come: the newest `meta.lastUpdated` applied, and the
//! instant deletions were last read from. A mark moves in the same transaction as the page
//! it covers, so a pull that stops half-way resumes from what was written.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use super::model::ResourceKind;
use crate::{
    CoreResult, TenantTx,
    entities::ehr_sync_mark::{self, Column, Entity, Model as Mark},
};

pub async fn get(tx: &TenantTx, kind: ResourceKind) -> CoreResult<Option<Mark>> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::ResourceType.eq(kind.as_str()))
        .one(tx.conn())
        .await?)
}

pub async fn all(tx: &TenantTx) -> CoreResult<Vec<Mark>> {
    Ok(tx.find::<Entity>().all(tx.conn()).await?)
}

async fn upsert(
    tx: &TenantTx,
    kind: ResourceKind,
    change: impl FnOnce(&mut ehr_sync_mark::ActiveModel),
) -> CoreResult<()> {
    let mut active: ehr_sync_mark::ActiveModel = match get(tx, kind).await? {
        Some(found) => found.into(),
        None => ehr_sync_mark::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            resource_type: Set(kind.as_str().to_owned()),
            last_updated: Set(None),
            deleted_since: Set(None),
            deletion_method: Set(None),
            reconciled_at: Set(None),
            updated_at: Set(Utc::now()),
        },
    };
    change(&mut active);
    active.updated_at = Set(Utc::now());
    if active.id.is_unchanged() {
        active.update(tx.conn()).await?;
    } else {
        active.insert(tx.conn()).await?;
    }
    Ok(())
}

/// Moves the update mark forward to `at` (never back).
pub async fn advance(tx: &TenantTx, kind: ResourceKind, at: DateTime<Utc>) -> CoreResult<()> {
    let current = get(tx, kind).await?.and_then(|m| m.last_updated);
    if current.is_some_and(|c| c >= at) {
        return Ok(());
    }
    upsert(tx, kind, |m| m.last_updated = Set(Some(at))).await
}

/// After a type's deletions were looked for: history is read from `since` next time, the
/// method used is kept for the status, and `reconciled` is when ids were last compared in
/// full (`None` keeps the previous instant).
pub async fn set_deletions(
    tx: &TenantTx,
    kind: ResourceKind,
    since: DateTime<Utc>,
    method: &str,
    reconciled: Option<DateTime<Utc>>,
) -> CoreResult<()> {
    upsert(tx, kind, |m| {
        m.deleted_since = Set(Some(since));
        m.deletion_method = Set(Some(method.to_owned()));
        if let Some(at) = reconciled {
            m.reconciled_at = Set(Some(at));
        }
    })
    .await
}
