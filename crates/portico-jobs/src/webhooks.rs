//! Webhook deliveries: the relay hands due ones to the `webhooks` queue (with the outbox's
//! relay, every minute and after each request that wrote some); a worker claims one,
//! signs and posts it outside any transaction, and records the attempt: delivered, tried
//! again later on the schedule, or given up, which turns off an endpoint that has had no
//! success since and tells the practice's admins.

use chrono::Utc;
use portico_core::{
    CoreError, Db, TenantId, TenantTx,
    ports::{Job, JobQueue, SecretSealer, WebhookPost, WebhookSender},
    tenancy::Access,
    tenants,
    webhooks::{deliveries, endpoints, notice},
};
use uuid::Uuid;

/// Deliveries handed out per transaction.
const BATCH: u64 = 200;

/// Hands the practice's due deliveries to the queue; how many.
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
        let now = Utc::now();
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Read).await?;
        let due = deliveries::due(&tx, BATCH, claim, now).await?;
        tx.rollback().await?;
        if due.is_empty() {
            return Ok(relayed);
        }
        let ids: Vec<Uuid> = due.iter().map(|d| d.id).collect();
        // Enqueued before marked: a crash in between hands them out again, and the claim
        // makes the second job a no-op.
        let jobs = ids
            .iter()
            .map(|&delivery_id| Job::DeliverWebhook {
                tenant_id,
                delivery_id,
            })
            .collect();
        queue.enqueue_all(jobs).await.map_err(CoreError::adapter)?;
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
        deliveries::mark_relayed(&tx, &ids, now).await?;
        tx.commit().await?;
        relayed += ids.len() as u64;
    }
}

/// What a delivery needs to reach.
#[derive(Clone, Copy)]
pub struct WebhookPorts<'a> {
    pub sender: &'a dyn WebhookSender,
    pub sealer: &'a dyn SecretSealer,
    /// Where Portico is opened, for the console link in an admin's notice.
    pub public_url: &'a str,
}

/// One attempt at delivery `delivery_id`.
pub async fn deliver(
    db: &Db,
    ports: WebhookPorts<'_>,
    claim: chrono::Duration,
    tenant_id: TenantId,
    delivery_id: Uuid,
) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let scope = tenant.scope();
    // The claim outlasts the attempt, so no second worker takes the delivery meanwhile.
    let attempt_limit = chrono::Duration::from_std(ports.sender.timeout())
        .unwrap_or(chrono::Duration::seconds(30))
        + chrono::Duration::seconds(30);
    let claim = claim.max(attempt_limit);
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let now = Utc::now();
    let Some(claimed) = deliveries::claim(&tx, delivery_id, now, claim).await? else {
        // Delivered, held by another worker, not due, or its endpoint is off.
        return tx.commit().await;
    };
    let secrets = endpoints::signing_secrets(&tx, ports.sealer, &claimed.endpoint, now);
    tx.commit().await?;
    let attempted_at = Utc::now();
    let answer = match &secrets {
        Ok(secrets) => {
            ports
                .sender
                .post(WebhookPost {
                    url: &claimed.endpoint.url,
                    message_id: &claimed.delivery.message_id,
                    timestamp: attempted_at,
                    body: &claimed.delivery.payload,
                    secrets,
                })
                .await
        }
        // A secret that no longer opens (the deployment's key changed): an attempt that
        // failed, so the schedule runs out and the admins are told, instead of a job that
        // fails for ever.
        Err(e) => {
            tracing::error!(%tenant_id, %delivery_id, error = %e, "webhook secret cannot be opened");
            portico_core::ports::WebhookAnswer {
                status: None,
                duration_ms: 0,
                error: Some("SECRET_UNREADABLE"),
            }
        }
    };
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let recorded = deliveries::record(&tx, &claimed.delivery, &answer, attempted_at).await?;
    if recorded.endpoint_disabled {
        let console = format!("{}/console/settings/webhooks", ports.public_url);
        notice::endpoint_disabled(
            &tx,
            &claimed.endpoint,
            &tenant.tenant.display_name,
            &console,
            Utc::now(),
        )
        .await?;
    }
    tx.commit().await?;
    let outcome = if recorded.delivered {
        "delivered"
    } else if recorded.given_up {
        "given_up"
    } else {
        "failed"
    };
    if !recorded.delivered {
        tracing::warn!(%tenant_id, %delivery_id, code = answer.error.unwrap_or_default(), status = answer.status, attempt = claimed.delivery.attempts + 1, "webhook delivery failed");
    }
    if recorded.endpoint_disabled {
        tracing::warn!(%tenant_id, endpoint_id = %claimed.endpoint.id, "webhook endpoint turned off after failing for good");
    }
    metrics::counter!("portico_webhook_deliveries_total", "outcome" => outcome).increment(1);
    metrics::histogram!("portico_webhook_attempt_seconds")
        .record(f64::from(answer.duration_ms) / 1000.0);
    Ok(())
}

/// Nightly: the practice's finished deliveries older than [`deliveries::KEPT_FOR`] leave the
/// log.
pub async fn purge(db: &Db, tenant_id: TenantId) -> Result<u64, CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(0);
    };
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let removed = deliveries::purge_finished_before(&tx, Utc::now() - deliveries::KEPT_FOR).await?;
    tx.commit().await?;
    Ok(removed)
}
