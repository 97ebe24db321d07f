//! Visit summaries (FHIR DocumentReference notes on an encounter): a note is not a record of
//! its own but its visit's summary, and its link points at that visit.

use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::{Applied, Chart, Page, ResourceKind};
use crate::{
    CoreResult, TenantTx,
    entities::ehr_link,
    records::{self, ENTERED_IN_ERROR},
};

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    chart: &Chart<'_>,
    encounter: &str,
    status: &str,
    text: String,
) -> CoreResult<Applied> {
    let resource = chart.resource;
    let Some(encounter_id) = chart
        .reference(tx, page, ResourceKind::Encounter, Some(encounter))
        .await?
    else {
        // The visit is not in Portico (yet): the note waits with it.
        return Ok(Applied::Waiting);
    };
    // A note a newer one replaced is left alone (the newer one wrote the summary).
    if status == "superseded" {
        return Ok(Applied::Unchanged);
    }
    let removed = status == ENTERED_IN_ERROR;
    if removed && other_note_of(tx, page, encounter_id, resource.fhir_id).await? {
        // Another note of the visit holds the summary now: it stays.
        page.remove_link(resource.kind, resource.fhir_id);
        return Ok(Applied::Removed);
    }
    let summary = if removed {
        None
    } else {
        records::optional("summary", Some(text), 20_000)?
    };
    page.summary(encounter_id, summary, chart.now);
    // The note's own link points at its encounter.
    resource
        .link_to(tx, page, encounter_id, Some(chart.patient_id))
        .await?;
    Ok(Applied::written(removed))
}

/// Whether a note other than `fhir_id` is linked to the visit.
pub(super) async fn other_note_of(
    tx: &TenantTx,
    page: &mut Page,
    encounter_id: Uuid,
    fhir_id: &str,
) -> CoreResult<bool> {
    // Read from the database: what the page holds is written first.
    page.flush(tx).await?;
    Ok(tx
        .find::<ehr_link::Entity>()
        .filter(ehr_link::Column::ResourceType.eq(ResourceKind::DocumentReference.as_str()))
        .filter(ehr_link::Column::LocalId.eq(encounter_id))
        .filter(ehr_link::Column::FhirId.ne(fhir_id))
        .one(tx.conn())
        .await?
        .is_some())
}
