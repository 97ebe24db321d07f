//! Writing a tenant's due preventive-care recall notices to the outbox, then relaying them.
//! Each batch is its own transaction; a tenant with more due patients than one batch holds
//! gets further batches, up to a bound, and the next day's run carries on from there.

use chrono::Utc;
use portico_core::{
    CoreError, Db, TenantId, TenantTx,
    audit::Actor,
    notify::Portal,
    ports::JobQueue,
    scheduling::{appointments::PracticeClock, recalls},
    tenancy::Access,
    tenants,
};

/// Batches of `recalls::MAX_NOTICES_PER_RUN` one job writes at most.
const MAX_BATCHES: usize = 20;

pub async fn send_due(
    db: &Db,
    queue: &dyn JobQueue,
    public_url: &str,
    claim: chrono::Duration,
    tenant_id: TenantId,
) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let text = Portal::new(public_url, &tenant.tenant.slug);
    let mut written = 0;
    for _ in 0..MAX_BATCHES {
        let clock = PracticeClock::of(&tenant.tenant, Utc::now());
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
        let run = recalls::evaluate_due(&tx, &Actor::system(), clock, &text).await?;
        tx.commit().await?;
        written += run.notified;
        if !run.more {
            break;
        }
    }
    tracing::info!(%tenant_id, notices = written, "recall notices written");
    if written > 0 {
        crate::outbox::relay(db, queue, claim, tenant_id).await?;
    }
    Ok(())
}
