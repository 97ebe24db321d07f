//! The demo (`portico serve --demo`): its console logins (practice admin and front desk at
//! 'lakeside', an operator at 'platform') all sign in with the demo password and the one TOTP
//! secret the banner prints, and loading it again changes nothing.

use portico_core::demo;
use portico_tests::{TestApp, spawn_app};
use serde_json::json;

async fn load(app: &TestApp) -> demo::DemoLogins {
    let config = app.database.config();
    let hasher = portico_auth::password::Argon2Hasher::new(
        config.auth.argon2_params(),
        config.auth.password_min_length,
    )
    .unwrap();
    demo::load(&app.db(), &hasher).await.unwrap()
}

#[tokio::test]
async fn demo_console_logins_share_the_password_and_the_totp_secret() {
    let app = spawn_app().await;
    let first = load(&app).await;
    // Again: nothing is added twice (an email is unique per tenant, so a second front desk
    // or operator would have failed the load).
    let again = load(&app).await;
    assert!(!first.admin_totp_secret.is_empty());
    assert_eq!(again.admin_totp_secret, first.admin_totp_secret);
    assert_eq!(again.tenant.tenant.id, first.tenant.tenant.id);
    // The portal shows the demo practice's phone number.
    let branding = app
        .gql(
            Some(demo::DEMO_SLUG),
            "{ tenantBranding { phone } }",
            json!({}),
        )
        .await;
    assert_eq!(
        branding["data"]["tenantBranding"]["phone"],
        demo::DEMO_PHONE,
        "{branding}"
    );
    assert_eq!(demo::DEMO_PHONE, "(555) 010-0199");

    // One code serves all three (each account spends its own steps).
    let code = portico_auth::totp::current(&first.admin_totp_secret).unwrap();
    for (slug, email, role) in [
        (demo::DEMO_SLUG, demo::ADMIN_EMAIL, "practice_admin"),
        (demo::DEMO_SLUG, demo::FRONT_DESK_EMAIL, "staff"),
        ("platform", demo::OPERATOR_EMAIL, "operator"),
    ] {
        // Without the code, the second step is asked for: TOTP is on.
        let asked = app.sign_in(slug, email, demo::DEMO_PASSWORD, None).await;
        assert_eq!(
            portico_tests::error_code(&asked),
            Some("MFA_REQUIRED"),
            "{email}: {asked}"
        );
        let body = app
            .sign_in(slug, email, demo::DEMO_PASSWORD, Some(&code))
            .await;
        let session = &body["data"]["signIn"]["session"];
        assert_eq!(session["mfaEnrolmentRequired"], false, "{email}: {body}");
        let access = session["accessToken"].as_str().unwrap();
        let (_, me) = app
            .gql_as(slug, access, "{ me { email role } }", json!({}))
            .await;
        assert_eq!(me["data"]["me"]["role"], role, "{me}");
        assert_eq!(me["data"]["me"]["email"], email);
    }
}
