//! Visits (FHIR Encounter): their practitioner named as the practice knows them.

use sea_orm::Set;

use super::{Applied, Chart, Page, ResourceKind, Row, invalid};
use crate::{
    CoreResult, TenantTx,
    entities::encounter,
    records::{
        self, ENTERED_IN_ERROR,
        encounters::{self, EncounterInput},
    },
};

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    chart: &Chart<'_>,
    practitioner: Option<String>,
    input: EncounterInput,
) -> CoreResult<Applied> {
    let status = records::status("status", &input.status, &encounters::STATUSES)?;
    let removed = status == ENTERED_IN_ERROR;
    if !encounters::CLASSES.contains(&input.class.as_str()) {
        return Err(invalid("EHR_UNSUPPORTED_CLASS"));
    }
    let practitioner_name = match practitioner {
        Some(p) => match page.local(tx, ResourceKind::Practitioner, &p).await? {
            Some(pid) => page.provider_name(tx, pid).await?,
            None => None,
        },
        None => None,
    }
    .or(input.practitioner_name);
    let started = input
        .started_at
        .ok_or_else(|| invalid("EHR_MISSING_FIELD"))?;
    let row = encounter::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(chart.id),
        patient_id: Set(chart.patient_id),
        status: Set(status),
        class: Set(input.class),
        reason: Set(records::optional("reason", input.reason, 500)?),
        practitioner_name: Set(records::optional("practitioner", practitioner_name, 200)?),
        started_at: Set(started),
        ended_at: Set(input.ended_at),
        source: Set(chart.source()),
        external_id: Set(chart.external_id()),
        entered_by: Set(None),
        updated_at: Set(chart.now),
        // A visit's summary comes from its notes: a new visit starts without one.
        summary: Set(None),
        created_at: Set(chart.now),
    };
    chart.save(tx, page, Row::Encounter(row), removed).await
}
