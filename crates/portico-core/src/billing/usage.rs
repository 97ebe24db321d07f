//! Usage: each practice's monthly active patients (patients and proxies who used the portal
//! in the calendar month, by the practice's clock) reported to the provider once per month.
//! The figure is kept before it is sent, with an identifier unique to the practice and month,
//! so a report repeated after a crash sends the same figure under the same identifier and
//! the provider counts it once.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, Set, sea_query::OnConflict};

use super::{Billing, accounts, gateway::UsageRecord};
use crate::{
    CoreError, CoreResult, Db, TenantId, TenantTx, adoption::rollup, entities::usage_report,
    tenancy::Access, tenants,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reported {
    /// Sent now.
    Sent { monthly_active: i64 },
    /// Sent before; nothing sent again.
    Already { monthly_active: i64 },
    /// No subscription to bill: nothing to report.
    NotBilled,
}

/// The first day of the month before the one `now` falls in, by the practice's clock.
pub fn last_month(now: DateTime<Utc>, tz: chrono_tz::Tz) -> NaiveDate {
    let today = now.with_timezone(&tz).date_naive();
    let this_month = today.with_day(1).unwrap_or(today);
    this_month
        .checked_sub_months(Months::new(1))
        .unwrap_or(this_month)
}

/// Months whose figure was kept but not yet sent (a report that failed, retried until the
/// provider takes it, whatever month it is now).
pub async fn unsent(db: &Db, tenant_id: TenantId) -> CoreResult<Vec<NaiveDate>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    Ok(usage_report::Entity::find()
        .select_only()
        .column(usage_report::Column::PeriodStart)
        .filter(usage_report::Column::TenantId.eq(tenant_id.as_uuid()))
        .filter(usage_report::Column::ReportedAt.is_null())
        .order_by_asc(usage_report::Column::PeriodStart)
        .into_tuple()
        .all(db.conn())
        .await?)
}

/// Reports the practice's monthly active patients for the month starting `period` (last
/// month by default).
pub async fn report(
    db: &Db,
    billing: &Billing,
    tenant_id: TenantId,
    period: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> CoreResult<Reported> {
    let Some(practice) = tenants::find_by_id(db, tenant_id).await? else {
        return Err(CoreError::NotFound);
    };
    let tz = rollup::zone(&practice.tenant.time_zone);
    let period = period.map_or_else(|| last_month(now, tz), |p| p.with_day(1).unwrap_or(p));
    let account = accounts::find(db, tenant_id.as_uuid()).await?;
    let Some((customer, _)) = account
        .as_ref()
        .and_then(|a| Some((a.customer_id.clone()?, a.subscription_id.clone()?)))
    else {
        return Ok(Reported::NotBilled);
    };
    let key = (tenant_id.as_uuid(), period);
    let row = match usage_report::Entity::find_by_id(key).one(db.conn()).await? {
        Some(row) => row,
        None => {
            let next = period
                .checked_add_months(Months::new(1))
                .ok_or(CoreError::NotFound)?;
            let (from, _) = rollup::bounds(period, tz);
            let (to, _) = rollup::bounds(next, tz);
            let tx = TenantTx::begin(db, &practice.scope(), Access::Read).await?;
            let monthly_active = rollup::active_patients(&tx, from, to).await?;
            tx.commit().await?;
            usage_report::Entity::insert(usage_report::ActiveModel {
                tenant_id: Set(key.0),
                period_start: Set(period),
                monthly_active: Set(monthly_active),
                identifier: Set(format!(
                    "portico-map-{}-{}",
                    key.0.simple(),
                    period.format("%Y-%m")
                )),
                created_at: Set(now),
                reported_at: Set(None),
            })
            .on_conflict(
                OnConflict::columns([
                    usage_report::Column::TenantId,
                    usage_report::Column::PeriodStart,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db.conn())
            .await?;
            // Another worker may have kept its figure first: that one is sent.
            usage_report::Entity::find_by_id(key)
                .one(db.conn())
                .await?
                .ok_or(CoreError::NotFound)?
        }
    };
    if row.reported_at.is_some() {
        return Ok(Reported::Already {
            monthly_active: row.monthly_active,
        });
    }
    let next = period
        .checked_add_months(Months::new(1))
        .ok_or(CoreError::NotFound)?;
    // The meter takes the figure at the month's last second, inside the period it bills.
    let timestamp = rollup::bounds(next, tz).0 - chrono::Duration::seconds(1);
    billing
        .gateway
        .report_usage(&UsageRecord {
            customer_id: customer,
            event_name: billing.settings.meter_event_name.clone(),
            value: u64::try_from(row.monthly_active).unwrap_or(0),
            identifier: row.identifier.clone(),
            timestamp,
        })
        .await
        .map_err(CoreError::adapter)?;
    let monthly_active = row.monthly_active;
    let mut sent: usage_report::ActiveModel = row.into();
    sent.reported_at = Set(Some(now));
    sent.update(db.conn()).await?;
    Ok(Reported::Sent { monthly_active })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn last_month_follows_the_practice_clock() {
        // 1 December 03:00 UTC is still 30 November in Chicago.
        let now = Utc
            .with_ymd_and_hms(2026, 12, 1, 3, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(
            last_month(now, chrono_tz::America::Chicago),
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default()
        );
        assert_eq!(
            last_month(now, chrono_tz::UTC),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
        );
    }
}
