//! Diagnostic reports: a panel or study that groups observations, with a conclusion.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::{audit, belongs, code, existing, not_future, optional, required, staff_only, status};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::Actor,
    chart_access::OpenChart,
    entities::{diagnostic_report, encounter, observation},
};

pub use super::observations::STATUSES;

#[derive(Clone, Debug, Default)]
pub struct ReportInput {
    pub status: String,
    pub code: String,
    pub display: String,
    pub conclusion: Option<String>,
    pub effective_at: Option<DateTime<Utc>>,
    pub issued_at: Option<DateTime<Utc>>,
    pub encounter_id: Option<Uuid>,
}

/// Enters a report (`id` unset) or corrects one in place.
pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    id: Option<Uuid>,
    input: ReportInput,
) -> CoreResult<diagnostic_report::Model> {
    staff_only(chart)?;
    let found = match id {
        Some(id) => Some(existing::<diagnostic_report::Entity>(tx, chart, id).await?),
        None => None,
    };
    let allowed: &[&str] = if found.is_some() {
        &STATUSES[1..]
    } else {
        &STATUSES[..2]
    };
    let status = status("status", &input.status, allowed)?;
    let code = code("code", Some(input.code), true)?
        .ok_or_else(|| CoreError::invalid("code", "INVALID_CODE", "a LOINC code is required"))?;
    let display = required("display", &input.display, 200)?;
    let conclusion = optional("conclusion", input.conclusion, 20_000)?;
    let effective_at = not_future(
        "effectiveAt",
        input
            .effective_at
            .ok_or_else(|| CoreError::invalid("effectiveAt", "REQUIRED", "when it was done"))?,
    )?;
    let issued_at = input
        .issued_at
        .map(|t| not_future("issuedAt", t))
        .transpose()?;
    let encounter_id = belongs::<encounter::Entity>(tx, chart, input.encounter_id).await?;
    let now = Utc::now();
    let (mut active, action): (diagnostic_report::ActiveModel, _) = match found {
        Some(found) => (found.into(), "diagnostic_report.correct"),
        None => (
            diagnostic_report::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                patient_id: Set(chart.id()),
                source: Set(Some(super::PORTAL_SOURCE.to_owned())),
                external_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            },
            "diagnostic_report.create",
        ),
    };
    active.status = Set(status);
    active.code = Set(code);
    active.display = Set(display);
    active.conclusion = Set(conclusion);
    active.effective_at = Set(effective_at);
    active.issued_at = Set(issued_at);
    active.encounter_id = Set(encounter_id);
    active.entered_by = Set(actor.id);
    active.updated_at = Set(now);
    let model = if id.is_some() {
        active.update(tx.conn()).await?
    } else {
        active.insert(tx.conn()).await?
    };
    audit(tx, actor, chart, action, "DiagnosticReport", Some(model.id)).await?;
    Ok(model)
}

/// Each report with its results (oldest first), as the chart's viewer sees them.
pub async fn with_results(
    tx: &TenantTx,
    chart: &OpenChart,
    reports: Vec<diagnostic_report::Model>,
) -> CoreResult<Vec<(diagnostic_report::Model, Vec<observation::Model>)>> {
    let mut out = Vec::with_capacity(reports.len());
    for report in reports {
        let results = super::observations::of_report(tx, chart, report.id).await?;
        out.push((report, results));
    }
    Ok(out)
}
