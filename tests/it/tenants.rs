use portico_tests::{error_code, spawn_app};
use serde_json::json;

const BRANDING: &str = "{ tenantBranding { slug displayName primaryColor timeZone logoUrl } }";

#[tokio::test]
async fn branding_is_public_by_header_slug_and_host() {
    let app = spawn_app().await;
    app.create_tenant("riverside").await;

    let by_header = app.gql(Some("riverside"), BRANDING, json!({})).await;
    assert_eq!(by_header["data"]["tenantBranding"]["slug"], "riverside");
    assert_eq!(
        by_header["data"]["tenantBranding"]["displayName"],
        "riverside clinic"
    );
    assert_eq!(
        by_header["data"]["tenantBranding"]["timeZone"],
        "America/New_York"
    );

    let by_slug = app
        .gql(
            None,
            "query($s: String) { tenantBranding(slug: $s) { slug } }",
            json!({ "s": "riverside" }),
        )
        .await;
    assert_eq!(by_slug["data"]["tenantBranding"]["slug"], "riverside");

    let by_host_arg = app
        .gql(
            None,
            "{ tenantBranding(host: \"riverside.localhost:8080\") { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(by_host_arg["data"]["tenantBranding"]["slug"], "riverside");

    let (_, by_host_header) = app.gql_at_host("riverside.localhost", BRANDING).await;
    assert_eq!(
        by_host_header["data"]["tenantBranding"]["slug"],
        "riverside"
    );
}

#[tokio::test]
async fn a_custom_domain_resolves_to_its_practice() {
    let app = spawn_app().await;
    app.create_tenant_with_domain("hillcrest", Some("portal.hillcrest-clinic.com"))
        .await;
    let (_, body) = app
        .gql_at_host("Portal.Hillcrest-Clinic.com", BRANDING)
        .await;
    assert_eq!(body["data"]["tenantBranding"]["slug"], "hillcrest");
}

#[tokio::test]
async fn an_unknown_tenant_gets_tenant_not_found() {
    let app = spawn_app().await;
    let (status, body) = app.gql_status(Some("nowhere"), BRANDING, json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), Some("TENANT_NOT_FOUND"));

    let (status, body) = app.gql_at_host("nowhere.localhost", BRANDING).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), Some("TENANT_NOT_FOUND"));

    let by_slug = app
        .gql(
            None,
            "{ tenantBranding(slug: \"nowhere\") { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&by_slug), Some("TENANT_NOT_FOUND"));
    assert!(by_slug["data"].is_null());
}

#[tokio::test]
async fn the_platform_address_names_no_tenant() {
    let app = spawn_app().await;
    let body = app.gql(None, BRANDING, json!({})).await;
    assert_eq!(error_code(&body), Some("TENANT_NOT_FOUND"));
    let typename = app.gql(None, "{ __typename }", json!({})).await;
    assert_eq!(typename["data"]["__typename"], "Query");
}
