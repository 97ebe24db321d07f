//! `changePassword` for the signed-in person: the current password is checked (and wrong
//! guesses lock the account as at sign-in), the new one meets the same rules as a reset, and
//! every other session ends; `passwordPolicy` publishes the rules to anyone.

use portico_core::identity::Role;
use portico_tests::{TestApp, error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};

use crate::support::REFRESH;

const CHANGE: &str = "mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
    changed endedSessions userErrors { field code message } } }";
const NEW_PASSWORD: &str = "meadow saffron window harbour";

async fn change(app: &TestApp, slug: &str, access: &str, current: &str, new: &str) -> Value {
    let (_, body) = app
        .gql_as(
            slug,
            access,
            CHANGE,
            json!({ "input": { "currentPassword": current, "newPassword": new } }),
        )
        .await;
    body
}

fn code(body: &Value) -> Option<&str> {
    body["data"]["changePassword"]["userErrors"][0]["code"].as_str()
}

#[tokio::test]
async fn the_password_policy_is_public() {
    let app = spawn_app_with(|c| c.auth.password_min_length = 14).await;
    app.create_tenant("pw-policy").await;
    let body = app
        .gql(
            Some("pw-policy"),
            "{ passwordPolicy { minLength maxLength } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["passwordPolicy"]["minLength"], 14, "{body}");
    assert_eq!(body["data"]["passwordPolicy"]["maxLength"], 256, "{body}");
}

#[tokio::test]
async fn a_person_changes_their_password_and_their_other_sessions_end() {
    let app = spawn_app().await;
    app.sign_up("pw-clinic").await;
    let (patient, _) = app.add_user("pw-clinic", Role::Patient).await;
    let other = app
        .sign_in("pw-clinic", &patient.email, &patient.password, None)
        .await;
    let other_access = other["data"]["signIn"]["session"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_refresh = other["data"]["signIn"]["session"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // Bad input changes nothing.
    let wrong = change(
        &app,
        "pw-clinic",
        &patient.access,
        "not my password",
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(code(&wrong), Some("INVALID_CURRENT_PASSWORD"), "{wrong}");
    assert_eq!(wrong["data"]["changePassword"]["changed"], false);
    let short = change(
        &app,
        "pw-clinic",
        &patient.access,
        &patient.password,
        "short",
    )
    .await;
    assert_eq!(code(&short), Some("PASSWORD_TOO_SHORT"), "{short}");
    assert_eq!(
        short["data"]["changePassword"]["userErrors"][0]["field"],
        "newPassword"
    );
    let personal = change(
        &app,
        "pw-clinic",
        &patient.access,
        &patient.password,
        &format!("{} is me", patient.email),
    )
    .await;
    assert_eq!(
        code(&personal),
        Some("PASSWORD_CONTAINS_PERSONAL_DATA"),
        "{personal}"
    );
    let (_, me) = app
        .gql_as("pw-clinic", &other_access, "{ me { email } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["email"], patient.email, "{me}");

    let changed = change(
        &app,
        "pw-clinic",
        &patient.access,
        &patient.password,
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(
        changed["data"]["changePassword"]["changed"], true,
        "{changed}"
    );
    assert_eq!(
        changed["data"]["changePassword"]["endedSessions"], 1,
        "{changed}"
    );

    // The other session is over at once; this one goes on.
    let (_, me) = app
        .gql_as("pw-clinic", &other_access, "{ me { email } }", json!({}))
        .await;
    assert_eq!(error_code(&me), Some("UNAUTHENTICATED"), "{me}");
    let refreshed = app
        .gql(Some("pw-clinic"), REFRESH, json!({ "t": other_refresh }))
        .await;
    assert_eq!(
        error_code(&refreshed),
        Some("UNAUTHENTICATED"),
        "{refreshed}"
    );
    let (_, me) = app
        .gql_as("pw-clinic", &patient.access, "{ me { email } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["email"], patient.email, "{me}");
    let refreshed = app
        .gql(Some("pw-clinic"), REFRESH, json!({ "t": patient.refresh }))
        .await;
    assert!(
        refreshed["data"]["refreshSession"]["session"]["accessToken"].is_string(),
        "{refreshed}"
    );

    // Only the new password signs in.
    let old = app
        .sign_in("pw-clinic", &patient.email, &patient.password, None)
        .await;
    assert_eq!(error_code(&old), Some("INVALID_CREDENTIALS"), "{old}");
    let new = app
        .sign_in("pw-clinic", &patient.email, NEW_PASSWORD, None)
        .await;
    assert!(
        new["data"]["signIn"]["session"]["accessToken"].is_string(),
        "{new}"
    );
}

#[tokio::test]
async fn guessing_the_current_password_locks_the_account_as_sign_in_does() {
    let app = spawn_app().await;
    app.sign_up("pw-guess").await;
    let (patient, _) = app.add_user("pw-guess", Role::Patient).await;
    for attempt in 1..=5 {
        let body = change(
            &app,
            "pw-guess",
            &patient.access,
            &format!("guess number {attempt}"),
            NEW_PASSWORD,
        )
        .await;
        assert_eq!(
            code(&body),
            Some("INVALID_CURRENT_PASSWORD"),
            "{attempt}: {body}"
        );
    }
    // Locked: even the right password is refused now, here and at sign-in.
    let locked = change(
        &app,
        "pw-guess",
        &patient.access,
        &patient.password,
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(error_code(&locked), Some("RATE_LIMITED"), "{locked}");
    let sign_in = app
        .sign_in("pw-guess", &patient.email, &patient.password, None)
        .await;
    assert_eq!(
        error_code(&sign_in),
        Some("INVALID_CREDENTIALS"),
        "{sign_in}"
    );
    // Nothing changed.
    let new = app
        .sign_in("pw-guess", &patient.email, NEW_PASSWORD, None)
        .await;
    assert_eq!(error_code(&new), Some("INVALID_CREDENTIALS"), "{new}");
}
