//! Problems and diagnoses (FHIR Condition), with their FHIR statuses as received.

use sea_orm::Set;

use super::{Applied, Chart, Page, Row, chart::fhir_statuses};
use crate::{
    CoreResult, TenantTx,
    ehr::model::Statuses,
    entities::condition,
    records::{
        self, ENTERED_IN_ERROR,
        conditions::{self, ConditionInput},
        detail::ConditionDetail,
    },
};

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    chart: &Chart<'_>,
    input: ConditionInput,
    statuses: &Statuses,
    detail: &ConditionDetail,
) -> CoreResult<Applied> {
    let status = records::status("status", &input.status, &conditions::STATUSES)?;
    let removed = status == ENTERED_IN_ERROR;
    let (clinical, verification) =
        fhir_statuses(statuses, &conditions::CLINICAL, &conditions::VERIFICATION)?;
    if let Some(code) = &detail.code {
        records::detail::check_concept("code", code)?;
    }
    let row = condition::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(chart.id),
        patient_id: Set(chart.patient_id),
        status: Set(status),
        code: Set(records::code("code", input.code, false)?),
        name: Set(records::required("name", &input.name, 200)?),
        onset_on: Set(input.onset_on),
        abated_on: Set(input.abated_on),
        clinical_status: Set(clinical),
        verification_status: Set(verification),
        detail: Set(records::detail::write(detail)?),
        source: Set(chart.source()),
        external_id: Set(chart.external_id()),
        entered_by: Set(None),
        updated_at: Set(chart.now),
        created_at: Set(chart.now),
    };
    chart.save(tx, page, Row::Condition(row), removed).await
}
