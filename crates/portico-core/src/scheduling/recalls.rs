//! Preventive-care recalls: a practice's rules ("an annual wellness visit every 12 months";
//! "a screening every 24 months for women 40 to 74"), the daily run that finds the patients
//! each rule makes due and writes them a "time to book" email, and the record of whether a
//! booking followed (for the adoption metrics).
//!
//! A patient is due under a rule when, on the practice's today, their age and sex match it,
//! they have no visit of the rule's type (booked or completed) since `interval_months` ago
//! and none booked ahead, and they were not sent a notice under the rule in that time. The
//! run finds them with one query per rule and stops at [`MAX_NOTICES_PER_RUN`]; the next run
//! carries on. A notice names the practice and links to online booking, nothing else: a
//! rule's name ("breast-cancer screening") says something about the patient.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
    sea_query::{Expr, Query},
};
use std::collections::HashMap;
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{
        appointment, patient, recall_notice,
        recall_rule::{self, Model as Rule},
    },
    notify::{self, Notice, Portal},
    scheduling::{
        appointments::{BOOKED, COMPLETED, PracticeClock},
        catalog,
    },
};

pub const FEMALE: &str = "female";
pub const MALE: &str = "male";
/// Notices one run writes at most; the next run continues where it stopped.
pub const MAX_NOTICES_PER_RUN: u64 = 500;
/// A booking of the rule's type this long after a notice counts as following it.
pub const BOOKING_FOLLOWS_WITHIN_DAYS: i64 = 90;

/// A rule as an admin states it.
#[derive(Clone, Debug)]
pub struct RuleFields {
    pub name: String,
    pub appointment_type_id: Uuid,
    pub interval_months: i32,
    pub min_age: i32,
    pub max_age: Option<i32>,
    /// `female` or `male`; any when unset.
    pub sex: Option<String>,
    pub active: bool,
}

fn audit_rule<'a>(action: &'a str, rule: &Rule) -> Access<'a> {
    Access {
        action,
        resource_type: "RecallRule",
        resource_id: Some(rule.id),
        patient_id: None,
    }
}

/// Checks `fields`; the type must be one of the practice's active appointment types.
async fn checked(tx: &TenantTx, fields: RuleFields) -> CoreResult<RuleFields> {
    let name = fields.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::invalid(
            "name",
            "INVALID_NAME",
            "must be 1 to 100 characters",
        ));
    }
    if !(1..=120).contains(&fields.interval_months) {
        return Err(CoreError::invalid(
            "intervalMonths",
            "INVALID_INTERVAL",
            "must be 1 to 120 months",
        ));
    }
    let ages_ok = (0..=120).contains(&fields.min_age)
        && fields
            .max_age
            .is_none_or(|max| (fields.min_age..=120).contains(&max));
    if !ages_ok {
        return Err(CoreError::invalid(
            if (0..=120).contains(&fields.min_age) {
                "maxAge"
            } else {
                "minAge"
            },
            "INVALID_AGE_RANGE",
            "ages are 0 to 120, and the maximum is not below the minimum",
        ));
    }
    let sex = match fields.sex.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) if s.eq_ignore_ascii_case(FEMALE) => Some(FEMALE.to_owned()),
        Some(s) if s.eq_ignore_ascii_case(MALE) => Some(MALE.to_owned()),
        Some(_) => {
            return Err(CoreError::invalid(
                "sex",
                "INVALID_SEX",
                "must be female or male, or unset for anyone",
            ));
        }
    };
    // An id naming no type of the practice is `NotFound`; a retired type is a mistake.
    if !catalog::find_type(tx, fields.appointment_type_id)
        .await?
        .active
    {
        return Err(CoreError::invalid(
            "appointmentTypeId",
            "UNKNOWN_APPOINTMENT_TYPE",
            "not one of the practice's active appointment types",
        ));
    }
    Ok(RuleFields {
        name,
        sex,
        ..fields
    })
}

pub async fn create_rule(tx: &TenantTx, actor: &Actor, fields: RuleFields) -> CoreResult<Rule> {
    let f = checked(tx, fields).await?;
    let now = Utc::now();
    let created = recall_rule::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(f.name),
        appointment_type_id: Set(f.appointment_type_id),
        interval_months: Set(f.interval_months),
        min_age: Set(f.min_age),
        max_age: Set(f.max_age),
        sex: Set(f.sex),
        active: Set(f.active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, audit_rule("recall_rule.create", &created)).await?;
    Ok(created)
}

pub async fn find_rule(tx: &TenantTx, id: Uuid) -> CoreResult<Rule> {
    tx.find::<recall_rule::Entity>()
        .filter(recall_rule::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// Replaces a rule's fields (deactivate it with `active: false`). Notices already sent stay
/// counted under it.
pub async fn update_rule(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
    fields: RuleFields,
) -> CoreResult<Rule> {
    let found = find_rule(tx, id).await?;
    let f = checked(tx, fields).await?;
    let mut active: recall_rule::ActiveModel = found.into();
    active.name = Set(f.name);
    active.appointment_type_id = Set(f.appointment_type_id);
    active.interval_months = Set(f.interval_months);
    active.min_age = Set(f.min_age);
    active.max_age = Set(f.max_age);
    active.sex = Set(f.sex);
    active.active = Set(f.active);
    active.updated_at = Set(Utc::now());
    let updated = active.update(tx.conn()).await?;
    audit::record(tx, actor, audit_rule("recall_rule.update", &updated)).await?;
    Ok(updated)
}

/// Deletes a rule that has sent nothing; one with notices is the history of a campaign and
/// can only be deactivated (`RULE_IN_USE`).
pub async fn delete_rule(tx: &TenantTx, actor: &Actor, id: Uuid) -> CoreResult<Rule> {
    let found = find_rule(tx, id).await?;
    let sent = tx
        .find::<recall_notice::Entity>()
        .filter(recall_notice::Column::RuleId.eq(id))
        .one(tx.conn())
        .await?;
    if sent.is_some() {
        return Err(CoreError::invalid(
            "id",
            "RULE_IN_USE",
            "this rule has sent notices; deactivate it instead, so its figures stay",
        ));
    }
    tx.delete::<recall_rule::Entity>()
        .filter(recall_rule::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    audit::record(tx, actor, audit_rule("recall_rule.delete", &found)).await?;
    Ok(found)
}

/// The practice's rules, oldest first.
pub async fn rules(tx: &TenantTx, include_inactive: bool) -> CoreResult<Vec<Rule>> {
    let mut query = tx
        .find::<recall_rule::Entity>()
        .order_by_asc(recall_rule::Column::CreatedAt)
        .order_by_asc(recall_rule::Column::Id);
    if !include_inactive {
        query = query.filter(recall_rule::Column::Active.eq(true));
    }
    Ok(query.all(tx.conn()).await?)
}

/// Age in whole years on `today`. Someone born on 29 February turns a year older on 1 March
/// in a common year.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> i32 {
    let years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years - 1
    } else {
        years
    }
}

/// The latest birth date of someone at least `age` on `today`: `age_on(b, today) >= age`
/// exactly when `b <= born_by(age, today)`. Lets the database filter by age with an index.
pub fn born_by(age: i32, today: NaiveDate) -> NaiveDate {
    let year = today.year() - age;
    NaiveDate::from_ymd_opt(year, today.month(), today.day())
        // 29 February in a common year: those born on the 28th have had their birthday.
        .or_else(|| NaiveDate::from_ymd_opt(year, today.month(), today.day() - 1))
        .unwrap_or(NaiveDate::MIN)
}

/// The day someone born on `birth` turns `age` (1 March for 29 February in a common year).
pub fn birthday(birth: NaiveDate, age: i32) -> NaiveDate {
    let year = birth.year() + age;
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .unwrap_or(NaiveDate::MAX)
}

fn start_of_day(clock: &PracticeClock, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    clock
        .tz
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

fn months_before(day: NaiveDate, months: i32) -> NaiveDate {
    day.checked_sub_months(Months::new(u32::try_from(months).unwrap_or(0)))
        .unwrap_or(NaiveDate::MIN)
}

fn months_after(day: NaiveDate, months: i32) -> NaiveDate {
    day.checked_add_months(Months::new(u32::try_from(months).unwrap_or(0)))
        .unwrap_or(NaiveDate::MAX)
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Notices written (each with its messages in the outbox).
    pub notified: usize,
    /// Due patients who cannot be told (opted out, or no address on a channel they want).
    pub unreachable: u64,
    /// The run stopped at [`MAX_NOTICES_PER_RUN`]; another run continues.
    pub more: bool,
}

/// Finds the patients the practice's active rules make due on `clock.now` and, for each with
/// an address, writes a notice, its email (in the outbox) and an audit event, all in `tx`.
/// The caller commits and then relays the outbox.
pub async fn evaluate_due(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    portal: &Portal,
) -> CoreResult<RunSummary> {
    // First: runs of one tenant take turns, so a second run sees the first one's notices.
    audit::lock(tx).await?;
    let mut summary = RunSummary::default();
    for rule in rules(tx, false).await? {
        let remaining = MAX_NOTICES_PER_RUN.saturating_sub(summary.notified as u64);
        if remaining == 0 {
            summary.more = true;
            break;
        }
        let (notified, unreachable, more) =
            evaluate_rule(tx, actor, clock, portal, &rule, remaining).await?;
        summary.notified += notified;
        summary.unreachable += unreachable;
        summary.more |= more;
    }
    Ok(summary)
}

/// Due patients of one rule, at most `limit` of them: one query, plus one for their
/// portal addresses and two for when each fell due.
async fn evaluate_rule(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    portal: &Portal,
    rule: &Rule,
    limit: u64,
) -> CoreResult<(usize, u64, bool)> {
    let tenant = tx.tenant_id().as_uuid();
    let today = clock.now.with_timezone(&clock.tz).date_naive();
    let since = start_of_day(&clock, months_before(today, rule.interval_months));
    // Visits that satisfy the rule: of its type, booked (ahead, or past without an outcome
    // recorded) or completed, since the interval began.
    let visited = Query::select()
        .column(appointment::Column::PatientId)
        .from(appointment::Entity)
        .and_where(appointment::Column::TenantId.eq(tenant))
        .and_where(appointment::Column::AppointmentTypeId.eq(rule.appointment_type_id))
        .and_where(appointment::Column::Status.is_in([BOOKED, COMPLETED]))
        .and_where(appointment::Column::StartsAt.gte(since))
        .to_owned();
    let reminded = Query::select()
        .column(recall_notice::Column::PatientId)
        .from(recall_notice::Entity)
        .and_where(recall_notice::Column::TenantId.eq(tenant))
        .and_where(recall_notice::Column::RuleId.eq(rule.id))
        .and_where(recall_notice::Column::SentAt.gte(since))
        .to_owned();
    let mut due = tx
        .find::<patient::Entity>()
        .filter(patient::Column::BirthDate.lte(born_by(rule.min_age, today)))
        .filter(patient::Column::Id.not_in_subquery(visited))
        .filter(patient::Column::Id.not_in_subquery(reminded));
    if let Some(max) = rule.max_age {
        due = due.filter(patient::Column::BirthDate.gt(born_by(max + 1, today)));
    }
    if let Some(sex) = &rule.sex {
        due = due.filter(patient::Column::Gender.eq(sex.as_str()));
    }
    // Who can be told: not opted out, and an address on a channel the patient wants (a
    // portal account always has an email address).
    let by_email = Condition::all()
        .add(patient::Column::NotifyEmail.eq(true))
        .add(patient::Column::EmailBouncedAt.is_null())
        .add(
            Condition::any()
                .add(patient::Column::Email.is_not_null())
                .add(patient::Column::UserId.is_not_null()),
        );
    let by_text = Condition::all()
        .add(patient::Column::NotifySms.eq(true))
        .add(patient::Column::PhoneBouncedAt.is_null())
        .add(patient::Column::Phone.is_not_null());
    let reachable = Condition::all()
        .add(patient::Column::NotificationsOptedOutAt.is_null())
        .add(Condition::any().add(by_email).add(by_text));
    let unreachable = due
        .clone()
        .filter(reachable.clone().not())
        .count(tx.conn())
        .await?;
    let batch = due
        .filter(reachable)
        .order_by_asc(patient::Column::Id)
        .limit(limit + 1)
        .all(tx.conn())
        .await?;
    let more = batch.len() as u64 > limit;
    let batch: Vec<patient::Model> = batch.into_iter().take(limit as usize).collect();
    if batch.is_empty() {
        return Ok((0, unreachable, false));
    }
    let ids: Vec<Uuid> = batch.iter().map(|p| p.id).collect();
    let last_visit: HashMap<Uuid, DateTime<Utc>> = tx
        .find::<appointment::Entity>()
        .select_only()
        .column(appointment::Column::PatientId)
        .column_as(appointment::Column::StartsAt.max(), "latest")
        .filter(appointment::Column::AppointmentTypeId.eq(rule.appointment_type_id))
        .filter(appointment::Column::Status.is_in([BOOKED, COMPLETED]))
        .filter(appointment::Column::PatientId.is_in(ids.iter().copied()))
        .group_by(appointment::Column::PatientId)
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .all(tx.conn())
        .await?
        .into_iter()
        .collect();
    let last_notice: HashMap<Uuid, DateTime<Utc>> = tx
        .find::<recall_notice::Entity>()
        .select_only()
        .column(recall_notice::Column::PatientId)
        .column_as(recall_notice::Column::SentAt.max(), "latest")
        .filter(recall_notice::Column::RuleId.eq(rule.id))
        .filter(recall_notice::Column::PatientId.is_in(ids.iter().copied()))
        .group_by(recall_notice::Column::PatientId)
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .all(tx.conn())
        .await?
        .into_iter()
        .collect();
    let local = |t: &DateTime<Utc>| t.with_timezone(&clock.tz).date_naive();
    let mut notified = 0;
    for chart in batch {
        let due_since = [
            Some(birthday(chart.birth_date, rule.min_age)),
            last_visit
                .get(&chart.id)
                .map(|t| months_after(local(t), rule.interval_months)),
            last_notice
                .get(&chart.id)
                .map(|t| months_after(local(t), rule.interval_months)),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(today)
        .min(today);
        let notice_id = Uuid::now_v7();
        // Written to the outbox first: a patient the notification path cannot reach after
        // all (a number that cannot take texts) gets no notice row either.
        let written = notify::to_patient(
            tx,
            portal,
            chart.id,
            &notify::Send {
                notice: Notice::RecallDue,
                key: &format!("recall:{notice_id}"),
                topic: Some(&format!("recall:{}:{}", rule.id, chart.id)),
                link: &format!("{}?recall={notice_id}", portal.booking()),
                deadline: None,
            },
            clock.now,
        )
        .await?;
        if !written.any() {
            continue;
        }
        // Runs take turns (the audit lock) and the query above skips patients told in this
        // period, so the unique (rule, patient, due_since) is a backstop: a duplicate fails
        // the run and sends nothing rather than twice.
        recall_notice::ActiveModel {
            tenant_id: Set(tenant),
            id: Set(notice_id),
            rule_id: Set(rule.id),
            patient_id: Set(chart.id),
            due_since: Set(due_since),
            sent_at: Set(clock.now),
            booked_appointment_id: Set(None),
            booked_at: Set(None),
        }
        .insert(tx.conn())
        .await?;
        audit::record(
            tx,
            actor,
            Access {
                action: "recall.notify",
                resource_type: "RecallNotice",
                resource_id: Some(notice_id),
                patient_id: Some(chart.id),
            },
        )
        .await?;
        notified += 1;
    }
    Ok((notified, unreachable, more))
}

/// A visit was just booked: the patient's notices of a rule for its type, sent in the
/// [`BOOKING_FOLLOWS_WITHIN_DAYS`] before and not yet followed, record it. Returns how many.
pub async fn on_booked(tx: &TenantTx, visit: &appointment::Model) -> CoreResult<u64> {
    let rules_of_type = Query::select()
        .column(recall_rule::Column::Id)
        .from(recall_rule::Entity)
        .and_where(recall_rule::Column::TenantId.eq(tx.tenant_id().as_uuid()))
        .and_where(recall_rule::Column::AppointmentTypeId.eq(visit.appointment_type_id))
        .to_owned();
    Ok(tx
        .update::<recall_notice::Entity>()
        .col_expr(
            recall_notice::Column::BookedAppointmentId,
            Expr::value(Some(visit.id)),
        )
        .col_expr(
            recall_notice::Column::BookedAt,
            Expr::value(Some(visit.created_at)),
        )
        .filter(recall_notice::Column::PatientId.eq(visit.patient_id))
        .filter(recall_notice::Column::BookedAppointmentId.is_null())
        .filter(
            recall_notice::Column::SentAt
                .gte(visit.created_at - Duration::days(BOOKING_FOLLOWS_WITHIN_DAYS)),
        )
        .filter(recall_notice::Column::SentAt.lte(visit.created_at))
        .filter(recall_notice::Column::RuleId.in_subquery(rules_of_type))
        .exec(tx.conn())
        .await?
        .rows_affected)
}

/// One rule's campaign over a period: notices sent, and how many a booking followed.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub rule: Rule,
    pub sent: i64,
    pub booked: i64,
}

impl Campaign {
    /// `booked / sent`; 0 when nothing was sent.
    pub fn conversion(&self) -> f64 {
        if self.sent > 0 {
            self.booked as f64 / self.sent as f64
        } else {
            0.0
        }
    }
}

/// The instants a campaign report between two local dates of the practice covers (both
/// dates included): `INVALID_RANGE` when it ends before it starts or spans more than 366
/// days.
pub fn campaign_period(
    tz: chrono_tz::Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> CoreResult<(DateTime<Utc>, DateTime<Utc>)> {
    if to < from || (to - from).num_days() > 365 {
        return Err(CoreError::invalid(
            "to",
            "INVALID_RANGE",
            "the range must not end before it starts, and spans at most 366 days",
        ));
    }
    let start = |day: NaiveDate| {
        let midnight = day.and_time(NaiveTime::MIN);
        tz.from_local_datetime(&midnight)
            .earliest()
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    };
    let until = to.succ_opt().unwrap_or(to);
    Ok((start(from), start(until)))
}

/// Every rule (inactive ones too) with its notices sent in `[from, to)`.
pub async fn campaigns(
    tx: &TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CoreResult<Vec<Campaign>> {
    let counts: HashMap<Uuid, (i64, i64)> = tx
        .find::<recall_notice::Entity>()
        .select_only()
        .column(recall_notice::Column::RuleId)
        .column_as(recall_notice::Column::Id.count(), "sent")
        .column_as(recall_notice::Column::BookedAppointmentId.count(), "booked")
        .filter(recall_notice::Column::SentAt.gte(from))
        .filter(recall_notice::Column::SentAt.lt(to))
        .group_by(recall_notice::Column::RuleId)
        .into_tuple::<(Uuid, i64, i64)>()
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|(rule, sent, booked)| (rule, (sent, booked)))
        .collect();
    Ok(rules(tx, true)
        .await?
        .into_iter()
        .map(|rule| {
            let (sent, booked) = counts.get(&rule.id).copied().unwrap_or((0, 0));
            Campaign { rule, sent, booked }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn age_turns_on_the_birthday_not_the_day_before() {
        assert_eq!(age_on(d(1981, 6, 15), d(2026, 6, 14)), 44);
        assert_eq!(age_on(d(1981, 6, 15), d(2026, 6, 15)), 45);
        assert_eq!(age_on(d(1981, 6, 15), d(2026, 12, 31)), 45);
        assert_eq!(age_on(d(1981, 12, 31), d(2026, 1, 1)), 44);
        assert_eq!(age_on(d(2026, 1, 1), d(2026, 1, 1)), 0);
    }

    #[test]
    fn a_leap_day_birthday_counts_from_the_first_of_march_in_common_years() {
        let leap = d(1984, 2, 29);
        assert_eq!(age_on(leap, d(2025, 2, 28)), 40);
        assert_eq!(age_on(leap, d(2025, 3, 1)), 41);
        assert_eq!(age_on(leap, d(2028, 2, 28)), 43);
        assert_eq!(age_on(leap, d(2028, 2, 29)), 44);
        assert_eq!(birthday(leap, 41), d(2025, 3, 1));
        assert_eq!(birthday(leap, 44), d(2028, 2, 29));
        assert_eq!(born_by(40, d(2025, 2, 28)), d(1985, 2, 28));
        // On 29 February, someone born on the 28th forty years ago (a common year) is 40.
        assert_eq!(born_by(40, d(2028, 2, 29)), d(1988, 2, 29));
        assert_eq!(born_by(41, d(2028, 2, 29)), d(1987, 2, 28));
    }

    #[test]
    fn the_birth_date_bound_agrees_with_the_age_for_every_day_of_several_years() {
        // Every birth date in 1979..1989 against every "today" in 2024..2029 would be slow;
        // every today against the birth dates around its bound is exact enough.
        let mut today = d(2024, 1, 1);
        while today < d(2029, 1, 1) {
            for age in [0, 1, 40, 45, 74, 75] {
                let bound = born_by(age, today);
                for offset in -3..=3 {
                    let birth = bound + Duration::days(offset);
                    assert_eq!(
                        age_on(birth, today) >= age,
                        birth <= bound,
                        "age {age}, born {birth}, today {today}"
                    );
                }
            }
            today += Duration::days(1);
        }
    }
}
