use portico_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn every_response_carries_a_request_id_and_unsafe_ones_are_replaced() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let res = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "proxy-1234abcd")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "proxy-1234abcd");

    let res = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "Jane Doe DOB 1970-01-01")
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "replaced: {id}");
}

#[tokio::test]
async fn metrics_expose_requests_operations_queue_and_pool() {
    let app = spawn_app().await;
    app.create_tenant("clinic-a").await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("X-Portico-Tenant", "clinic-a")
        .json(&json!({
            "query": "query PortalBranding { tenantBranding { slug } }",
            "operationName": "PortalBranding",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for needle in [
        "portico_http_requests_total{route=\"/graphql\",method=\"POST\",status=\"200\"}",
        "portico_http_request_duration_seconds_bucket",
        "portico_graphql_operations_total{operation=\"PortalBranding\",outcome=\"ok\"}",
        "portico_queue_depth{queue=\"notifications\"}",
        "portico_queue_depth{queue=\"reminders\"}",
        "portico_queue_depth{queue=\"rollups\"}",
        "portico_db_pool_connections{state=\"open\"}",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    assert!(!text.contains("clinic-a"), "no tenant names in labels");
}
