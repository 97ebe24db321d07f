//! Every error a client can provoke carries an `extensions.code` and a sentence of Portico's
//! own: no library text, no Rust type names, and never the value that was sent.

use portico_tests::{error_code, spawn_app};
use serde_json::{Value, json};

/// Text that only a library's own message would hold.
const LIBRARY_TEXT: &[&str] = &["Failed to parse", "-->", "expected type", "occurred while"];

fn assert_coded(case: &str, body: &Value, code: &str, secret: Option<&str>) {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{case}: {body}"));
    assert!(!errors.is_empty(), "{case}: {body}");
    for error in errors {
        assert!(error["extensions"]["code"].is_string(), "{case}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(!message.is_empty(), "{case}");
        for text in LIBRARY_TEXT {
            assert!(!message.contains(text), "{case}: {message}");
        }
        if let Some(secret) = secret {
            assert!(!error.to_string().contains(secret), "{case}: {error}");
        }
    }
    assert_eq!(error_code(body), Some(code), "{case}: {body}");
}

#[tokio::test]
async fn values_out_of_range_are_bad_user_input_with_the_limit() {
    let app = spawn_app().await;
    app.create_tenant("acme").await;
    let tenant = Some("acme");
    let zero = app
        .gql(
            tenant,
            "{ ehrSyncStatus(runs: 0) { __typename } }",
            json!({}),
        )
        .await;
    assert_coded("runs: 0", &zero, "BAD_USER_INPUT", None);
    assert_eq!(zero["errors"][0]["message"], "this Int must be at least 1");

    let many = app
        .gql(
            tenant,
            "{ ehrSyncStatus(runs: 1000) { __typename } }",
            json!({}),
        )
        .await;
    assert_coded("runs: 1000", &many, "BAD_USER_INPUT", None);
    assert_eq!(many["errors"][0]["message"], "this Int must be at most 100");

    let huge = app
        .gql(
            tenant,
            "query($n: Int!) { ehrSyncStatus(runs: $n) { __typename } }",
            json!({ "n": 99_999_999_999_i64 }),
        )
        .await;
    assert_coded(
        "Int out of range",
        &huge,
        "BAD_USER_INPUT",
        Some("99999999999"),
    );
}

#[tokio::test]
async fn a_bad_scalar_never_echoes_the_value() {
    let app = spawn_app().await;
    app.create_tenant("acme").await;
    let activate = "mutation($input: ActivatePatientAccountInput!) {
        activatePatientAccount(input: $input) { __typename } }";
    let body = app
        .gql(
            Some("acme"),
            activate,
            json!({ "input": {
                "code": "ABCD-EFGH", "birthDate": "1961-02-31",
                "email": "someone@example.org", "password": "a long enough password" } }),
        )
        .await;
    assert_coded("Date", &body, "BAD_USER_INPUT", Some("1961"));
}

#[tokio::test]
async fn syntax_errors_do_not_quote_the_document() {
    let app = spawn_app().await;
    let body = app
        .gql(
            None,
            "{ tenantBranding(slug: \"Avery Quinn\" { slug }",
            json!({}),
        )
        .await;
    assert_coded("syntax", &body, "GRAPHQL_PARSE_FAILED", Some("Avery"));
    assert!(
        body["errors"][0]["locations"][0]["column"].is_number(),
        "{body}"
    );
}

#[tokio::test]
async fn choosing_the_operation_wrongly_is_a_bad_request() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "query A { __typename }", "operationName": "B" }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_coded("unknown operation", &body, "BAD_REQUEST", None);

    let two = app
        .gql(
            None,
            "query A { __typename } query B { __typename }",
            json!({}),
        )
        .await;
    assert_coded("two operations", &two, "BAD_REQUEST", None);

    let over_http = app
        .gql(None, "subscription { __typename }", json!({}))
        .await;
    assert!(
        over_http["errors"][0]["extensions"]["code"].is_string(),
        "{over_http}"
    );
}
