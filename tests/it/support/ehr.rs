//! A practice connected to the FHIR test server, and syncs run in the test.

use portico_core::{
    TenantId,
    ehr::{runs, sync},
    entities::ehr_connection,
    tenants,
};
use portico_tests::TestApp;
use serde_json::{Value, json};

/// The bearer token the FHIR test server requires and Portico is given.
pub const TOKEN: &str = "portico-test-token";

/// `updateEhrConnection`.
pub const CONNECT: &str =
    "mutation($input: UpdateEhrConnectionInput!) { updateEhrConnection(input: $input) {
    connection { baseUrl authKind resourceTypes enabled } userErrors { field code } } }";

/// Connects practice `slug` to the FHIR server at `base_url`, with no sync falling due.
pub async fn connect(app: &TestApp, slug: &str, access: &str, base_url: &str) -> Value {
    let (_, body) = app
        .gql_as(
            slug,
            access,
            CONNECT,
            json!({ "input": { "baseUrl": base_url, "authKind": "BEARER", "token": TOKEN,
                "syncIntervalMinutes": 60 } }),
        )
        .await;
    not_due(app, slug).await;
    body
}

/// Moves the practice's next scheduled sync an hour ahead. A new connection is due at once,
/// and the workers' minute sweep would start a run of its own that takes the connection
/// from the test's `sync_now` (which then finds it held) whenever a minute turns mid-test.
pub async fn not_due(app: &TestApp, slug: &str) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let tenant = tenant_id(app, slug).await;
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    ehr_connection::Entity::update_many()
        .col_expr(ehr_connection::Column::NextRunAt, Expr::value(Some(later)))
        .filter(ehr_connection::Column::TenantId.eq(tenant.as_uuid()))
        .filter(ehr_connection::Column::NextRunAt.is_null())
        .exec(&owner)
        .await
        .unwrap();
}

/// The id of practice `slug`.
pub async fn tenant_id(app: &TestApp, slug: &str) -> TenantId {
    tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap()
        .id()
}

/// Runs a sync now, in the test, and returns the finished run.
pub async fn sync_now(app: &TestApp, slug: &str) -> portico_core::entities::ehr_sync_run::Model {
    let services = app.services();
    sync::run(
        &app.db(),
        services.ehr.as_ref(),
        services.sealer.as_ref(),
        tenant_id(app, slug).await,
        runs::MANUAL,
        None,
    )
    .await
    .unwrap()
    .expect("a run")
}

/// What a run did with resources of `kind`.
pub fn counts(run: &portico_core::entities::ehr_sync_run::Model, kind: &str) -> runs::TypeCounts {
    runs::counts_of(run).get(kind).copied().unwrap_or_default()
}
