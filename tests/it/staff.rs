//! Staff invitations: invite by email, accept once with the link, enrol TOTP.

use portico_tests::{error_code, spawn_app};
use serde_json::json;

use crate::support::token_in;

const INVITE: &str = "mutation($email: String!, $role: String!) {
    inviteStaff(input: { email: $email, role: $role }) {
        invitation { id email role status } userErrors { field code } } }";
const ACCEPT: &str = "mutation($token: String!, $password: String!) {
    acceptInvitation(input: { token: $token, displayName: \"Sam Staff\", password: $password }) {
        session { accessToken refreshToken mfaEnrolmentRequired } userErrors { field code } } }";

/// `acceptInvitation` at `slug`; returns the status and body.
async fn accept(
    app: &portico_tests::TestApp,
    slug: &str,
    token: &str,
    password: &str,
) -> (u16, serde_json::Value) {
    app.gql_status(
        Some(slug),
        ACCEPT,
        json!({ "token": token, "password": password }),
    )
    .await
}

#[tokio::test]
async fn an_invited_staff_member_joins_once_and_must_enrol_mfa() {
    let app = spawn_app().await;
    let admin = app.practice_admin("harbor").await;
    let (_, invited) = app
        .gql_as(
            "harbor",
            &admin.access,
            INVITE,
            json!({ "email": "Sam@Harbor.example.com", "role": "provider" }),
        )
        .await;
    let invitation = &invited["data"]["inviteStaff"]["invitation"];
    assert_eq!(invitation["status"], "pending", "{invited}");
    assert_eq!(invitation["email"], "sam@harbor.example.com");

    let email = app
        .last_email_to("sam@harbor.example.com")
        .expect("an email");
    assert!(
        email.contains("/console/accept-invitation?practice=harbor#token="),
        "{email}"
    );
    let token = token_in(&email);

    let (_, weak) = accept(&app, "harbor", &token, "short").await;
    assert_eq!(
        weak["data"]["acceptInvitation"]["userErrors"][0]["code"],
        "PASSWORD_TOO_SHORT"
    );
    let (_, accepted) = accept(&app, "harbor", &token, "tidal basin lighthouse").await;
    let session = &accepted["data"]["acceptInvitation"]["session"];
    assert_eq!(session["mfaEnrolmentRequired"], true, "{accepted}");
    let (_, me) = app
        .gql_as(
            "harbor",
            session["accessToken"].as_str().unwrap(),
            "{ me { role } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["role"], "provider");

    let (_, again) = accept(&app, "harbor", &token, "tidal basin lighthouse").await;
    assert_eq!(
        again["data"]["acceptInvitation"]["userErrors"][0]["code"],
        "INVITATION_USED"
    );
    // The token means nothing at another practice.
    app.practice_admin("inland").await;
    let (_, elsewhere) = accept(&app, "inland", &token, "tidal basin lighthouse").await;
    assert_eq!(
        elsewhere["data"]["acceptInvitation"]["userErrors"][0]["code"],
        "INVITATION_INVALID"
    );
}

#[tokio::test]
async fn revoked_and_expired_invitations_cannot_be_accepted() {
    let app = spawn_app().await;
    let admin = app.practice_admin("quay").await;
    for email in ["a@quay.example.com", "b@quay.example.com"] {
        app.gql_as(
            "quay",
            &admin.access,
            INVITE,
            json!({ "email": email, "role": "staff" }),
        )
        .await;
    }
    let (_, list) = app
        .gql_as(
            "quay",
            &admin.access,
            "{ invitations { id email status } }",
            json!({}),
        )
        .await;
    let a_id = list["data"]["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == "a@quay.example.com")
        .unwrap()["id"]
        .clone();
    let (_, revoked) = app
        .gql_as(
            "quay",
            &admin.access,
            "mutation($id: ID!) { revokeInvitation(input: { id: $id }) { invitation { status } } }",
            json!({ "id": a_id }),
        )
        .await;
    assert_eq!(
        revoked["data"]["revokeInvitation"]["invitation"]["status"],
        "revoked"
    );
    let token = token_in(&app.last_email_to("a@quay.example.com").unwrap());
    let (_, body) = accept(&app, "quay", &token, "harbour crane signal").await;
    assert_eq!(
        body["data"]["acceptInvitation"]["userErrors"][0]["code"],
        "INVITATION_INVALID"
    );

    // Age b's invitation past its expiry, as the owner.
    use sea_orm::ConnectionTrait;
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    owner
        .execute_unprepared(&format!(
            "UPDATE invitations SET expires_at = '{past}' WHERE email = 'b@quay.example.com'"
        ))
        .await
        .unwrap();
    owner.close().await.unwrap();
    let token = token_in(&app.last_email_to("b@quay.example.com").unwrap());
    let (_, body) = accept(&app, "quay", &token, "harbour crane signal").await;
    assert_eq!(
        body["data"]["acceptInvitation"]["userErrors"][0]["code"],
        "INVITATION_EXPIRED"
    );
}

#[tokio::test]
async fn only_admins_invite_and_bad_invitations_get_user_errors() {
    let app = spawn_app().await;
    let admin = app.practice_admin("delta").await;
    let (staff, _) = app
        .add_user("delta", portico_core::identity::Role::Staff)
        .await;
    let (_, denied) = app
        .gql_as(
            "delta",
            &staff.access,
            INVITE,
            json!({ "email": "x@delta.example.com", "role": "staff" }),
        )
        .await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"));
    for (email, role, code) in [
        ("not-an-email", "staff", "INVALID_EMAIL"),
        ("x@delta.example.com", "patient", "INVALID_ROLE"),
        ("x@delta.example.com", "wizard", "INVALID_ROLE"),
        (admin.email.as_str(), "staff", "CONFLICT"),
    ] {
        let (_, body) = app
            .gql_as(
                "delta",
                &admin.access,
                INVITE,
                json!({ "email": email, "role": role }),
            )
            .await;
        assert_eq!(
            body["data"]["inviteStaff"]["userErrors"][0]["code"], code,
            "{email} {role}: {body}"
        );
    }
    assert!(app.outbox().is_empty(), "no email for a refused invitation");
}

#[tokio::test]
async fn an_admin_changes_a_staff_role_and_the_old_session_ends() {
    let app = spawn_app().await;
    let admin = app.practice_admin("roles").await;
    let (staff, _) = app
        .add_user("roles", portico_core::identity::Role::Staff)
        .await;
    let (_, list) = app
        .gql_as(
            "roles",
            &admin.access,
            "{ staffMembers { id email role } }",
            json!({}),
        )
        .await;
    let members = list["data"]["staffMembers"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"));
    let staff_id = members
        .iter()
        .find(|m| m["email"] == staff.email.as_str())
        .unwrap()["id"]
        .clone();
    let admin_id = members
        .iter()
        .find(|m| m["email"] == admin.email.as_str())
        .unwrap()["id"]
        .clone();
    let change = "mutation($id: ID!, $role: String!) { changeStaffRole(input: { userId: $id, role: $role }) {
        staffMember { role } userErrors { code } } }";

    let (_, last) = app
        .gql_as(
            "roles",
            &admin.access,
            change,
            json!({ "id": admin_id, "role": "staff" }),
        )
        .await;
    assert_eq!(
        last["data"]["changeStaffRole"]["userErrors"][0]["code"],
        "LAST_ADMIN"
    );
    let (_, promoted) = app
        .gql_as(
            "roles",
            &admin.access,
            change,
            json!({ "id": staff_id, "role": "practice_admin" }),
        )
        .await;
    assert_eq!(
        promoted["data"]["changeStaffRole"]["staffMember"]["role"], "practice_admin",
        "{promoted}"
    );
    let (status, _) = app
        .gql_as("roles", &staff.access, "{ me { role } }", json!({}))
        .await;
    assert_eq!(status, 401, "the session with the old role ended");
    let (_, denied) = app
        .gql_as(
            "roles",
            &staff.access,
            change,
            json!({ "id": admin_id, "role": "staff" }),
        )
        .await;
    assert_eq!(error_code(&denied), Some("UNAUTHENTICATED"));
}
