//! Sync runs: when each pull started and ended, what it did per resource type, and why it
//! failed, for the admins' status page. Refused resources are kept by id and code only.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::ResourceKind;
use crate::{
    CoreError, CoreResult, TenantTx,
    entities::{
        ehr_rejection,
        ehr_sync_run::{self, Column, Entity, Model as Run},
    },
};

pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
/// Finished, with some resources refused or waiting for a patient match.
pub const PARTIAL: &str = "partial";
pub const FAILED: &str = "failed";

pub const SCHEDULE: &str = "schedule";
pub const MANUAL: &str = "manual";
pub const REVIEW: &str = "review";

/// What a run did with one resource type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeCounts {
    /// Resources read from the EHR.
    pub fetched: u64,
    /// Created or changed in Portico.
    pub applied: u64,
    /// Already as the EHR has them.
    pub unchanged: u64,
    /// Refused (malformed, hostile, or not valid for the chart).
    pub rejected: u64,
    /// Taken out of the chart (deleted or entered in error in the EHR).
    pub removed: u64,
    /// Held until staff match their patient.
    pub waiting: u64,
}

pub type Counts = BTreeMap<String, TypeCounts>;

pub fn counts_of(run: &Run) -> Counts {
    serde_json::from_str(&run.counts).unwrap_or_default()
}

pub async fn start(tx: &TenantTx, id: Uuid, trigger: &str, now: DateTime<Utc>) -> CoreResult<Run> {
    Ok(ehr_sync_run::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(id),
        trigger: Set(trigger.to_owned()),
        status: Set(RUNNING.to_owned()),
        counts: Set("{}".to_owned()),
        error_code: Set(None),
        error: Set(None),
        started_at: Set(now),
        finished_at: Set(None),
    }
    .insert(tx.conn())
    .await?)
}

/// Closes a run whose worker died while it held the connection (a failed run).
pub async fn abandon(tx: &TenantTx, id: Uuid, now: DateTime<Utc>) -> CoreResult<()> {
    let closed = tx
        .update::<Entity>()
        .col_expr(Column::Status, sea_orm::sea_query::Expr::value(FAILED))
        .col_expr(
            Column::ErrorCode,
            sea_orm::sea_query::Expr::value(Some("EHR_SYNC_ABANDONED")),
        )
        .col_expr(
            Column::FinishedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(RUNNING))
        .exec(tx.conn())
        .await?;
    if closed.rows_affected == 1 {
        crate::events::publish(
            tx,
            crate::events::Event::EhrSyncEnded {
                run_id: id,
                failed: true,
            },
        )
        .await?;
    }
    Ok(())
}

/// Saves the counts so far (a page's worth), in the page's transaction.
pub async fn save_counts(tx: &TenantTx, run_id: Uuid, counts: &Counts) -> CoreResult<()> {
    let counts = serde_json::to_string(counts).map_err(CoreError::adapter)?;
    tx.update::<Entity>()
        .col_expr(Column::Counts, sea_orm::sea_query::Expr::value(counts))
        .filter(Column::Id.eq(run_id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

pub async fn finish(
    tx: &TenantTx,
    run_id: Uuid,
    counts: &Counts,
    error: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> CoreResult<Run> {
    let run = tx
        .find::<Entity>()
        .filter(Column::Id.eq(run_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let status = match error {
        Some(_) => FAILED,
        None if counts.values().any(|c| c.rejected > 0 || c.waiting > 0) => PARTIAL,
        None => SUCCEEDED,
    };
    let mut active: ehr_sync_run::ActiveModel = run.into();
    active.status = Set(status.to_owned());
    active.counts = Set(serde_json::to_string(counts).map_err(CoreError::adapter)?);
    active.error_code = Set(error.map(|(code, _)| code.to_owned()));
    active.error = Set(error.map(|(_, message)| message.chars().take(500).collect()));
    active.finished_at = Set(Some(now));
    let run = active.update(tx.conn()).await?;
    crate::events::publish(
        tx,
        crate::events::Event::EhrSyncEnded {
            run_id: run.id,
            failed: status == FAILED,
        },
    )
    .await?;
    Ok(run)
}

pub async fn reject(
    tx: &TenantTx,
    run_id: Uuid,
    kind: ResourceKind,
    fhir_id: Option<&str>,
    code: &str,
) -> CoreResult<()> {
    ehr_rejection::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        run_id: Set(run_id),
        resource_type: Set(kind.as_str().to_owned()),
        fhir_id: Set(fhir_id.map(|id| id.chars().take(64).collect())),
        code: Set(code.to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn recent(tx: &TenantTx, limit: u64) -> CoreResult<Vec<Run>> {
    Ok(tx
        .find::<Entity>()
        .order_by_desc(Column::StartedAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

pub async fn rejections(
    tx: &TenantTx,
    run_id: Uuid,
    limit: u64,
) -> CoreResult<Vec<ehr_rejection::Model>> {
    Ok(tx
        .find::<ehr_rejection::Entity>()
        .filter(ehr_rejection::Column::RunId.eq(run_id))
        .order_by_asc(ehr_rejection::Column::CreatedAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

/// Queues a sync run now (`EHR_NOT_CONNECTED` without an enabled connection); whether it
/// was queued. One already running is not doubled: the job waits for it.
pub async fn queue_now(tx: &TenantTx, tenant_id: crate::TenantId) -> CoreResult<bool> {
    let enabled = super::connection::get(tx).await?.filter(|c| c.enabled);
    if enabled.is_none() {
        return Err(super::connection::not_connected());
    }
    crate::outbox::job(
        tx,
        &format!("ehr-sync:{}", Uuid::now_v7()),
        &crate::ports::Job::SyncEhr {
            tenant_id,
            review_id: None,
            manual: true,
        },
    )
    .await
}
