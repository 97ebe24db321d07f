//! Nightly: SMART authorization requests expired a day ago leave the table (the grants
//! they made stay, for the patient to see and remove).

use chrono::{Duration, Utc};
use portico_core::{CoreError, Db, TenantId, TenantTx, smart::requests, tenancy::Access, tenants};

pub async fn purge(db: &Db, tenant_id: TenantId) -> Result<u64, CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(0);
    };
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let removed = requests::purge_expired_before(&tx, Utc::now() - Duration::days(1)).await?;
    tx.commit().await?;
    Ok(removed)
}
