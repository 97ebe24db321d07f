//! Prescription refills: a patient (or a proxy with the `refills` scope) asks for a refill
//! of an active medication ([`request`]); the routing job sends it to the prescriber, a
//! covering provider or a pool by the practice's rules ([`routing`]); staff work the queue
//! ([`queue`]) and decide ([`decisions`]); the patient is told that there is an update, and
//! the decision waits in the outbox for the write-back to the EHR.

pub mod decisions;
pub mod queue;
pub mod request;
pub mod routing;
pub mod settings;

use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    chart_access::OpenChart,
    entities::refill_request::{self, Model as Refill},
};

/// Waiting for the routing job.
pub const REQUESTED: &str = "requested";
/// Assigned; waiting for a decision.
pub const ROUTED: &str = "routed";
pub const APPROVED: &str = "approved";
pub const DENIED: &str = "denied";
/// A visit is needed first (a controlled substance, or staff said so).
pub const NEEDS_APPOINTMENT: &str = "needs_appointment";
/// Statuses of a request still waiting for a decision.
pub const PENDING: [&str; 2] = [REQUESTED, ROUTED];
pub const STATUSES: [&str; 5] = [REQUESTED, ROUTED, APPROVED, DENIED, NEEDS_APPOINTMENT];

/// Turnaround target when the practice has not set its own.
pub const DEFAULT_TURNAROUND_HOURS: i32 = 48;

pub(crate) async fn record(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    refill: &Refill,
) -> CoreResult<()> {
    audit::record(
        tx,
        actor,
        Access {
            action,
            resource_type: "RefillRequest",
            resource_id: Some(refill.id),
            patient_id: Some(refill.patient_id),
        },
    )
    .await
}

/// A refill request of the practice, unaudited.
pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<Refill> {
    tx.find::<refill_request::Entity>()
        .filter(refill_request::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// The chart's refill requests with their medications, newest first, audited as one read
/// of the chart.
pub async fn of_chart(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
) -> CoreResult<Vec<queue::Listed>> {
    let found = tx
        .find::<refill_request::Entity>()
        .filter(refill_request::Column::PatientId.eq(chart.id()))
        .order_by_desc(refill_request::Column::CreatedAt)
        .order_by_desc(refill_request::Column::Id)
        .all(tx.conn())
        .await?;
    let medications = queue::medications_of(tx, &found).await?;
    crate::records::audit(tx, actor, chart, "refill.list", "RefillRequest", None).await?;
    Ok(found
        .into_iter()
        .map(|refill| queue::Listed {
            medication: medications
                .get(&refill.medication_request_id)
                // Patients do not see records entered in error.
                .filter(|m| {
                    !chart.is_patient_view() || m.status != crate::records::ENTERED_IN_ERROR
                })
                .cloned(),
            restricted: false,
            refill,
        })
        .collect())
}
