//! Adoption metrics for practice admins (`adoption/read`): their practice's figures as a
//! time series by day, week or month, from the nightly rollups; and a recompute of past
//! days (after a backfill, or to see today so far).

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::NaiveDate;
use portico_core::{
    adoption::{
        platform, rollup,
        series::{self, Granularity},
    },
    audit,
    tenancy::Access,
};

use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AdoptionGranularity {
    Day,
    /// Weeks starting on Monday.
    Week,
    Month,
}

/// One period of a practice's adoption figures.
#[derive(SimpleObject)]
pub struct AdoptionPoint {
    /// The period's first day (the practice's calendar).
    start: NaiveDate,
    /// Days of the period with figures.
    days: i64,
    /// Charts at the end of the period, and those with a portal account.
    patients: i64,
    activated: i64,
    activation_rate: Option<f64>,
    /// Patients (or proxies) using the portal on an average day, and in the 30 days ending
    /// with the period.
    average_daily_active: f64,
    monthly_active: i64,
    bookings: i64,
    online_bookings: i64,
    online_share: Option<f64>,
    completed_visits: i64,
    no_shows: i64,
    no_show_rate: Option<f64>,
    reminders_sent: i64,
    /// Reminders with a message the email server or SMS provider accepted.
    reminders_delivered: i64,
    /// Recall notices sent, and bookings that followed one (counted when booked).
    recalls_sent: i64,
    recall_bookings: i64,
    messages_in: i64,
    messages_out: i64,
    median_first_response_minutes: Option<i64>,
    refills_requested: i64,
    refills_decided: i64,
    median_refill_turnaround_minutes: Option<i64>,
}

impl From<series::Point> for AdoptionPoint {
    fn from(p: series::Point) -> Self {
        Self {
            start: p.start,
            days: p.days,
            patients: p.patients,
            activated: p.activated,
            activation_rate: p.activation_rate,
            average_daily_active: p.average_daily_active,
            monthly_active: p.monthly_active,
            bookings: p.bookings,
            online_bookings: p.online_bookings,
            online_share: p.online_share,
            completed_visits: p.completed_visits,
            no_shows: p.no_shows,
            no_show_rate: p.no_show_rate,
            reminders_sent: p.reminders_sent,
            reminders_delivered: p.reminders_delivered,
            recalls_sent: p.recalls_sent,
            recall_bookings: p.recall_bookings,
            messages_in: p.messages_in,
            messages_out: p.messages_out,
            median_first_response_minutes: p.median_first_response_minutes,
            refills_requested: p.refills_requested,
            refills_decided: p.refills_decided,
            median_refill_turnaround_minutes: p.median_refill_turnaround_minutes,
        }
    }
}

/// One practice's series, for operators.
#[derive(SimpleObject)]
pub struct PracticeAdoption {
    tenant_id: async_graphql::ID,
    name: String,
    points: Vec<AdoptionPoint>,
}

/// Every practice's series and the platform's totals per period, for operators.
#[derive(SimpleObject)]
pub struct PlatformAdoption {
    totals: Vec<AdoptionPoint>,
    practices: Vec<PracticeAdoption>,
}

fn granularity_of(g: Option<AdoptionGranularity>) -> Granularity {
    match g.unwrap_or(AdoptionGranularity::Day) {
        AdoptionGranularity::Day => Granularity::Day,
        AdoptionGranularity::Week => Granularity::Week,
        AdoptionGranularity::Month => Granularity::Month,
    }
}

#[derive(Default)]
pub struct AdoptionQuery;

#[Object]
impl AdoptionQuery {
    /// The practice's adoption figures from `from` to `to` (both included), one point per
    /// period with figures. `INVALID_RANGE` beyond two years.
    async fn adoption_metrics(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(desc = "Day when unset.")] granularity: Option<AdoptionGranularity>,
    ) -> async_graphql::Result<Vec<AdoptionPoint>> {
        let granularity = granularity_of(granularity);
        let points = ctx
            .run(Need::to("adoption", "read"), Access::Read, async |tx, _| {
                series::series(tx, from, to, granularity).await
            })
            .await?;
        Ok(points.into_iter().map(AdoptionPoint::from).collect())
    }

    /// Every practice's adoption figures and the platform's totals (operators only). The
    /// one cross-practice read of these figures: each practice is opened in its own scope,
    /// and the read is audited in the platform's log.
    async fn platform_adoption(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        granularity: Option<AdoptionGranularity>,
    ) -> async_graphql::Result<PlatformAdoption> {
        let need = Need::to("tenants", "manage");
        ctx.caller(need).await?;
        if !ctx.tenant()?.is_platform() {
            return Err(ApiError::Forbidden.into());
        }
        let granularity = granularity_of(granularity);
        // The read is audited in the platform's log before any practice is read.
        ctx.run(need, Access::Write, async |tx, caller| {
            let read = audit::Access::practice("operator.adoption.read", "Tenant", None);
            audit::record(tx, &caller.actor, read).await
        })
        .await?;
        let read = platform::series(&ctx.services()?.db, from, to, granularity)
            .await
            .map_err(|e| ctx.fail(e))?;
        Ok(PlatformAdoption {
            totals: read.totals.into_iter().map(AdoptionPoint::from).collect(),
            practices: read
                .practices
                .into_iter()
                .map(|p| PracticeAdoption {
                    tenant_id: global_id::encode("Tenant", p.practice.tenant.id),
                    name: p.practice.tenant.name,
                    points: p.points.into_iter().map(AdoptionPoint::from).collect(),
                })
                .collect(),
        })
    }
}

#[derive(SimpleObject, Default)]
pub struct RecomputeAdoptionPayload {
    /// Days computed.
    days: i64,
    user_errors: Vec<UserError>,
}

refusable!(RecomputeAdoptionPayload);

#[derive(Default)]
pub struct AdoptionMutation;

#[Object]
impl AdoptionMutation {
    /// Computes the figures of `from` to `to` again (at most 92 days); the same data gives
    /// the same figures.
    async fn recompute_adoption(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<RecomputeAdoptionPayload> {
        let tz = rollup::zone(&ctx.tenant()?.tenant.time_zone);
        let outcome = ctx
            .mutate(Need::to("adoption", "read"), async |tx, _| {
                rollup::recompute_range(tx, from, to, tz).await
            })
            .await?;
        Ok(outcome.payload(|days| RecomputeAdoptionPayload {
            days,
            user_errors: Vec::new(),
        }))
    }
}
