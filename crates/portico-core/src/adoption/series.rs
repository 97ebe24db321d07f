//! A practice's rollups as a time series by day, week (starting Monday) or month, ready for
//! charts: counts are summed, standing figures (patients, accounts, monthly actives) are the
//! period's last day, daily actives are averaged, and rates come from the sums. A period's
//! median reply and turnaround times are the median of its days' medians (the days keep no
//! more detail).

use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

use super::rollup::median;
use crate::{
    CoreError, CoreResult, TenantTx,
    entities::adoption_rollup::{self, Model as Rollup},
};

/// The longest range one request may ask for.
pub const MAX_DAYS: i64 = 731;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

/// One period of the series.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The period's first day.
    pub start: NaiveDate,
    /// Days of the period that have a rollup.
    pub days: i64,
    pub patients: i64,
    pub activated: i64,
    /// `activated / patients`.
    pub activation_rate: Option<f64>,
    pub average_daily_active: f64,
    pub monthly_active: i64,
    pub bookings: i64,
    pub online_bookings: i64,
    /// `online_bookings / bookings`.
    pub online_share: Option<f64>,
    pub completed_visits: i64,
    pub no_shows: i64,
    /// `no_shows / (completed_visits + no_shows)`.
    pub no_show_rate: Option<f64>,
    pub reminders_sent: i64,
    pub reminders_delivered: i64,
    pub recalls_sent: i64,
    pub recall_bookings: i64,
    pub messages_in: i64,
    pub messages_out: i64,
    pub median_first_response_minutes: Option<i64>,
    pub refills_requested: i64,
    pub refills_decided: i64,
    pub median_refill_turnaround_minutes: Option<i64>,
}

fn period_start(day: NaiveDate, granularity: Granularity) -> NaiveDate {
    match granularity {
        Granularity::Day => day,
        Granularity::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Granularity::Month => day.with_day(1).unwrap_or(day),
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// One day's rollup as a point of its own.
fn day_point(d: &Rollup) -> Point {
    Point {
        start: d.day,
        days: 1,
        patients: d.patients,
        activated: d.activated,
        activation_rate: ratio(d.activated, d.patients),
        average_daily_active: d.daily_active as f64,
        monthly_active: d.monthly_active,
        bookings: d.bookings,
        online_bookings: d.online_bookings,
        online_share: ratio(d.online_bookings, d.bookings),
        completed_visits: d.completed_visits,
        no_shows: d.no_shows,
        no_show_rate: ratio(d.no_shows, d.completed_visits + d.no_shows),
        reminders_sent: d.reminders_sent,
        reminders_delivered: d.reminders_delivered,
        recalls_sent: d.recalls_sent,
        recall_bookings: d.recall_bookings,
        messages_in: d.messages_in,
        messages_out: d.messages_out,
        median_first_response_minutes: d.median_first_response_minutes,
        refills_requested: d.refills_requested,
        refills_decided: d.refills_decided,
        median_refill_turnaround_minutes: d.median_refill_turnaround_minutes,
    }
}

/// Folds days (oldest first) into one point: summed as [`combine`] sums practices, except
/// that standing figures are the last day's and daily actives the average.
pub fn fold(start: NaiveDate, days: &[Rollup]) -> Point {
    let points: Vec<Point> = days.iter().map(day_point).collect();
    let mut folded = combine(start, &points.iter().collect::<Vec<_>>());
    folded.days = days.len() as i64;
    if let Some(last) = days.last() {
        folded.patients = last.patients;
        folded.activated = last.activated;
        folded.monthly_active = last.monthly_active;
        folded.average_daily_active /= days.len() as f64;
    }
    folded.activation_rate = ratio(folded.activated, folded.patients);
    folded
}

/// Several practices' points of one period as one: counts and standing figures summed,
/// rates from the sums, medians the median of the practices' medians.
pub fn combine(start: NaiveDate, points: &[&Point]) -> Point {
    let sum = |f: fn(&Point) -> i64| points.iter().map(|p| f(p)).sum::<i64>();
    let patients = sum(|p| p.patients);
    let activated = sum(|p| p.activated);
    let bookings = sum(|p| p.bookings);
    let online_bookings = sum(|p| p.online_bookings);
    let completed_visits = sum(|p| p.completed_visits);
    let no_shows = sum(|p| p.no_shows);
    Point {
        start,
        days: points.iter().map(|p| p.days).max().unwrap_or(0),
        patients,
        activated,
        activation_rate: ratio(activated, patients),
        average_daily_active: points.iter().map(|p| p.average_daily_active).sum(),
        monthly_active: sum(|p| p.monthly_active),
        bookings,
        online_bookings,
        online_share: ratio(online_bookings, bookings),
        completed_visits,
        no_shows,
        no_show_rate: ratio(no_shows, completed_visits + no_shows),
        reminders_sent: sum(|p| p.reminders_sent),
        reminders_delivered: sum(|p| p.reminders_delivered),
        recalls_sent: sum(|p| p.recalls_sent),
        recall_bookings: sum(|p| p.recall_bookings),
        messages_in: sum(|p| p.messages_in),
        messages_out: sum(|p| p.messages_out),
        median_first_response_minutes: median(
            points
                .iter()
                .filter_map(|p| p.median_first_response_minutes)
                .collect(),
        ),
        refills_requested: sum(|p| p.refills_requested),
        refills_decided: sum(|p| p.refills_decided),
        median_refill_turnaround_minutes: median(
            points
                .iter()
                .filter_map(|p| p.median_refill_turnaround_minutes)
                .collect(),
        ),
    }
}

/// The practice's series from `from` to `to` (both included), one point per period that has
/// rollups.
pub async fn series(
    tx: &TenantTx,
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
) -> CoreResult<Vec<Point>> {
    if to < from || (to - from).num_days() >= MAX_DAYS {
        return Err(CoreError::invalid(
            "to",
            "INVALID_RANGE",
            format!("from must not be after to, and the range at most {MAX_DAYS} days"),
        ));
    }
    let rows = tx
        .find::<adoption_rollup::Entity>()
        .filter(adoption_rollup::Column::Day.gte(from))
        .filter(adoption_rollup::Column::Day.lte(to))
        .order_by_asc(adoption_rollup::Column::Day)
        .all(tx.conn())
        .await?;
    let mut points = Vec::new();
    let mut period: Vec<Rollup> = Vec::new();
    for row in rows {
        if let Some(first) = period.first()
            && period_start(first.day, granularity) != period_start(row.day, granularity)
        {
            points.push(fold(period_start(first.day, granularity), &period));
            period.clear();
        }
        period.push(row);
    }
    if let Some(first) = period.first() {
        points.push(fold(period_start(first.day, granularity), &period));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32, patients: i64, daily_active: i64, bookings: i64, median: Option<i64>) -> Rollup {
        Rollup {
            tenant_id: uuid::Uuid::nil(),
            id: uuid::Uuid::nil(),
            day: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            patients,
            activated: patients / 2,
            daily_active,
            monthly_active: daily_active * 3,
            bookings,
            online_bookings: bookings / 2,
            completed_visits: 3,
            no_shows: 1,
            reminders_sent: 2,
            reminders_delivered: 1,
            recalls_sent: 1,
            recall_bookings: 0,
            messages_in: 1,
            messages_out: 1,
            median_first_response_minutes: median,
            refills_requested: 0,
            refills_decided: 0,
            median_refill_turnaround_minutes: None,
            computed_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_period_sums_counts_keeps_the_last_standing_figures_and_averages_daily_actives() {
        let start = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let p = fold(
            start,
            &[day(23, 10, 2, 4, Some(30)), day(24, 12, 4, 6, Some(90))],
        );
        assert_eq!(p.days, 2);
        assert_eq!((p.patients, p.activated, p.monthly_active), (12, 6, 12));
        assert_eq!(p.activation_rate, Some(0.5));
        assert!((p.average_daily_active - 3.0).abs() < f64::EPSILON);
        assert_eq!((p.bookings, p.online_bookings), (10, 5));
        assert_eq!((p.completed_visits, p.no_shows), (6, 2));
        assert_eq!(p.no_show_rate, Some(0.25));
        assert_eq!(p.median_first_response_minutes, Some(60));
        assert_eq!(p.median_refill_turnaround_minutes, None);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(); // a Thursday
        assert_eq!(
            period_start(day, Granularity::Week),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        assert_eq!(
            period_start(day, Granularity::Month),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
    }
}
