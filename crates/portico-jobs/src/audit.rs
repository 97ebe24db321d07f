//! Checking a tenant's audit hash chain. A break is logged as an error with ids only and
//! counted, so an alert can fire on `portico_audit_chain_breaks_total`.

use portico_core::{CoreError, Db, TenantId, TenantTx, audit, tenancy::Access, tenants};

pub async fn verify_chain(db: &Db, tenant_id: TenantId) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        // The tenant was removed after the job was queued: nothing to check.
        return Ok(());
    };
    // Writing: pending events are sealed into the chain before it is walked.
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let report = audit::verify_chain(&tx).await?;
    tx.commit().await?;
    match report.first_broken_seq {
        None => tracing::info!(%tenant_id, events = report.events, "audit chain intact"),
        Some(seq) => {
            metrics::counter!("portico_audit_chain_breaks_total").increment(1);
            tracing::error!(%tenant_id, seq, "audit chain broken");
        }
    }
    Ok(())
}
