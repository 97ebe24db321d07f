//! Prescriptions (FHIR MedicationRequest): their prescriber named as the practice knows them.

use sea_orm::Set;

use super::{Applied, Chart, Page, ResourceKind, Row, invalid};
use crate::{
    CoreResult, TenantTx,
    entities::medication_request,
    records::{
        self, ENTERED_IN_ERROR,
        medications::{self, MedicationInput},
    },
};

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    chart: &Chart<'_>,
    prescriber: Option<String>,
    input: MedicationInput,
) -> CoreResult<Applied> {
    let status = records::status("status", &input.status, &medications::STATUSES)?;
    let removed = status == ENTERED_IN_ERROR;
    let prescriber_id = match &prescriber {
        Some(p) => page.local(tx, ResourceKind::Practitioner, p).await?,
        None => None,
    };
    let prescriber_name = match prescriber_id {
        Some(pid) => page.provider_name(tx, pid).await?,
        None => None,
    }
    .or(input.prescriber_name);
    if !(0..=99).contains(&input.refills_left) {
        return Err(invalid("EHR_VALUE_OUT_OF_RANGE"));
    }
    let row = medication_request::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(chart.id),
        patient_id: Set(chart.patient_id),
        status: Set(status),
        name: Set(records::required("name", &input.name, 200)?),
        rxnorm_code: Set(records::code("rxnormCode", input.rxnorm_code, false)?),
        dosage: Set(records::required("dosage", &input.dosage, 500)?),
        refills_left: Set(input.refills_left),
        prescriber_id: Set(prescriber_id),
        prescriber_name: Set(records::optional("prescriber", prescriber_name, 200)?),
        last_filled_on: Set(input.last_filled_on),
        authored_at: Set(input.authored_at.unwrap_or(chart.now)),
        source: Set(chart.source()),
        external_id: Set(chart.external_id()),
        entered_by: Set(None),
        updated_at: Set(chart.now),
        // Whether a prescription is a controlled substance is the practice's to say (FHIR
        // has no standard flag): only a new one takes the mapped value.
        controlled: Set(input.controlled),
        created_at: Set(chart.now),
    };
    chart.save(tx, page, Row::Medication(row), removed).await
}
