//! Failed deliveries of notices (email, SMS): a practice admin gives one a fresh set of
//! attempts, audited.

use uuid::Uuid;

use crate::{CoreResult, TenantTx, admin_changes, audit::Actor, entities::outbox_message, outbox};

/// Gives failed message `id` a fresh set of attempts (see [`outbox::retry`]); the caller
/// relays the outbox once the transaction has committed.
pub async fn retry(tx: &TenantTx, actor: &Actor, id: Uuid) -> CoreResult<outbox_message::Model> {
    let retried = outbox::retry(tx, id).await?;
    admin_changes::record(tx, actor, "delivery.retry", "Delivery", retried.id).await?;
    Ok(retried)
}
