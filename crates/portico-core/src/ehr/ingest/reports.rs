//! Diagnostic reports: their results are the observations of the same chart they name.

use sea_orm::Set;

use super::{Applied, Chart, Page, ResourceKind, Row, invalid};
use crate::{
    CoreResult, TenantTx,
    entities::diagnostic_report,
    records::{
        self, ENTERED_IN_ERROR,
        reports::{self, ReportInput},
    },
};

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    chart: &Chart<'_>,
    encounter: Option<String>,
    results: &[String],
    input: ReportInput,
) -> CoreResult<Applied> {
    let status = records::status("status", &input.status, &reports::STATUSES)?;
    let removed = status == ENTERED_IN_ERROR;
    let encounter_id = chart
        .reference(tx, page, ResourceKind::Encounter, encounter.as_deref())
        .await?;
    let mut result_ids = Vec::with_capacity(results.len());
    for result in results {
        if let Some(local) = chart
            .reference(tx, page, ResourceKind::Observation, Some(result))
            .await?
        {
            result_ids.push(local);
        }
    }
    let effective_at = records::not_future(
        "effectiveAt",
        input
            .effective_at
            .ok_or_else(|| invalid("EHR_MISSING_FIELD"))?,
    )?;
    let row = diagnostic_report::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(chart.id),
        patient_id: Set(chart.patient_id),
        encounter_id: Set(encounter_id),
        status: Set(status),
        code: Set(records::required("code", &input.code, 32)?),
        display: Set(records::required("display", &input.display, 200)?),
        conclusion: Set(records::optional("conclusion", input.conclusion, 10_000)?),
        effective_at: Set(effective_at),
        issued_at: Set(input.issued_at),
        source: Set(chart.source()),
        external_id: Set(chart.external_id()),
        entered_by: Set(None),
        updated_at: Set(chart.now),
        created_at: Set(chart.now),
    };
    page.results(chart.id, chart.patient_id, result_ids);
    chart.save(tx, page, Row::Report(row), removed).await
}
