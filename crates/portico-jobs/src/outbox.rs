//! Relaying and delivering outbox messages. The relay hands a tenant's pending messages to
//! the queue, one `DeliverMessage` job each, and marks them relayed; the delivery job claims
//! the message (a delivered or claimed one is skipped, so a duplicate job sends nothing),
//! sends it outside any transaction, then marks it delivered. A failure puts the message back
//! for the relay, up to `outbox::MAX_ATTEMPTS`.

use chrono::Utc;
use portico_core::{
    CoreError, Db, TenantId, TenantTx, outbox,
    ports::{Job, JobQueue, Mailer},
    tenancy::Access,
    tenants,
};
use uuid::Uuid;

/// Messages relayed per transaction.
const BATCH: u64 = 200;

pub async fn relay(
    db: &Db,
    queue: &dyn JobQueue,
    claim: chrono::Duration,
    tenant_id: TenantId,
) -> Result<u64, CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(0);
    };
    let mut relayed = 0;
    loop {
        // Read, enqueue, then mark, each on its own: no transaction is held while the queue
        // is written (on SQLite the queue shares the database file and its write lock).
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Read).await?;
        let batch = outbox::pending_after(&tx, BATCH, claim).await?;
        tx.rollback().await?;
        if batch.is_empty() {
            return Ok(relayed);
        }
        // Enqueued before they are marked: a crash in between relays them again, and the
        // delivery job's claim makes the second job a no-op. One write for the batch: a
        // relay slower than a claim would see its own batch pending again.
        queue
            .enqueue_all(
                batch
                    .iter()
                    .map(|message| Job::DeliverMessage {
                        tenant_id,
                        message_id: message.id,
                    })
                    .collect(),
            )
            .await
            .map_err(|e| CoreError::Adapter(e.to_string()))?;
        let ids: Vec<Uuid> = batch.iter().map(|m| m.id).collect();
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
        outbox::mark_relayed(&tx, &ids).await?;
        tx.commit().await?;
        relayed += ids.len() as u64;
    }
}

pub async fn deliver(
    db: &Db,
    mailer: &dyn Mailer,
    claim: chrono::Duration,
    tenant_id: TenantId,
    message_id: Uuid,
) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let claimed = outbox::claim_for(&tx, message_id, Utc::now(), claim).await?;
    tx.commit().await?;
    let Some(message) = claimed else {
        return Ok(());
    };
    let sent = match outbox::email_of(&message) {
        Ok(mut email) => {
            email.message_id = Some(message.id.to_string());
            mailer
                .send(email)
                .await
                .map_err(|e| CoreError::Adapter(e.to_string()))
        }
        Err(e) => Err(e),
    };
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    match &sent {
        Ok(()) => outbox::mark_delivered(&tx, message_id).await?,
        Err(e) => {
            tracing::warn!(%tenant_id, %message_id, attempt = message.attempts, error = %e, "outbox delivery failed");
            outbox::mark_failed(&tx, message_id, message.attempts, &e.to_string()).await?;
        }
    }
    tx.commit().await?;
    metrics::counter!("portico_outbox_deliveries_total", "outcome" => if sent.is_ok() { "sent" } else { "failed" })
        .increment(1);
    Ok(())
}
