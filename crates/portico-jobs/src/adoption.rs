//! The nightly adoption rollup: one practice's figures for one of its days (its yesterday
//! by default, by its own clock), written in place of that day's row.

use chrono::{NaiveDate, Utc};
use portico_core::{CoreError, Db, TenantId, TenantTx, adoption::rollup, tenancy::Access, tenants};

pub async fn rollup(db: &Db, tenant_id: TenantId, day: Option<NaiveDate>) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let tz = rollup::zone(&tenant.tenant.time_zone);
    let day = day
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive() - chrono::Duration::days(1));
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    rollup::recompute(&tx, day, tz).await?;
    tx.commit().await
}
