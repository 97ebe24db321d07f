use portico_server::config::Environment;
use portico_tests::{error_code, spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn a_too_deep_query_is_refused_with_query_too_deep() {
    let app = spawn_app().await;
    // 17 levels through the introspection types, past the default limit of 15.
    let query = format!(
        "{{ __schema {{ types {{ fields {{ type {} name {} }} }} }} }}",
        "{ ofType ".repeat(13),
        "}".repeat(13)
    );
    let body = app.gql(None, &query, json!({})).await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_DEEP"), "{body}");
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn a_too_complex_query_is_refused_with_query_too_complex() {
    let app = spawn_app().await;
    // 600 fields and no alias: complexity, not the alias limit, refuses it.
    let query = format!("{{ tenantBranding {{ {} }} }}", "slug ".repeat(600));
    let body = app.gql(None, &query, json!({})).await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
}

#[tokio::test]
async fn an_alias_flood_is_refused_with_too_many_aliases() {
    let app = spawn_app().await;
    let fields: String = (0..100).map(|i| format!("a{i}: __typename ")).collect();
    let body = app.gql(None, &format!("{{ {fields} }}"), json!({})).await;
    assert_eq!(error_code(&body), Some("TOO_MANY_ALIASES"), "{body}");
    // Within the limit it runs.
    let few: String = (0..5).map(|i| format!("a{i}: __typename ")).collect();
    let ok = app.gql(None, &format!("{{ {few} }}"), json!({})).await;
    assert_eq!(ok["data"]["a4"], "Query");
}

#[tokio::test]
async fn deep_recursion_is_refused_with_its_code() {
    let app = spawn_app().await;
    let query = format!("{}{}", "{ __typename ".repeat(40), "}".repeat(40));
    let body = app.gql(None, &query, json!({})).await;
    assert_eq!(
        error_code(&body),
        Some("RECURSION_LIMIT_EXCEEDED"),
        "{body}"
    );
}

#[tokio::test]
async fn syntax_and_validation_errors_have_codes() {
    let app = spawn_app().await;
    let parse = app.gql(None, "{ tenantBranding {", json!({})).await;
    assert_eq!(error_code(&parse), Some("GRAPHQL_PARSE_FAILED"));
    let unknown = app.gql(None, "{ noSuchField }", json!({})).await;
    assert_eq!(error_code(&unknown), Some("GRAPHQL_VALIDATION_FAILED"));
}

#[tokio::test]
async fn production_turns_off_introspection_and_suggestions() {
    let app = spawn_app_with(|c| c.runtime.env = Environment::Production).await;
    let body = app
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(body["data"]["__schema"].is_null(), "{body}");
    let typo = app.gql(None, "{ tenantBrandin { slug } }", json!({})).await;
    let message = typo["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    let graphiql = app.client.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(graphiql.status(), 404);
}

#[tokio::test]
async fn development_offers_introspection_and_graphiql() {
    let app = spawn_app().await;
    let body = app
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    let graphiql = app.client.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
}
