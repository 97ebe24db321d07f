//! "Download my record": the chart as a FHIR R4 transaction Bundle, as JSON.

use async_graphql::{Context, Json};
use portico_core::records::export;
use uuid::Uuid;

use crate::chart_access;

pub(crate) async fn bundle(
    ctx: &Context<'_>,
    patient: Uuid,
) -> async_graphql::Result<Json<serde_json::Value>> {
    let bundle = chart_access::read(ctx, patient, async |tx, opened| {
        export::bundle(tx, &opened.actor, &opened.chart).await
    })
    .await?;
    Ok(Json(bundle))
}
