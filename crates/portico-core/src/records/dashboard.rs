//! The patient's dashboard: the last visit, results new since it, and reminders derived from
//! the chart. Next appointments (and, later, unread messages) come from their own areas and
//! are added by the API layer beside these.

use chrono::{Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::{Page, audit, observations, visible};
use crate::{
    CoreResult, TenantTx,
    audit::Actor,
    chart_access::OpenChart,
    entities::{encounter, immunization, medication_request, observation},
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

/// Audited once as `dashboard.read`.
pub async fn load(tx: &TenantTx, actor: &Actor, chart: &OpenChart) -> CoreResult<Dashboard> {
    let last_visit = super::encounters::last_finished(tx, chart).await?;
    let since = last_visit
        .as_ref()
        .map(|v| v.ended_at.unwrap_or(v.started_at));
    let new_results = observations::since(tx, chart, since, NEW_RESULTS_LIMIT).await?;
    let reminders = reminders(
        &visible::<immunization::Entity>(tx, chart, Page::ALL).await?,
        &visible::<medication_request::Entity>(tx, chart, Page::ALL).await?,
        Utc::now().date_naive(),
    );
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

/// Reminders from the chart as of `today`: for each vaccine, its latest completed dose whose
/// next dose falls due within [`REMINDER_HORIZON_DAYS`] (or is overdue); and each active
/// prescription with no refills left. Soonest first.
pub fn reminders(
    immunizations: &[immunization::Model],
    medications: &[medication_request::Model],
    today: NaiveDate,
) -> Vec<Reminder> {
    let horizon = today + Duration::days(REMINDER_HORIZON_DAYS);
    let mut latest: std::collections::HashMap<String, &immunization::Model> =
        std::collections::HashMap::new();
    for dose in immunizations.iter().filter(|i| i.status == "completed") {
        let key = dose
            .vaccine_code
            .clone()
            .unwrap_or_else(|| dose.vaccine_name.to_lowercase());
        let entry = latest.entry(key).or_insert(dose);
        if dose.occurred_on > entry.occurred_on {
            *entry = dose;
        }
    }
    let mut out: Vec<Reminder> = latest
        .values()
        .filter_map(|dose| {
            let due = dose.next_due_on?;
            (due <= horizon).then(|| Reminder {
                kind: ReminderKind::ImmunizationDue,
                title: dose.vaccine_name.clone(),
                due_on: Some(due),
                resource_type: "Immunization",
                resource_id: dose.id,
                needs_visit: false,
            })
        })
        .collect();
    out.extend(
        medications
            .iter()
            .filter(|m| m.status == "active" && m.refills_left == 0)
            .map(|m| Reminder {
                kind: ReminderKind::MedicationRenewal,
                title: m.name.clone(),
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

    fn dose(code: &str, given: NaiveDate, next: Option<NaiveDate>) -> immunization::Model {
        immunization::Model {
            tenant_id: Uuid::nil(),
            id: Uuid::now_v7(),
            patient_id: Uuid::nil(),
            status: "completed".to_owned(),
            vaccine_code: Some(code.to_owned()),
            vaccine_name: format!("vaccine {code}"),
            occurred_on: given,
            next_due_on: next,
            primary_source: None,
            source: None,
            external_id: None,
            entered_by: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn prescription(status: &str, refills: i32, controlled: bool) -> medication_request::Model {
        medication_request::Model {
            tenant_id: Uuid::nil(),
            id: Uuid::now_v7(),
            patient_id: Uuid::nil(),
            status: status.to_owned(),
            name: format!("{status} {refills}"),
            rxnorm_code: None,
            dosage: "daily".to_owned(),
            refills_left: refills,
            prescriber_id: None,
            prescriber_name: None,
            last_filled_on: None,
            controlled,
            authored_at: Utc::now(),
            source: None,
            external_id: None,
            entered_by: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn reminders_come_from_the_latest_dose_and_empty_prescriptions() {
        let today = Utc::now().date_naive();
        let immunizations = [
            // Superseded by a later dose of the same vaccine: no reminder from it.
            dose("33", date(-800, today), Some(date(-400, today))),
            dose("33", date(-30, today), Some(date(335, today))),
            // Due within the horizon, and overdue.
            dose("115", date(-3600, today), Some(date(10, today))),
            dose("150", date(-400, today), Some(date(-35, today))),
        ];
        let medications = [
            prescription("active", 0, true),
            prescription("active", 2, false),
            prescription("stopped", 0, false),
        ];
        let out = reminders(&immunizations, &medications, today);
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
