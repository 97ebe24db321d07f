//! Adoption across practices, for operators: each practice's series, read in its own scope
//! (the one cross-practice read of these figures), and the platform's totals per period.

use chrono::NaiveDate;

use super::series::{self, Granularity, Point};
use crate::{
    CoreResult, Db, TenantTx,
    tenancy::Access,
    tenants::{self, ResolvedTenant},
};

/// The most practices one read covers.
pub const MAX_PRACTICES: u64 = 500;

/// One practice's series.
pub struct PracticeSeries {
    pub practice: ResolvedTenant,
    pub points: Vec<Point>,
}

/// Every practice's series, and the platform's totals per period.
pub struct PlatformSeries {
    pub totals: Vec<Point>,
    pub practices: Vec<PracticeSeries>,
}

/// Every practice's figures from `from` to `to` by `granularity`, and their totals. The
/// caller audits the read in the platform's log.
pub async fn series(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
) -> CoreResult<PlatformSeries> {
    let mut practices = Vec::new();
    let mut all: Vec<(NaiveDate, Point)> = Vec::new();
    for practice in tenants::list(db, None, MAX_PRACTICES).await? {
        if practice.is_platform() {
            continue;
        }
        let tx = TenantTx::begin(db, &practice.scope(), Access::Read).await?;
        let points = series::series(&tx, from, to, granularity).await?;
        // Read only: nothing to keep, and a failure to end it loses nothing.
        tx.rollback().await.ok();
        all.extend(points.iter().map(|p| (p.start, p.clone())));
        practices.push(PracticeSeries { practice, points });
    }
    all.sort_by_key(|(start, _)| *start);
    let mut totals = Vec::new();
    for chunk in all.chunk_by(|a, b| a.0 == b.0) {
        let points: Vec<&Point> = chunk.iter().map(|(_, p)| p).collect();
        totals.push(series::combine(chunk[0].0, &points));
    }
    Ok(PlatformSeries { totals, practices })
}
