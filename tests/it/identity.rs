//! Practice sign-up, sign-in with TOTP, refresh, sign-out and `me`.

use portico_tests::{SIGN_UP, error_code, spawn_app};
use serde_json::json;

use crate::support::REFRESH;

const ME: &str = "{ me { displayName email role mfaEnrolled tenant { slug } } }";

#[tokio::test]
async fn sign_up_creates_a_trial_practice_whose_admin_must_enrol_mfa() {
    let app = spawn_app().await;
    let signed = app.sign_up("maple").await;

    let (_, me) = app.gql_as("maple", &signed.access, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["role"], "practice_admin", "{me}");
    assert_eq!(me["data"]["me"]["tenant"]["slug"], "maple");
    assert_eq!(me["data"]["me"]["mfaEnrolled"], false);

    // Before enrolling TOTP, staff can do nothing but enrol.
    let (_, list) = app
        .gql_as(
            "maple",
            &signed.access,
            "{ patients { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&list), Some("MFA_ENROLMENT_REQUIRED"), "{list}");

    let enrolled = app.enrol_totp(&signed).await;
    let (_, list) = app
        .gql_as(
            "maple",
            &enrolled.access,
            "{ patients { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(list["errors"].is_null(), "{list}");
    let (_, me) = app.gql_as("maple", &enrolled.access, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["mfaEnrolled"], true);
}

#[tokio::test]
async fn bad_sign_up_input_gets_user_errors_and_creates_nothing() {
    let app = spawn_app().await;
    app.sign_up("taken").await;
    let cases = [
        (
            "taken",
            "admin@x.example.com",
            "correct kettle orbit lantern",
            "slug",
            "CONFLICT",
        ),
        (
            "www",
            "admin@x.example.com",
            "correct kettle orbit lantern",
            "slug",
            "RESERVED_SLUG",
        ),
        (
            "Bad Slug",
            "admin@x.example.com",
            "correct kettle orbit lantern",
            "slug",
            "INVALID_SLUG",
        ),
        (
            "fresh",
            "not-an-email",
            "correct kettle orbit lantern",
            "adminEmail",
            "INVALID_EMAIL",
        ),
        (
            "fresh",
            "admin@x.example.com",
            "short",
            "adminPassword",
            "PASSWORD_TOO_SHORT",
        ),
        (
            "fresh",
            "admin@x.example.com",
            "password1234",
            "adminPassword",
            "PASSWORD_TOO_COMMON",
        ),
    ];
    for (slug, email, password, field, code) in cases {
        let body = app
            .gql(
                None,
                SIGN_UP,
                json!({ "input": {
                    "practiceName": "A practice", "slug": slug, "timeZone": "America/Chicago",
                    "adminName": "Avery Admin", "adminEmail": email, "adminPassword": password,
                }}),
            )
            .await;
        let payload = &body["data"]["signUpPractice"];
        assert!(payload["session"].is_null(), "{slug}: {body}");
        assert_eq!(payload["userErrors"][0]["field"], field, "{slug}: {body}");
        assert_eq!(payload["userErrors"][0]["code"], code, "{slug}: {body}");
    }
    // Nothing was half-created.
    let fresh = app
        .gql(
            None,
            "{ tenantBranding(slug: \"fresh\") { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&fresh), Some("TENANT_NOT_FOUND"));
}

#[tokio::test]
async fn sign_in_asks_for_the_code_and_refuses_every_failure_alike() {
    let app = spawn_app().await;
    let admin = app.practice_admin("birch").await;
    let secret = admin.totp_secret.clone().unwrap();

    let wrong_password = app
        .sign_in("birch", &admin.email, "wrong password here", None)
        .await;
    let unknown = app
        .sign_in("birch", "nobody@birch.example.com", &admin.password, None)
        .await;
    for body in [&wrong_password, &unknown] {
        assert_eq!(error_code(body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    assert_eq!(
        wrong_password["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );

    let no_code = app
        .sign_in("birch", &admin.email, &admin.password, None)
        .await;
    assert_eq!(error_code(&no_code), Some("MFA_REQUIRED"));
    let bad_code = app
        .sign_in("birch", &admin.email, &admin.password, Some("000000"))
        .await;
    assert_eq!(error_code(&bad_code), Some("INVALID_CREDENTIALS"));

    // The enrolment spent the current step's code; the next step's is valid within the skew.
    let code = portico_auth::totp::next(&secret).unwrap();
    let ok = app
        .sign_in("birch", &admin.email, &admin.password, Some(&code))
        .await;
    let session = &ok["data"]["signIn"]["session"];
    assert_eq!(session["mfaEnrolmentRequired"], false, "{ok}");
    // A code is accepted once: a replay is refused like any wrong code.
    let replay = app
        .sign_in("birch", &admin.email, &admin.password, Some(&code))
        .await;
    assert_eq!(error_code(&replay), Some("INVALID_CREDENTIALS"), "{replay}");

    // The same account does not exist at another practice.
    app.sign_up("cedar").await;
    let elsewhere = app
        .sign_in("cedar", &admin.email, &admin.password, Some(&code))
        .await;
    assert_eq!(error_code(&elsewhere), Some("INVALID_CREDENTIALS"));
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_even_for_the_right_one() {
    let app = spawn_app().await;
    let admin = app.sign_up("aspen").await;
    for _ in 0..5 {
        let body = app
            .sign_in("aspen", &admin.email, "not the password!", None)
            .await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"));
    }
    let locked = app
        .sign_in("aspen", &admin.email, &admin.password, None)
        .await;
    assert_eq!(error_code(&locked), Some("INVALID_CREDENTIALS"), "{locked}");
    let wrong = app
        .sign_in("aspen", &admin.email, "not the password!", None)
        .await;
    assert_eq!(
        locked["errors"][0]["message"], wrong["errors"][0]["message"],
        "a lock looks like any other failure"
    );
    // Another account of the practice is not locked.
    let other_practice = app.sign_up("alder").await;
    let fine = app
        .sign_in(
            "alder",
            &other_practice.email,
            &other_practice.password,
            None,
        )
        .await;
    assert!(fine["data"]["signIn"]["session"].is_object(), "{fine}");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session() {
    let app = spawn_app().await;
    let admin = app.practice_admin("elm").await;

    let (_, first) = app
        .gql_status(Some("elm"), REFRESH, json!({ "t": admin.refresh }))
        .await;
    let next = first["data"]["refreshSession"]["session"]["refreshToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    let access = first["data"]["refreshSession"]["session"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(next, admin.refresh);

    // The old token again: stolen. The whole family is revoked, the new token too.
    let (_, reuse) = app
        .gql_status(Some("elm"), REFRESH, json!({ "t": admin.refresh }))
        .await;
    assert_eq!(error_code(&reuse), Some("UNAUTHENTICATED"));
    let (_, after) = app
        .gql_status(Some("elm"), REFRESH, json!({ "t": next }))
        .await;
    assert_eq!(error_code(&after), Some("UNAUTHENTICATED"));
    let (status, me) = app.gql_as("elm", &access, ME, json!({})).await;
    assert_eq!(status, 401, "{me}");

    // A refresh token of one practice means nothing at another.
    let other = app.practice_admin("oak").await;
    let (_, cross) = app
        .gql_status(Some("elm"), REFRESH, json!({ "t": other.refresh }))
        .await;
    assert_eq!(error_code(&cross), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn signing_out_ends_the_access_and_refresh_tokens() {
    let app = spawn_app().await;
    let admin = app.practice_admin("pine").await;
    let (_, out) = app
        .gql_as(
            "pine",
            &admin.access,
            "mutation { signOut { signedOut } }",
            json!({}),
        )
        .await;
    assert_eq!(out["data"]["signOut"]["signedOut"], true, "{out}");
    let (status, me) = app.gql_as("pine", &admin.access, ME, json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&me), Some("UNAUTHENTICATED"));
    let (_, refresh) = app
        .gql_status(Some("pine"), REFRESH, json!({ "t": admin.refresh }))
        .await;
    assert_eq!(error_code(&refresh), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn me_needs_a_session() {
    let app = spawn_app().await;
    app.sign_up("willow").await;
    let body = app.gql(Some("willow"), ME, json!({})).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn jwks_publishes_the_signing_key() {
    let app = spawn_app().await;
    let jwks: serde_json::Value = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(key.get("d").is_none(), "no private part");
}

#[tokio::test]
async fn a_practice_sets_its_own_automatic_log_off() {
    let app = spawn_app().await;
    let admin = app.practice_admin("idle").await;
    let update = "mutation($s: Int, $p: Int) { updateSessionSettings(input: {
        staffIdleMinutes: $s, patientIdleMinutes: $p }) {
        sessionSettings { staffIdleMinutes patientIdleMinutes } userErrors { field code } } }";
    let (_, defaults) = app
        .gql_as(
            "idle",
            &admin.access,
            "{ sessionSettings { staffIdleMinutes patientIdleMinutes } }",
            json!({}),
        )
        .await;
    assert_eq!(
        defaults["data"]["sessionSettings"]["staffIdleMinutes"], 15,
        "{defaults}"
    );
    assert_eq!(
        defaults["data"]["sessionSettings"]["patientIdleMinutes"],
        30
    );

    let (_, bad) = app
        .gql_as("idle", &admin.access, update, json!({ "s": 2 }))
        .await;
    assert_eq!(
        bad["data"]["updateSessionSettings"]["userErrors"][0]["code"],
        "INVALID_TIMEOUT"
    );
    let (_, ok) = app
        .gql_as("idle", &admin.access, update, json!({ "s": 5, "p": 60 }))
        .await;
    assert_eq!(
        ok["data"]["updateSessionSettings"]["sessionSettings"]["staffIdleMinutes"], 5,
        "{ok}"
    );

    // A new staff session idles out after 5 minutes.
    let code = portico_auth::totp::next(admin.totp_secret.as_ref().unwrap()).unwrap();
    let (_, signed) = app
        .gql_status(
            Some("idle"),
            "mutation($i: SignInInput!) { signIn(input: $i) { session { accessTokenExpiresAt refreshTokenExpiresAt } } }",
            json!({ "i": { "email": admin.email, "password": admin.password, "totpCode": code } }),
        )
        .await;
    let session = &signed["data"]["signIn"]["session"];
    let expires = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(
            session[field]
                .as_str()
                .unwrap_or_else(|| panic!("{signed}")),
        )
        .unwrap()
        .with_timezone(&chrono::Utc)
    };
    let limit = chrono::Utc::now() + chrono::Duration::seconds(5 * 60 + 5);
    assert!(expires("accessTokenExpiresAt") <= limit);
    assert!(expires("refreshTokenExpiresAt") <= limit);
    assert!(
        expires("refreshTokenExpiresAt") > chrono::Utc::now() + chrono::Duration::seconds(4 * 60)
    );

    let (staff, _) = app
        .add_user("idle", portico_core::identity::Role::Staff)
        .await;
    let (_, denied) = app
        .gql_as("idle", &staff.access, update, json!({ "s": 600 }))
        .await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"));
}
