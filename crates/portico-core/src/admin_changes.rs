//! An administrator's change to how the practice runs (its settings, catalogue, schedule
//! blocks, a failed delivery retried): audited as the actor's, with the row it changed and
//! never a patient.

use uuid::Uuid;

use crate::{
    CoreResult, TenantTx,
    audit::{self, Access, Actor},
};

/// Records `action` on `resource_type` row `id` with the transaction.
pub async fn record(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    resource_type: &str,
    id: Uuid,
) -> CoreResult<()> {
    audit::record(
        tx,
        actor,
        Access {
            action,
            resource_type,
            resource_id: Some(id),
            patient_id: None,
        },
    )
    .await
}
