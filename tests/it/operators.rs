//! Platform operators suspend and reactivate practices.

use portico_core::identity::Role;
use portico_tests::{error_code, spawn_app};
use serde_json::json;

use crate::support::records::CREATE_PATIENT;

const TENANTS: &str = "{ tenants { id slug status statusReason } }";
const SUSPEND: &str = "mutation($id: ID!, $reason: String!) {
    suspendTenant(input: { id: $id, reason: $reason }) { tenant { status statusReason } userErrors { code } } }";
const REACTIVATE: &str = "mutation($id: ID!) {
    reactivateTenant(input: { id: $id }) { tenant { status } } }";

#[tokio::test]
async fn a_suspended_practice_can_sign_in_and_read_but_not_start_new_work() {
    let app = spawn_app().await;
    let admin = app.practice_admin("lapse").await;
    let (patient, chart) = app.add_user("lapse", Role::Patient).await;
    let op = app.operator().await;

    let (_, list) = app.gql_as("platform", &op.access, TENANTS, json!({})).await;
    let entry = list["data"]["tenants"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .find(|t| t["slug"] == "lapse")
        .cloned()
        .unwrap();
    assert!(
        !list.to_string().contains("\"platform\""),
        "the platform is not listed"
    );
    let id = entry["id"].clone();
    let (_, suspended) = app
        .gql_as(
            "platform",
            &op.access,
            SUSPEND,
            json!({ "id": id, "reason": "Invoice overdue" }),
        )
        .await;
    assert_eq!(
        suspended["data"]["suspendTenant"]["tenant"]["status"], "suspended",
        "{suspended}"
    );

    // Staff still sign in and see why.
    let code = portico_auth::totp::next(admin.totp_secret.as_ref().unwrap()).unwrap();
    let signed = app
        .sign_in("lapse", &admin.email, &admin.password, Some(&code))
        .await;
    let token = signed["data"]["signIn"]["session"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, me) = app
        .gql_as(
            "lapse",
            &token,
            "{ me { tenantStatusReason tenant { status } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["data"]["me"]["tenantStatusReason"], "Invoice overdue",
        "{me}"
    );
    assert_eq!(me["data"]["me"]["tenant"]["status"], "suspended");
    // New work is refused...
    let (_, create) = app.gql_as("lapse", &token, CREATE_PATIENT, json!({})).await;
    assert_eq!(error_code(&create), Some("TENANT_SUSPENDED"));
    // ... while patients still read their records.
    let own = format!(
        "{{ patient(id: \"{}\") {{ givenName }} }}",
        base64_id(chart.unwrap())
    );
    let (_, read) = app.gql_as("lapse", &patient.access, &own, json!({})).await;
    assert!(read["errors"].is_null(), "{read}");

    let (_, back) = app
        .gql_as("platform", &op.access, REACTIVATE, json!({ "id": id }))
        .await;
    assert_eq!(
        back["data"]["reactivateTenant"]["tenant"]["status"],
        "active"
    );
    let (_, create) = app.gql_as("lapse", &token, CREATE_PATIENT, json!({})).await;
    assert!(create["errors"].is_null(), "{create}");
}

#[tokio::test]
async fn only_platform_operators_manage_tenants() {
    let app = spawn_app().await;
    let admin = app.practice_admin("plain").await;
    let (_, body) = app.gql_as("plain", &admin.access, TENANTS, json!({})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"));
    // The platform's own account cannot be suspended, and unknown ids are not found.
    let op = app.operator().await;
    let (_, body) = app
        .gql_as(
            "platform",
            &op.access,
            SUSPEND,
            json!({ "id": base64_tenant(uuid::Uuid::now_v7()), "reason": "x" }),
        )
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    // An operator's token is for the platform only.
    let (status, _) = app.gql_as("plain", &op.access, TENANTS, json!({})).await;
    assert_eq!(status, 401);
}

fn base64_id(uuid: uuid::Uuid) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(format!("Patient:{uuid}"))
}

fn base64_tenant(uuid: uuid::Uuid) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(format!("Tenant:{uuid}"))
}
