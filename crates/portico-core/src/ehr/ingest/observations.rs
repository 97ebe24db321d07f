//! Results and vital signs (FHIR Observation): only laboratory results and vital signs reach
//! the chart, with their encounter when it is in the same chart.

use sea_orm::Set;

use super::{Applied, Chart, Page, ResourceKind, Row, invalid};
use crate::{
    CoreResult, TenantTx,
    entities::observation,
    records::{
        self, ENTERED_IN_ERROR,
        detail::ObservationDetail,
        observations::{self, ObservationInput},
    },
};

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    chart: &Chart<'_>,
    encounter: Option<String>,
    input: ObservationInput,
    category: String,
    detail: &ObservationDetail,
) -> CoreResult<Applied> {
    let status = records::status("status", &input.status, &observations::STATUSES)?;
    let removed = status == ENTERED_IN_ERROR;
    let encounter_id = chart
        .reference(tx, page, ResourceKind::Encounter, encounter.as_deref())
        .await?;
    if !observations::CATEGORIES.contains(&category.as_str()) {
        return Err(invalid("EHR_UNSUPPORTED_CODE"));
    }
    records::detail::check_observation(detail)?;
    let c = observations::check(input, !detail.components.is_empty())?;
    let row = observation::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(chart.id),
        patient_id: Set(chart.patient_id),
        encounter_id: Set(encounter_id),
        status: Set(status),
        code: Set(c.code),
        display: Set(c.display),
        value_num: Set(c.value),
        unit: Set(c.unit),
        value_text: Set(c.value_text),
        range_low: Set(c.range_low),
        range_high: Set(c.range_high),
        range_text: Set(c.range_text),
        interpretation: Set(c.interpretation),
        effective_at: Set(c.effective_at),
        category: Set(Some(category)),
        detail: Set(records::detail::write(detail)?),
        source: Set(chart.source()),
        external_id: Set(chart.external_id()),
        entered_by: Set(None),
        updated_at: Set(chart.now),
        // A result is tied to its report by the report (`DiagnosticReport.result`).
        report_id: Set(None),
        created_at: Set(chart.now),
    };
    chart.save(tx, page, Row::Observation(row), removed).await
}
