//! Automatic persisted queries: a hash the server does not know is `PERSISTED_QUERY_NOT_FOUND`;
//! the query sent once with its hash is then run by hash alone, over POST and GET; a hash that
//! does not match its query is refused and kept nowhere; and a persisted mutation is still
//! refused over GET (the parse-time limits apply to persisted queries too).

use portico_tests::{TestApp, error_code, spawn_app};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const QUERY: &str = "query Policy { passwordPolicy { minLength } }";

fn hash_of(query: &str) -> String {
    Sha256::digest(query.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(app: &TestApp, body: Value) -> Value {
    app.client
        .post(app.url("/graphql"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get_by_hash(app: &TestApp, hash: &str) -> Value {
    app.client
        .get(app.url("/graphql"))
        .query(&[("extensions", persisted(hash).to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_query_sent_once_with_its_hash_then_runs_by_hash_over_post_and_get() {
    let app = spawn_app().await;
    let hash = hash_of(QUERY);
    let unknown = post(&app, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(
        error_code(&unknown),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{unknown}"
    );
    // The message Apollo's clients look for.
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");

    let stored = post(
        &app,
        json!({ "query": QUERY, "extensions": persisted(&hash) }),
    )
    .await;
    let min = &stored["data"]["passwordPolicy"]["minLength"];
    assert!(min.is_number(), "{stored}");

    let by_post = post(&app, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(
        &by_post["data"]["passwordPolicy"]["minLength"], min,
        "{by_post}"
    );
    let by_get = get_by_hash(&app, &hash).await;
    assert_eq!(
        &by_get["data"]["passwordPolicy"]["minLength"], min,
        "{by_get}"
    );
}

#[tokio::test]
async fn a_wrong_hash_or_version_is_refused_and_limits_still_apply() {
    let app = spawn_app().await;
    let wrong = hash_of("{ __typename }");
    let refused = post(
        &app,
        json!({ "query": QUERY, "extensions": persisted(&wrong) }),
    )
    .await;
    assert_eq!(
        error_code(&refused),
        Some("PERSISTED_QUERY_INVALID"),
        "{refused}"
    );
    assert!(refused["data"].is_null(), "{refused}");
    // Nothing was kept under the wrong hash.
    let after = get_by_hash(&app, &wrong).await;
    assert_eq!(
        error_code(&after),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{after}"
    );
    for bad in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash_of(QUERY) } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "not-a-hash" } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let refused = post(&app, json!({ "query": QUERY, "extensions": bad })).await;
        assert_eq!(
            error_code(&refused),
            Some("PERSISTED_QUERY_INVALID"),
            "{refused}"
        );
    }
    // A query that does not fit the schema is not kept.
    let broken = "{ noSuchField }";
    let hash = hash_of(broken);
    let refused = post(
        &app,
        json!({ "query": broken, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(
        error_code(&refused),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{refused}"
    );
    let after = get_by_hash(&app, &hash).await;
    assert_eq!(
        error_code(&after),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{after}"
    );
    // A mutation persisted over POST is still refused when asked for by hash over GET.
    let mutation = "mutation { __typename }";
    let hash = hash_of(mutation);
    let stored = post(
        &app,
        json!({ "query": mutation, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(stored["data"]["__typename"], "Mutation", "{stored}");
    let over_get = get_by_hash(&app, &hash).await;
    assert_eq!(
        error_code(&over_get),
        Some("MUTATION_OVER_GET"),
        "{over_get}"
    );
}
