//! Immunizations, with whether the EHR recorded them first-hand (`primarySource`).

use sea_orm::Set;

use super::{Applied, Chart, Page, Row, invalid};
use crate::{
    CoreResult, TenantTx,
    entities::immunization,
    records::{
        self, ENTERED_IN_ERROR,
        immunizations::{self, ImmunizationInput},
    },
};

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    chart: &Chart<'_>,
    input: ImmunizationInput,
    primary_source: Option<bool>,
) -> CoreResult<Applied> {
    let status = records::status("status", &input.status, &immunizations::STATUSES)?;
    let removed = status == ENTERED_IN_ERROR;
    let occurred_on = input
        .occurred_on
        .ok_or_else(|| invalid("EHR_MISSING_FIELD"))?;
    let row = immunization::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(chart.id),
        patient_id: Set(chart.patient_id),
        status: Set(status),
        vaccine_code: Set(records::code("vaccineCode", input.vaccine_code, false)?),
        vaccine_name: Set(records::required("vaccineName", &input.vaccine_name, 200)?),
        occurred_on: Set(occurred_on),
        next_due_on: Set(input.next_due_on),
        primary_source: Set(primary_source),
        source: Set(chart.source()),
        external_id: Set(chart.external_id()),
        entered_by: Set(None),
        updated_at: Set(chart.now),
        created_at: Set(chart.now),
    };
    chart.save(tx, page, Row::Immunization(row), removed).await
}
