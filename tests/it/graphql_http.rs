use portico_tests::{error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};

#[tokio::test]
async fn a_plain_text_or_form_post_without_a_custom_header_is_refused() {
    let app = spawn_app().await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let res = app
            .client
            .post(app.url("/graphql"))
            .header("Content-Type", content_type)
            .body(r#"{"query":"{ __typename }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{content_type}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(error_code(&body), Some("CSRF_REJECTED"), "{content_type}");
    }
    let with_header = app
        .client
        .post(app.url("/graphql"))
        .header("Content-Type", "text/plain")
        .header("X-Portico-CSRF", "1")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(with_header.status(), 200);
}

#[tokio::test]
async fn queries_work_over_get_and_mutations_do_not() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["__typename"], "Query");

    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { __typename }")])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), Some("MUTATION_OVER_GET"), "{body}");

    let res = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_REQUEST"));
}

#[tokio::test]
async fn batches_run_up_to_the_limit_and_larger_ones_are_refused() {
    let app = spawn_app_with(|c| c.graphql.graphql_max_batch = 3).await;
    let op = json!({ "query": "{ __typename }" });
    let ok = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([op, op, op]))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 3);

    let too_many = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([op, op, op, op]))
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status(), 400);
    let body: Value = too_many.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BATCH_TOO_LARGE"));
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_request_too_large() {
    let app = spawn_app_with(|c| c.http.max_body_bytes = 1024).await;
    let padding = " ".repeat(4096);
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"query":"{{ __typename {padding} }}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), Some("REQUEST_TOO_LARGE"));
}

#[tokio::test]
async fn malformed_json_is_a_bad_request_not_a_server_error() {
    let app = spawn_app().await;
    for bad in ["{", "[]", r#"{"variables": 3}"#, "null"] {
        let res = app
            .client
            .post(app.url("/graphql"))
            .header("Content-Type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        let body: Value = res.json().await.unwrap();
        let code = error_code(&body).unwrap();
        assert!(
            code == "BAD_REQUEST" || code == "BATCH_TOO_LARGE",
            "{bad}: {code}"
        );
    }
}
