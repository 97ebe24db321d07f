//! Billing's background work: the sweep that starts trials for practices billing has not
//! seen and ends trials and grace periods that ran out, and the monthly usage report.

use chrono::{NaiveDate, Utc};
use portico_core::{
    CoreError, Db, TenantId,
    billing::{Billing, sweep, usage},
};

pub async fn sweep(db: &Db, billing: &Billing) -> Result<(), CoreError> {
    let now = Utc::now();
    sweep::ensure_all(db, &billing.settings, now).await?;
    for tenant_id in sweep::sweep(db, &billing.settings, now).await? {
        tracing::info!(%tenant_id, "practice status changed with its billing");
    }
    Ok(())
}

pub async fn sync_seats(db: &Db, billing: &Billing, tenant_id: TenantId) -> Result<(), CoreError> {
    let seats = portico_core::billing::seats::sync(db, billing, tenant_id).await?;
    tracing::info!(%tenant_id, ?seats, "provider seats");
    Ok(())
}

pub async fn report_usage(
    db: &Db,
    billing: &Billing,
    tenant_id: TenantId,
    period: Option<NaiveDate>,
) -> Result<(), CoreError> {
    let now = Utc::now();
    let reported = usage::report(db, billing, tenant_id, period, now).await?;
    tracing::info!(%tenant_id, ?reported, "monthly active patients");
    // Earlier months whose report failed go again (under their first identifier).
    if period.is_none() {
        for month in usage::unsent(db, tenant_id).await? {
            // One month the provider will not take (too old for its meter) does not hold
            // up the others.
            match usage::report(db, billing, tenant_id, Some(month), now).await {
                Ok(reported) => {
                    tracing::info!(%tenant_id, %month, ?reported, "monthly active patients, sent late");
                }
                Err(e) => {
                    tracing::warn!(%tenant_id, %month, error = %e, "monthly active patients not sent");
                }
            }
        }
    }
    Ok(())
}
