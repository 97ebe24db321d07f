//! The staff's refill queue: requests by status (pending by default), pool and whether they
//! are past their turnaround target, each with its medication, oldest first. Every listed
//! request is audited as a read of its chart.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{PENDING, STATUSES, record};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::Actor,
    entities::{
        medication_request,
        refill_request::{self, Column, Model as Refill},
    },
};

pub const MAX_LIMIT: u64 = 200;

#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// One status; pending (requested or routed) when unset.
    pub status: Option<String>,
    pub pool_id: Option<Uuid>,
    /// Only pending requests past their due time.
    pub overdue: bool,
}

/// A request with its medication.
#[derive(Clone, Debug)]
pub struct Listed {
    pub refill: Refill,
    pub medication: Option<medication_request::Model>,
}

/// The medications of `refills`, by id.
pub(crate) async fn medications_of(
    tx: &TenantTx,
    refills: &[Refill],
) -> CoreResult<HashMap<Uuid, medication_request::Model>> {
    Ok(tx
        .find::<medication_request::Entity>()
        .filter(
            medication_request::Column::Id.is_in(refills.iter().map(|r| r.medication_request_id)),
        )
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

/// The queue at `now`, at most `limit` (1 to 200) requests.
pub async fn list(
    tx: &TenantTx,
    actor: &Actor,
    filter: &Filter,
    now: DateTime<Utc>,
    limit: u64,
) -> CoreResult<Vec<Listed>> {
    let mut query = tx.find::<refill_request::Entity>();
    match filter.status.as_deref() {
        None => query = query.filter(Column::Status.is_in(PENDING)),
        Some(status) if STATUSES.contains(&status) => {
            query = query.filter(Column::Status.eq(status));
        }
        Some(_) => {
            return Err(CoreError::invalid(
                "status",
                "INVALID_STATUS",
                "one of requested, routed, approved, denied and needs_appointment",
            ));
        }
    }
    if let Some(pool) = filter.pool_id {
        query = query.filter(Column::AssignedPoolId.eq(pool));
    }
    if filter.overdue {
        query = query
            .filter(Column::Status.is_in(PENDING))
            .filter(Column::DueAt.lt(now));
    }
    let found = query
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .limit(limit.clamp(1, MAX_LIMIT))
        .all(tx.conn())
        .await?;
    let medications = medications_of(tx, &found).await?;
    for refill in &found {
        record(tx, actor, "refill.queue", refill).await?;
    }
    Ok(found
        .into_iter()
        .map(|refill| Listed {
            medication: medications.get(&refill.medication_request_id).cloned(),
            refill,
        })
        .collect())
}
