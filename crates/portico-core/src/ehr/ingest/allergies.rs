//! Allergies (FHIR AllergyIntolerance), with their FHIR statuses as received.

use sea_orm::Set;

use super::{Applied, Chart, Page, Row, chart::fhir_statuses, invalid};
use crate::{
    CoreResult, TenantTx,
    ehr::model::Statuses,
    entities::allergy,
    records::{
        self, ENTERED_IN_ERROR,
        allergies::{self, AllergyInput},
        detail::AllergyDetail,
    },
};

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    chart: &Chart<'_>,
    input: AllergyInput,
    statuses: &Statuses,
    detail: &AllergyDetail,
) -> CoreResult<Applied> {
    let status = records::status("status", &input.status, &allergies::STATUSES)?;
    let removed = status == ENTERED_IN_ERROR;
    let (clinical, verification) =
        fhir_statuses(statuses, &allergies::CLINICAL, &allergies::VERIFICATION)?;
    records::detail::check_allergy(detail)?;
    let severity = match input.severity.as_deref() {
        None => None,
        Some(s) if allergies::SEVERITIES.contains(&s) => Some(s.to_owned()),
        Some(_) => return Err(invalid("EHR_UNSUPPORTED_SEVERITY")),
    };
    let row = allergy::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(chart.id),
        patient_id: Set(chart.patient_id),
        status: Set(status),
        substance: Set(records::required("substance", &input.substance, 200)?),
        code: Set(records::code("code", input.code, false)?),
        reaction: Set(records::optional("reaction", input.reaction, 500)?),
        severity: Set(severity),
        recorded_on: Set(input.recorded_on),
        clinical_status: Set(clinical),
        verification_status: Set(verification),
        detail: Set(records::detail::write(detail)?),
        source: Set(chart.source()),
        external_id: Set(chart.external_id()),
        entered_by: Set(None),
        updated_at: Set(chart.now),
        created_at: Set(chart.now),
    };
    chart.save(tx, page, Row::Allergy(row), removed).await
}
