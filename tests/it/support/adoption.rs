//! A practice's adoption figures for one day, computed again first.

use portico_tests::TestApp;
use serde_json::{Value, json};

/// `recomputeAdoption`: the practice admin has a range of days computed again.
pub const RECOMPUTE: &str = "mutation($from: Date!, $to: Date!) {
    recomputeAdoption(from: $from, to: $to) { days userErrors { code } } }";

/// A practice's figures for `day`, computed again now (as the practice admin `token`).
pub async fn day_figures(app: &TestApp, slug: &str, token: &str, day: chrono::NaiveDate) -> Value {
    let vars = json!({ "from": day, "to": day });
    let (_, done) = app.gql_as(slug, token, RECOMPUTE, vars.clone()).await;
    assert_eq!(done["data"]["recomputeAdoption"]["days"], 1, "{done}");
    let (_, figures) = app.gql_as(slug, token, DAY, vars).await;
    figures["data"]["adoptionMetrics"][0].clone()
}

const DAY: &str = "query($from: Date!, $to: Date!) { adoptionMetrics(from: $from, to: $to) {
    remindersSent remindersDelivered recallsSent recallBookings } }";
