//! Routing one refill request (the job the request's outbox row enqueues). The routing
//! itself is idempotent: a request already routed is left alone, so a duplicate delivery
//! of the job assigns it once. A "book a visit" notice it writes is relayed at once.

use chrono::Utc;
use portico_core::{
    CoreError, Db, TenantId, TenantTx, notify::Portal, ports::JobQueue, refills::routing,
    tenancy::Access, tenants,
};
use uuid::Uuid;

pub async fn route(
    db: &Db,
    queue: &dyn JobQueue,
    public_url: &str,
    claim: chrono::Duration,
    tenant_id: TenantId,
    refill_id: Uuid,
) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let portal = Portal::new(public_url, &tenant.tenant.slug);
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let routed = routing::route(&tx, &portal, refill_id, Utc::now()).await?;
    tx.commit().await?;
    match routed {
        Some(refill) => {
            tracing::info!(%tenant_id, %refill_id, route = refill.route.as_deref().unwrap_or(""), "refill request routed");
            if refill.route.as_deref() == Some(routing::Route::Visit.as_str()) {
                crate::outbox::relay(db, queue, claim, tenant_id).await?;
            }
        }
        None => tracing::debug!(%tenant_id, %refill_id, "refill request not waiting for routing"),
    }
    Ok(())
}

/// Requests still waiting for routing this long after they were made get their job again
/// (the minute sweep looks): a routing job that failed (the database was restarting, say)
/// or was lost with a worker must not leave a request unrouted for long. Routing takes well
/// under a second and is idempotent, so an extra job for a slow one is harmless.
pub const REROUTE_AFTER: chrono::Duration = chrono::Duration::seconds(30);

pub async fn reroute_stale(
    db: &Db,
    queue: &dyn JobQueue,
    tenant_id: TenantId,
) -> Result<usize, CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(0);
    };
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Read).await?;
    let stale = routing::waiting_since(&tx, Utc::now() - REROUTE_AFTER, 100).await?;
    tx.rollback().await?;
    if stale.is_empty() {
        return Ok(0);
    }
    tracing::warn!(%tenant_id, count = stale.len(), "refill requests still unrouted; routing again");
    let jobs = stale
        .iter()
        .map(|&refill_id| portico_core::ports::Job::RouteRefill {
            tenant_id,
            refill_id,
        })
        .collect();
    queue.enqueue_all(jobs).await.map_err(CoreError::adapter)?;
    Ok(stale.len())
}
