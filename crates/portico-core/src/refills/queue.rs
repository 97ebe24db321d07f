//! The staff's refill queue: requests by status (pending by default), pool and whether they
//! are past their turnaround target, each with its medication, oldest first. Every listed
//! request is audited as a read of its chart. A restricted chart's requests stay in the
//! queue (so none is lost) but without their medication for staff who would have to break
//! the glass to open the chart; deciding one needs the break-glass access too.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{PENDING, STATUSES, record};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::Actor,
    chart_access::{self, Viewer},
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
    /// Unset when the viewer may not see it (a restricted chart).
    pub medication: Option<medication_request::Model>,
    /// The chart is restricted and the viewer has not broken the glass.
    pub restricted: bool,
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

/// How a viewer sees a chart's requests in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sight {
    Open,
    /// Through this break-glass access (flagged in the audit).
    Glass(Uuid),
    /// Restricted, and no break-glass access in force: listed without the medication.
    Hidden,
}

async fn sight_of(tx: &TenantTx, viewer: &Viewer, chart: Uuid) -> CoreResult<Sight> {
    if !chart_access::needs_break_glass(tx, viewer, chart).await? {
        return Ok(Sight::Open);
    }
    Ok(
        match chart_access::active_break_glass(tx, viewer.user_id, chart).await? {
            Some(access) => Sight::Glass(access.id),
            None => Sight::Hidden,
        },
    )
}

/// The queue at `now`, at most `limit` (1 to 200) requests.
pub async fn list(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
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
    let mut seen: HashMap<Uuid, Sight> = HashMap::new();
    let mut listed = Vec::with_capacity(found.len());
    for refill in found {
        let sight = match seen.get(&refill.patient_id) {
            Some(sight) => *sight,
            None => {
                let sight = sight_of(tx, viewer, refill.patient_id).await?;
                seen.insert(refill.patient_id, sight);
                sight
            }
        };
        let glass = match sight {
            Sight::Glass(access) => Some(access),
            Sight::Open | Sight::Hidden => None,
        };
        record(
            tx,
            &actor.clone().with_break_glass(glass),
            "refill.queue",
            &refill,
        )
        .await?;
        let hidden = sight == Sight::Hidden;
        listed.push(Listed {
            medication: if hidden {
                None
            } else {
                medications.get(&refill.medication_request_id).cloned()
            },
            restricted: hidden,
            refill,
        });
    }
    Ok(listed)
}
