//! Nightly: SMART authorization requests expired a day ago leave the table (the grants
//! they made stay, for the patient to see and remove); so do backend services' assertions
//! past their expiry (their `jti`s can no longer be replayed), and Bulk Data exports past
//! their time, with their files.

use chrono::{Duration, Utc};
use portico_core::{
    CoreError, Db, TenantId, TenantTx,
    fhir_api::bulk,
    ports::AttachmentStore,
    smart::{backend, requests},
    tenancy::Access,
    tenants,
};

/// What was purged: requests, assertions and exports' files.
pub async fn purge(
    db: &Db,
    store: &dyn AttachmentStore,
    tenant_id: TenantId,
) -> Result<(u64, u64, usize), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok((0, 0, 0));
    };
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let now = Utc::now();
    let requests = requests::purge_expired_before(&tx, now - Duration::days(1)).await?;
    // A minute's grace beyond the leeway an assertion's expiry is checked with.
    let assertions = backend::purge_assertions_before(&tx, now - Duration::minutes(2)).await?;
    let files = bulk::purge_expired(&tx, now).await?;
    tx.commit().await?;
    for key in &files {
        if let Err(e) = store.delete(key).await {
            tracing::warn!(%key, error = %e, "expired bulk export file not deleted");
        }
    }
    Ok((requests, assertions, files.len()))
}
