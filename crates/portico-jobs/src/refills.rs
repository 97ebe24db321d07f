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
