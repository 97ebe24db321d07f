//! Each instance caches the tenant directory and every practice's catalogue. A change shows
//! at once on the instance that made it and, announced through pub/sub, on the others.

use std::time::Duration;

use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, spawn_app, wait_until};
use serde_json::{Value, json};

use crate::support::{
    gid,
    scheduling::{book, booked_id, days_ahead, practice, slots, starts},
};

const BRANDING: &str = "{ tenantBranding { displayName } }";
const RENAME: &str = "mutation($input: UpdateBrandingInput!) { updateBranding(input: $input) {
    userErrors { code } } }";
const MOVE: &str = "mutation($input: LocationInput!) { saveLocation(input: $input) {
    userErrors { code } } }";
const NEXT_VISIT: &str = "query($p: ID!) { patient(id: $p) { dashboard {
    nextAppointments { location { name } } } } }";

async fn practice_name(app: &TestApp) -> Value {
    app.gql(Some("cached"), BRANDING, json!({})).await["data"]["tenantBranding"]["displayName"]
        .clone()
}

async fn visit_location(app: &TestApp, patient: &Signed, chart: &str) -> Value {
    let (_, body) = app
        .gql_as("cached", &patient.access, NEXT_VISIT, json!({ "p": chart }))
        .await;
    body["data"]["patient"]["dashboard"]["nextAppointments"][0]["location"]["name"].clone()
}

/// Asks `read` until it answers `expected` (pub/sub delivery is asynchronous), for at most
/// five seconds; returns the answer.
async fn eventually(expected: &str, read: impl AsyncFn() -> Value) -> Value {
    wait_until(
        &format!("{expected:?}"),
        Duration::from_secs(5),
        async || {
            let seen = read().await;
            if seen == expected {
                Ok(seen)
            } else {
                Err(seen)
            }
        },
    )
    .await
}

#[tokio::test]
async fn a_practice_or_catalogue_change_shows_here_at_once_and_on_other_instances_soon() {
    let first = spawn_app().await;
    let p = practice(&first, "cached").await;
    let (patient, chart) = first.add_user("cached", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let day = days_ahead(&p, 3);
    let open = starts(&slots(&first, &p.admin.access, "cached", &p, day, day).await);
    booked_id(&book(&first, &p.admin.access, &p, &chart, open[0]).await);
    // The embedded profile is one process; on PostgreSQL + Redis a second instance shares
    // the database and hears the announcements.
    let second = if first.database.is_postgres() {
        Some(first.second_instance().await)
    } else {
        None
    };
    // Every instance has read (and cached) the practice and its catalogue.
    for app in std::iter::once(&first).chain(second.as_ref()) {
        assert_ne!(practice_name(app).await, "Cached Renamed");
        assert_eq!(visit_location(app, &patient, &chart).await, "Main Street");
    }

    let (_, renamed) = first
        .gql_as(
            "cached",
            &p.admin.access,
            RENAME,
            json!({ "input": { "displayName": "Cached Renamed" } }),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateBranding"]["userErrors"],
        json!([]),
        "{renamed}"
    );
    let (_, moved) = first
        .gql_as(
            "cached",
            &p.admin.access,
            MOVE,
            json!({ "input": { "id": p.location, "name": "Harbor Road" } }),
        )
        .await;
    assert_eq!(
        moved["data"]["saveLocation"]["userErrors"],
        json!([]),
        "{moved}"
    );

    // At once where the change was made.
    assert_eq!(practice_name(&first).await, "Cached Renamed");
    assert_eq!(
        visit_location(&first, &patient, &chart).await,
        "Harbor Road"
    );
    // Soon everywhere else: long before the caches' own expiry (a minute).
    if let Some(second) = &second {
        let name = eventually("Cached Renamed", async || practice_name(second).await).await;
        assert_eq!(name, "Cached Renamed");
        let place = eventually("Harbor Road", async || {
            visit_location(second, &patient, &chart).await
        })
        .await;
        assert_eq!(place, "Harbor Road");
    }
}
