//! "Download my record": the chart as a FHIR R4 transaction Bundle, as JSON.

use async_graphql::{Context, Json};
use portico_core::{chart_access::Purpose, records::export};
use uuid::Uuid;

use crate::chart_access;

pub(crate) async fn bundle(
    ctx: &Context<'_>,
    patient: Uuid,
) -> async_graphql::Result<Json<serde_json::Value>> {
    let opened = chart_access::open(ctx, patient, Purpose::Read).await?;
    let bundle = export::bundle(&opened.tx, &opened.actor, &opened.chart)
        .await
        .map_err(opened.core())?;
    Ok(Json(opened.done(bundle).await?))
}
