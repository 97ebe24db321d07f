//! Attacks on the account itself: API keys or stray sessions that try to take over sign-in,
//! delegated rights that try to climb, proxies that see more than their scope.

use portico_core::identity::Role;
use portico_tests::{error_code, spawn_app};
use serde_json::json;

use crate::support::REFRESH;

const BEGIN: &str = "mutation($c: String) { beginTotpEnrolment(input: { currentCode: $c }) {
    enrolment { secret } userErrors { code } } }";

#[tokio::test]
async fn an_api_key_cannot_touch_two_step_sign_in_or_mint_keys() {
    let app = spawn_app().await;
    let admin = app.practice_admin("vault").await;
    let (_, created) = app
        .gql_as(
            "vault",
            &admin.access,
            "mutation { createApiKey(input: { name: \"ci\", role: \"practice_admin\" }) { secret } }",
            json!({}),
        )
        .await;
    let key = created["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, begin) = app.gql_as("vault", &key, BEGIN, json!({})).await;
    assert_eq!(error_code(&begin), Some("FORBIDDEN"), "{begin}");
    let (_, mint) = app
        .gql_as(
            "vault",
            &key,
            "mutation { createApiKey(input: { name: \"more\", role: \"staff\" }) { secret } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&mint), Some("FORBIDDEN"), "{mint}");
}

#[tokio::test]
async fn replacing_the_authenticator_needs_a_current_code_and_keeps_the_old_one_until_confirmed() {
    let app = spawn_app().await;
    let admin = app.practice_admin("swap").await;
    let (_, without) = app.gql_as("swap", &admin.access, BEGIN, json!({})).await;
    assert_eq!(
        without["data"]["beginTotpEnrolment"]["userErrors"][0]["code"], "INVALID_TOTP_CODE",
        "{without}"
    );
    let current = portico_auth::totp::next(admin.totp_secret.as_ref().unwrap()).unwrap();
    let (_, with) = app
        .gql_as("swap", &admin.access, BEGIN, json!({ "c": current }))
        .await;
    assert!(
        with["data"]["beginTotpEnrolment"]["enrolment"]["secret"].is_string(),
        "{with}"
    );
    // Not confirmed: sign-in still asks for a code of the old app, not nothing.
    let no_code = app
        .sign_in("swap", &admin.email, &admin.password, None)
        .await;
    assert_eq!(error_code(&no_code), Some("MFA_REQUIRED"));
}

#[tokio::test]
async fn enrolling_mfa_ends_sessions_that_never_had_it() {
    let app = spawn_app().await;
    let first = app.sign_up("dual").await;
    // A second session from the password alone (say, a phished one).
    let stray = app
        .sign_in("dual", &first.email, &first.password, None)
        .await;
    let stray_refresh = stray["data"]["signIn"]["session"]["refreshToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{stray}"))
        .to_owned();
    app.enrol_totp(&first).await;
    let (_, refreshed) = app
        .gql_status(Some("dual"), REFRESH, json!({ "t": stray_refresh }))
        .await;
    assert_eq!(
        error_code(&refreshed),
        Some("UNAUTHENTICATED"),
        "{refreshed}"
    );
}

#[tokio::test]
async fn delegated_staff_rights_cannot_create_practice_admins() {
    let app = spawn_app().await;
    let admin = app.practice_admin("ladder").await;
    let (_, set) = app
        .gql_as(
            "ladder",
            &admin.access,
            "mutation { setRolePermissions(input: { role: \"staff\", permissions: [
                { object: \"me\", action: \"read\" }, { object: \"patients\", action: \"read\" },
                { object: \"staff\", action: \"manage\" } ] }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert!(
        set["data"]["setRolePermissions"]["userErrors"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{set}"
    );
    let (staff, _) = app.add_user("ladder", Role::Staff).await;
    let invite = "mutation($r: String!) { inviteStaff(input: { email: \"n@ladder.example.com\", role: $r }) {
        invitation { role } userErrors { code } } }";
    let (_, up) = app
        .gql_as(
            "ladder",
            &staff.access,
            invite,
            json!({ "r": "practice_admin" }),
        )
        .await;
    assert_eq!(error_code(&up), Some("FORBIDDEN"), "{up}");
    let (_, level) = app
        .gql_as("ladder", &staff.access, invite, json!({ "r": "staff" }))
        .await;
    assert_eq!(
        level["data"]["inviteStaff"]["invitation"]["role"], "staff",
        "{level}"
    );
}

#[tokio::test]
async fn a_booking_only_proxy_does_not_see_the_chart_in_me() {
    let app = spawn_app().await;
    app.practice_admin("scope").await;
    let (child, chart) = app.add_user("scope", Role::Patient).await;
    let (parent, _) = app.add_user("scope", Role::Patient).await;
    let chart_id = {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        URL_SAFE_NO_PAD.encode(format!("Patient:{}", chart.unwrap()))
    };
    let (_, granted) = app
        .gql_as(
            "scope",
            &child.access,
            "mutation($c: ID!, $e: String!) { grantProxyAccess(input: { patientId: $c, granteeEmail: $e,
                scopes: [BOOK] }) { grant { id } } }",
            json!({ "c": chart_id, "e": parent.email }),
        )
        .await;
    assert!(
        granted["data"]["grantProxyAccess"]["grant"].is_object(),
        "{granted}"
    );
    let (_, me) = app
        .gql_as(
            "scope",
            &parent.access,
            "{ me { charts { relationship } } }",
            json!({}),
        )
        .await;
    let charts = me["data"]["me"]["charts"].as_array().unwrap();
    assert!(charts.iter().all(|c| c["relationship"] == "self"), "{me}");
}
