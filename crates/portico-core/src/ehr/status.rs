//! The sync as practice admins see it: the connection, recent runs, the write-backs waiting
//! or given up on, open reviews, and how each type's deletions are found.

use chrono::{DateTime, Utc};

use super::{connection, marks, model::ResourceKind, reviews, runs, sync::reconcile};
use crate::{
    CoreResult, TenantTx,
    entities::{ehr_connection, ehr_sync_run, outbox_message},
    outbox,
};

/// Write-backs given up on that the status lists.
const FAILED_WRITES: u64 = 50;
/// Open reviews counted (the count stops there).
const OPEN_REVIEWS: u64 = 1000;

/// How deletions of one resource type are found.
#[derive(Clone, Debug)]
pub struct DeletionCheck {
    pub resource_type: String,
    /// Read from the type's history (`_history`); otherwise reconciled by comparing ids.
    pub by_history: bool,
    /// When the ids were last compared in full.
    pub reconciled_at: Option<DateTime<Utc>>,
}

/// The practice's sync status.
#[derive(Clone, Debug)]
pub struct SyncStatus {
    pub connection: Option<ehr_connection::Model>,
    /// Newest first.
    pub runs: Vec<ehr_sync_run::Model>,
    /// Write-backs waiting to be sent (or retried).
    pub pending_writes: u64,
    /// Write-backs given up on.
    pub failed_writes: Vec<outbox_message::Model>,
    pub open_reviews: u64,
    /// In pull order, for the types pulled so far.
    pub deletions: Vec<DeletionCheck>,
}

/// The sync status with the `runs` most recent runs.
pub async fn status(tx: &TenantTx, runs: u64) -> CoreResult<SyncStatus> {
    let found = connection::get(tx).await?;
    let recent = runs::recent(tx, runs).await?;
    let pending_writes = outbox::unsent_ehr(tx).await?;
    let failed_writes = outbox::failed_ehr(tx, FAILED_WRITES).await?;
    let open_reviews = reviews::list_open(tx, OPEN_REVIEWS).await?.len() as u64;
    let mut deletions: Vec<DeletionCheck> = marks::all(tx)
        .await?
        .into_iter()
        .filter_map(|m| {
            let by_history = m.deletion_method.as_deref()? == reconcile::HISTORY;
            Some(DeletionCheck {
                resource_type: m.resource_type,
                by_history,
                reconciled_at: m.reconciled_at,
            })
        })
        .collect();
    // In pull order, as the runs' counts are.
    deletions.sort_by_key(|d| ResourceKind::parse(&d.resource_type));
    Ok(SyncStatus {
        connection: found,
        runs: recent,
        pending_writes,
        failed_writes,
        open_reviews,
        deletions,
    })
}
