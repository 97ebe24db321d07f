//! Writing a tenant's due appointment reminders, feedback surveys and invitation campaigns'
//! steps to the outbox, then relaying them.

use chrono::Utc;
use portico_core::{
    CoreError, Db, TenantId, TenantTx, audit::Actor, campaigns, feedback, notify::Portal,
    ports::JobQueue, scheduling::reminders, tenancy::Access, tenants,
};

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
    let portal = Portal::new(public_url, &tenant.tenant.slug);
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let now = Utc::now();
    let mut written = reminders::send_due(&tx, &Actor::system(), now, &portal).await?
        + feedback::invitations::send_due(&tx, &Actor::system(), now, &portal).await?;
    // A suspended or cancelled practice's campaigns wait (they go on if it is reinstated).
    if !tenant.refuses_new_work() {
        written += campaigns::sweep::send_due(&tx, &Actor::system(), now, &portal).await?;
    }
    tx.commit().await?;
    if written > 0 {
        crate::outbox::relay(db, queue, claim, tenant_id).await?;
    }
    Ok(())
}
