//! The patient's dashboard: the last visit, results new since it, and reminders derived from
//! the chart. Next appointments (and, later, unread messages) come from their own areas and
//! are added by the API layer beside these.

use chrono::{Duration, NaiveDate, Utc};
use uuid::Uuid;

use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, IdenStatic, Iterable, Statement,
};

use super::{ENTERED_IN_ERROR, audit};
use crate::{
    CoreResult, TenantTx,
    audit::Actor,
    chart_access::OpenChart,
    entities::{encounter, observation},
};

/// How far ahead an immunization that falls due is shown.
pub const REMINDER_HORIZON_DAYS: i64 = 30;
const NEW_RESULTS_LIMIT: u64 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderKind {
    /// The next dose of a vaccine is due within the horizon (or overdue).
    ImmunizationDue,
    /// An active prescription has no refills left: it needs renewing (a controlled substance
    /// needs a visit for that).
    MedicationRenewal,
}

#[derive(Clone, Debug)]
pub struct Reminder {
    pub kind: ReminderKind,
    /// What it is about (the vaccine or medication name).
    pub title: String,
    pub due_on: Option<NaiveDate>,
    pub resource_type: &'static str,
    pub resource_id: Uuid,
    /// For renewals: the medication is a controlled substance (a visit is needed).
    pub needs_visit: bool,
}

#[derive(Clone, Debug)]
pub struct Dashboard {
    pub last_visit: Option<encounter::Model>,
    /// Results taken after the last finished visit (all results when there is none),
    /// newest first.
    pub new_results: Vec<observation::Model>,
    pub reminders: Vec<Reminder>,
}

/// Audited once as `dashboard.read`. Two statements: the last visit with the results since
/// it (one join), and the rows reminders come from (one union).
pub async fn load(tx: &TenantTx, actor: &Actor, chart: &OpenChart) -> CoreResult<Dashboard> {
    let (last_visit, new_results) = visit_and_results(tx, chart).await?;
    let sources = reminder_sources(tx, chart).await?;
    let reminders = reminders(&sources, Utc::now().date_naive());
    audit(
        tx,
        actor,
        chart,
        "dashboard.read",
        "Patient",
        Some(chart.id()),
    )
    .await?;
    Ok(Dashboard {
        last_visit,
        new_results,
        reminders,
    })
}

/// `$n` placeholders as the engine spells them (SQLite: `?n`, the same numbering).
fn for_engine(tx: &TenantTx, sql: &str) -> Statement {
    let backend = tx.conn().get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_string(backend, sql)
}

/// `"alias"."column" AS "prefix_column"` for every column of `E`.
fn columns<E: EntityTrait>(alias: &str, prefix: &str) -> String {
    E::Column::iter()
        .map(|c| format!("{alias}.\"{0}\" AS \"{prefix}{0}\"", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The latest finished visit and the visible results taken after it (every visible result
/// when there is none), newest first, at most [`NEW_RESULTS_LIMIT`]. One row per result, the
/// visit repeated on each; one row with no result when there is none.
async fn visit_and_results(
    tx: &TenantTx,
    chart: &OpenChart,
) -> CoreResult<(Option<encounter::Model>, Vec<observation::Model>)> {
    let hide_errors = if chart.is_patient_view() {
        format!("AND o.status <> '{ENTERED_IN_ERROR}'")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT {visit}, {result} FROM (SELECT 1 AS one) base \
         LEFT JOIN encounters e ON e.tenant_id = $1 AND e.id = ( \
           SELECT last.id FROM encounters last \
           WHERE last.tenant_id = $1 AND last.patient_id = $2 AND last.status = 'finished' \
           ORDER BY last.started_at DESC, last.id DESC LIMIT 1) \
         LEFT JOIN observations o ON o.tenant_id = $1 AND o.patient_id = $2 {hide_errors} \
           AND (e.id IS NULL OR o.effective_at > COALESCE(e.ended_at, e.started_at)) \
         ORDER BY o.effective_at DESC, o.id DESC LIMIT {NEW_RESULTS_LIMIT}",
        visit = columns::<encounter::Entity>("e", "e_"),
        result = columns::<observation::Entity>("o", "o_"),
    );
    let mut statement = for_engine(tx, &sql);
    statement.values = Some(sea_orm::Values(vec![
        tx.tenant_id().as_uuid().into(),
        chart.id().into(),
    ]));
    let rows = tx.conn().query_all_raw(statement).await?;
    let mut visit = None;
    let mut results = Vec::with_capacity(rows.len());
    for row in &rows {
        if visit.is_none() {
            visit = encounter::Model::from_query_result_optional(row, "e_")?;
        }
        if let Some(result) = observation::Model::from_query_result_optional(row, "o_")? {
            results.push(result);
        }
    }
    Ok((visit, results))
}

/// What reminders are derived from: completed doses, and active prescriptions with no refills
/// left (neither is ever entered in error).
#[derive(Clone, Debug, FromQueryResult)]
pub struct ReminderSource {
    /// `immunization` or `medication`.
    pub kind: String,
    pub id: Uuid,
    /// The vaccine's code (CVX), for doses.
    pub code: Option<String>,
    /// The vaccine or medication.
    pub title: String,
    pub given_on: Option<NaiveDate>,
    pub next_due_on: Option<NaiveDate>,
    pub controlled: bool,
}

async fn reminder_sources(tx: &TenantTx, chart: &OpenChart) -> CoreResult<Vec<ReminderSource>> {
    let sql = "SELECT 'immunization' AS kind, i.id, i.vaccine_code AS code, \
               i.vaccine_name AS title, i.occurred_on AS given_on, i.next_due_on, \
               false AS controlled \
             FROM immunizations i \
             WHERE i.tenant_id = $1 AND i.patient_id = $2 AND i.status = 'completed' \
             UNION ALL \
             SELECT 'medication', m.id, NULL, m.name, NULL, NULL, m.controlled \
             FROM medication_requests m \
             WHERE m.tenant_id = $1 AND m.patient_id = $2 AND m.status = 'active' \
               AND m.refills_left = 0";
    let mut statement = for_engine(tx, sql);
    statement.values = Some(sea_orm::Values(vec![
        tx.tenant_id().as_uuid().into(),
        chart.id().into(),
    ]));
    Ok(ReminderSource::find_by_statement(statement)
        .all(tx.conn())
        .await?)
}

/// Reminders from the chart as of `today`: for each vaccine, its latest completed dose whose
/// next dose falls due within [`REMINDER_HORIZON_DAYS`] (or is overdue); and each active
/// prescription with no refills left. Soonest first.
pub fn reminders(sources: &[ReminderSource], today: NaiveDate) -> Vec<Reminder> {
    let horizon = today + Duration::days(REMINDER_HORIZON_DAYS);
    let mut latest: std::collections::HashMap<String, &ReminderSource> =
        std::collections::HashMap::new();
    for dose in sources.iter().filter(|s| s.kind == "immunization") {
        let key = dose
            .code
            .clone()
            .unwrap_or_else(|| dose.title.to_lowercase());
        let entry = latest.entry(key).or_insert(dose);
        if dose.given_on > entry.given_on {
            *entry = dose;
        }
    }
    let mut out: Vec<Reminder> = latest
        .values()
        .filter_map(|dose| {
            let due = dose.next_due_on?;
            (due <= horizon).then(|| Reminder {
                kind: ReminderKind::ImmunizationDue,
                title: dose.title.clone(),
                due_on: Some(due),
                resource_type: "Immunization",
                resource_id: dose.id,
                needs_visit: false,
            })
        })
        .collect();
    out.extend(
        sources
            .iter()
            .filter(|s| s.kind == "medication")
            .map(|m| Reminder {
                kind: ReminderKind::MedicationRenewal,
                title: m.title.clone(),
                due_on: None,
                resource_type: "MedicationRequest",
                resource_id: m.id,
                needs_visit: m.controlled,
            }),
    );
    out.sort_by(|a, b| {
        (a.due_on.is_none(), a.due_on, &a.title).cmp(&(b.due_on.is_none(), b.due_on, &b.title))
    });
    out
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};
    use uuid::Uuid;

    use super::*;

    fn date(days_from_today: i64, today: NaiveDate) -> NaiveDate {
        today + Duration::days(days_from_today)
    }

    fn dose(code: &str, given: NaiveDate, next: Option<NaiveDate>) -> ReminderSource {
        ReminderSource {
            kind: "immunization".to_owned(),
            id: Uuid::now_v7(),
            code: Some(code.to_owned()),
            title: format!("vaccine {code}"),
            given_on: Some(given),
            next_due_on: next,
            controlled: false,
        }
    }

    /// An active prescription with no refills left (what the query returns).
    fn renewal(name: &str, controlled: bool) -> ReminderSource {
        ReminderSource {
            kind: "medication".to_owned(),
            id: Uuid::now_v7(),
            code: None,
            title: name.to_owned(),
            given_on: None,
            next_due_on: None,
            controlled,
        }
    }

    #[test]
    fn reminders_come_from_the_latest_dose_and_empty_prescriptions() {
        let today = Utc::now().date_naive();
        let sources = [
            // Superseded by a later dose of the same vaccine: no reminder from it.
            dose("33", date(-800, today), Some(date(-400, today))),
            dose("33", date(-30, today), Some(date(335, today))),
            // Due within the horizon, and overdue.
            dose("115", date(-3600, today), Some(date(10, today))),
            dose("150", date(-400, today), Some(date(-35, today))),
            renewal("oxycodone", true),
        ];
        let out = reminders(&sources, today);
        let kinds: Vec<(ReminderKind, Option<NaiveDate>)> =
            out.iter().map(|r| (r.kind, r.due_on)).collect();
        assert_eq!(
            kinds,
            vec![
                (ReminderKind::ImmunizationDue, Some(date(-35, today))),
                (ReminderKind::ImmunizationDue, Some(date(10, today))),
                (ReminderKind::MedicationRenewal, None),
            ]
        );
        assert!(out[2].needs_visit, "a controlled substance needs a visit");
    }
}
