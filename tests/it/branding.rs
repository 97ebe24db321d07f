//! Practice admins change their portal's branding; a colour white text cannot be read on is
//! refused with the nearest darker colour that passes.

use portico_core::identity::Role;
use portico_tests::{TestApp, error_code, spawn_app};
use serde_json::{Value, json};

const UPDATE: &str = "mutation($input: UpdateBrandingInput!) { updateBranding(input: $input) {
    tenant { slug displayName primaryColor logoUrl }
    userErrors { field code message } suggestedPrimaryColor } }";

const BRANDING: &str = "{ tenantBranding { slug displayName primaryColor logoUrl } }";

async fn update(app: &TestApp, slug: &str, token: &str, input: Value) -> Value {
    let (_, body) = app
        .gql_as(slug, token, UPDATE, json!({ "input": input }))
        .await;
    body
}

async fn branding(app: &TestApp, slug: &str) -> Value {
    app.gql(Some(slug), BRANDING, json!({})).await["data"]["tenantBranding"].clone()
}

/// The payload's only user error: its field and code.
fn refused(body: &Value) -> (&str, &str) {
    let payload = &body["data"]["updateBranding"];
    assert!(payload["tenant"].is_null(), "{body}");
    let errors = payload["userErrors"].as_array().expect("userErrors");
    assert_eq!(errors.len(), 1, "{body}");
    (
        errors[0]["field"].as_str().unwrap(),
        errors[0]["code"].as_str().unwrap(),
    )
}

/// White-text contrast by WCAG 2.x, computed here independently of the server.
fn white_text_contrast(hex: &str) -> f64 {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    1.05 / (l + 0.05)
}

#[tokio::test]
async fn a_practice_admin_changes_name_colour_and_logo_and_the_portal_shows_them() {
    let app = spawn_app().await;
    let admin = app.practice_admin("bright").await;

    let body = update(
        &app,
        "bright",
        &admin.access,
        json!({ "displayName": "  Bright Family Care  ", "primaryColor": "#0F766E",
                "logoUrl": "https://cdn.example.com/bright.svg" }),
    )
    .await;
    let payload = &body["data"]["updateBranding"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    assert!(payload["suggestedPrimaryColor"].is_null(), "{body}");
    assert_eq!(payload["tenant"]["displayName"], "Bright Family Care");
    assert_eq!(payload["tenant"]["primaryColor"], "#0f766e");

    let public = branding(&app, "bright").await;
    assert_eq!(public["displayName"], "Bright Family Care");
    assert_eq!(public["primaryColor"], "#0f766e");
    assert_eq!(public["logoUrl"], "https://cdn.example.com/bright.svg");
    let (_, me) = app
        .gql_as(
            "bright",
            &admin.access,
            "{ me { tenant { displayName primaryColor logoUrl } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["data"]["me"]["tenant"]["displayName"],
        "Bright Family Care"
    );
    assert_eq!(me["data"]["me"]["tenant"]["primaryColor"], "#0f766e");

    // Only what is given changes; an empty logo URL removes the logo.
    let body = update(&app, "bright", &admin.access, json!({ "logoUrl": "" })).await;
    assert_eq!(
        body["data"]["updateBranding"]["userErrors"],
        json!([]),
        "{body}"
    );
    let public = branding(&app, "bright").await;
    assert!(public["logoUrl"].is_null(), "{public}");
    assert_eq!(public["displayName"], "Bright Family Care");
    assert_eq!(public["primaryColor"], "#0f766e");

    // The change is in the audit log.
    let (_, events) = app
        .gql_as(
            "bright",
            &admin.access,
            "{ auditEvents { action } }",
            json!({}),
        )
        .await;
    let changes = events["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"))
        .iter()
        .filter(|e| e["action"] == "settings.branding")
        .count();
    assert_eq!(changes, 2, "{events}");
}

#[tokio::test]
async fn a_colour_too_light_for_white_text_is_refused_with_a_darker_one_that_passes() {
    let app = spawn_app().await;
    let admin = app.practice_admin("amber").await;
    let before = branding(&app, "amber").await;

    let body = update(
        &app,
        "amber",
        &admin.access,
        json!({ "displayName": "Amber Health", "primaryColor": "#ffcc00" }),
    )
    .await;
    assert_eq!(refused(&body), ("primaryColor", "COLOR_CONTRAST"));
    let payload = &body["data"]["updateBranding"];
    let suggested = payload["suggestedPrimaryColor"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(
        suggested.len() == 7 && suggested.starts_with('#'),
        "{suggested}"
    );
    assert!(white_text_contrast(suggested) >= 4.5, "{suggested}");
    let message = payload["userErrors"][0]["message"].as_str().unwrap();
    assert!(message.contains(suggested), "{message}");

    // Nothing changed, the valid name included.
    assert_eq!(branding(&app, "amber").await, before);

    // The suggestion is accepted as it is.
    let body = update(
        &app,
        "amber",
        &admin.access,
        json!({ "primaryColor": suggested }),
    )
    .await;
    assert_eq!(
        body["data"]["updateBranding"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(branding(&app, "amber").await["primaryColor"], suggested);
}

#[tokio::test]
async fn malformed_colours_names_and_logo_urls_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.practice_admin("fussy").await;
    let before = branding(&app, "fussy").await;

    for (input, expected) in [
        (
            json!({ "primaryColor": "#12345g" }),
            ("primaryColor", "INVALID_COLOR"),
        ),
        (
            json!({ "primaryColor": "teal" }),
            ("primaryColor", "INVALID_COLOR"),
        ),
        (
            json!({ "primaryColor": "#fff" }),
            ("primaryColor", "INVALID_COLOR"),
        ),
        (
            json!({ "displayName": " x " }),
            ("displayName", "INVALID_NAME"),
        ),
        (
            json!({ "displayName": "n".repeat(81) }),
            ("displayName", "INVALID_NAME"),
        ),
        (
            json!({ "logoUrl": "http://cdn.example.com/logo.png" }),
            ("logoUrl", "INVALID_URL"),
        ),
        (
            json!({ "logoUrl": "javascript:alert(1)" }),
            ("logoUrl", "INVALID_URL"),
        ),
        (
            json!({ "logoUrl": format!("https://cdn.example.com/{}", "a".repeat(2048)) }),
            ("logoUrl", "INVALID_URL"),
        ),
        // A good field next to a bad one is not applied either.
        (
            json!({ "displayName": "Fussy Clinic", "logoUrl": "ftp://x" }),
            ("logoUrl", "INVALID_URL"),
        ),
    ] {
        let body = update(&app, "fussy", &admin.access, input.clone()).await;
        assert_eq!(refused(&body), expected, "{input}");
        assert!(
            body["data"]["updateBranding"]["suggestedPrimaryColor"].is_null(),
            "{body}"
        );
    }
    assert_eq!(branding(&app, "fussy").await, before);
}

#[tokio::test]
async fn only_practice_admins_change_branding() {
    let app = spawn_app().await;
    app.practice_admin("guarded").await;
    let before = branding(&app, "guarded").await;
    let (staff, _) = app.add_user("guarded", Role::Staff).await;
    let (provider, _) = app.add_user("guarded", Role::Provider).await;
    let (patient, _) = app.add_user("guarded", Role::Patient).await;
    for who in [&staff, &provider, &patient] {
        let body = update(
            &app,
            "guarded",
            &who.access,
            json!({ "displayName": "Taken Over" }),
        )
        .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    }
    // Operators run the platform, not a practice's look.
    let operator = app.operator().await;
    let body = update(
        &app,
        "platform",
        &operator.access,
        json!({ "displayName": "Taken Over" }),
    )
    .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let anonymous = app
        .gql(
            Some("guarded"),
            UPDATE,
            json!({ "input": { "displayName": "Taken Over" } }),
        )
        .await;
    assert_eq!(
        error_code(&anonymous),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );
    assert_eq!(branding(&app, "guarded").await, before);
}

#[tokio::test]
async fn changing_one_practices_branding_leaves_another_untouched() {
    let app = spawn_app().await;
    let north = app.practice_admin("north").await;
    app.practice_admin("south").await;
    let south_before = branding(&app, "south").await;

    let body = update(
        &app,
        "north",
        &north.access,
        json!({ "displayName": "North Clinic", "primaryColor": "#7c3aed" }),
    )
    .await;
    assert_eq!(
        body["data"]["updateBranding"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(branding(&app, "north").await["displayName"], "North Clinic");
    assert_eq!(branding(&app, "south").await, south_before);

    // North's token cannot change south's branding.
    let body = update(
        &app,
        "south",
        &north.access,
        json!({ "displayName": "Annexed" }),
    )
    .await;
    assert!(body["data"]["updateBranding"].is_null(), "{body}");
    assert!(error_code(&body).is_some(), "{body}");
    assert_eq!(branding(&app, "south").await, south_before);
}

#[tokio::test]
async fn a_suspended_practice_may_still_change_its_branding() {
    let app = spawn_app().await;
    let admin = app.practice_admin("paused").await;
    let operator = app.operator().await;
    let (_, tenants) = app
        .gql_as(
            "platform",
            &operator.access,
            "{ tenants { id slug } }",
            json!({}),
        )
        .await;
    let id = tenants["data"]["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "paused")
        .unwrap()["id"]
        .clone();
    let (_, suspended) = app
        .gql_as(
            "platform",
            &operator.access,
            "mutation($id: ID!) { suspendTenant(input: { id: $id, reason: \"unpaid\" }) {
                tenant { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        suspended["data"]["suspendTenant"]["tenant"]["status"], "suspended",
        "{suspended}"
    );
    let body = update(
        &app,
        "paused",
        &admin.access,
        json!({ "displayName": "Paused Clinic" }),
    )
    .await;
    assert_eq!(
        body["data"]["updateBranding"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(
        branding(&app, "paused").await["displayName"],
        "Paused Clinic"
    );
}

const PHONE: &str = "{ tenantBranding { phone } }";

#[tokio::test]
async fn a_practice_admin_sets_the_phone_number_the_portal_shows() {
    let app = spawn_app().await;
    let admin = app.practice_admin("ringing").await;
    let other = app.practice_admin("quiet").await;
    let phone = |body: Value| body["data"]["tenantBranding"]["phone"].clone();
    assert_eq!(
        phone(app.gql(Some("ringing"), PHONE, json!({})).await),
        Value::Null
    );

    let set = update(
        &app,
        "ringing",
        &admin.access,
        json!({ "phone": " +1 (555) 010-0142 " }),
    )
    .await;
    assert_eq!(
        set["data"]["updateBranding"]["userErrors"],
        json!([]),
        "{set}"
    );
    assert_eq!(
        phone(app.gql(Some("ringing"), PHONE, json!({})).await),
        "+1 (555) 010-0142"
    );
    // Only the fields given change, and only at this practice.
    let renamed = update(
        &app,
        "ringing",
        &admin.access,
        json!({ "displayName": "Ringing Clinic" }),
    )
    .await;
    assert_eq!(
        renamed["data"]["updateBranding"]["userErrors"],
        json!([]),
        "{renamed}"
    );
    assert_eq!(
        phone(app.gql(Some("ringing"), PHONE, json!({})).await),
        "+1 (555) 010-0142"
    );
    assert_eq!(
        phone(app.gql(Some("quiet"), PHONE, json!({})).await),
        Value::Null
    );

    // Refused values change nothing, the other fields given with them included.
    for bad in [
        "call 555-0142",
        "555-0142 ext. 4",
        "12",
        "1234567890 1234567890 1234567890 1",
    ] {
        let body = update(
            &app,
            "ringing",
            &admin.access,
            json!({ "phone": bad, "displayName": "Changed Anyway" }),
        )
        .await;
        assert_eq!(refused(&body), ("phone", "INVALID_PHONE"), "{bad}: {body}");
    }
    let now = app
        .gql(
            Some("ringing"),
            "{ tenantBranding { displayName phone } }",
            json!({}),
        )
        .await;
    assert_eq!(
        now["data"]["tenantBranding"]["displayName"], "Ringing Clinic",
        "{now}"
    );
    assert_eq!(
        now["data"]["tenantBranding"]["phone"], "+1 (555) 010-0142",
        "{now}"
    );

    // Another practice's admin cannot reach it: their change is their own practice's.
    let theirs = update(
        &app,
        "quiet",
        &other.access,
        json!({ "phone": "555 010 0100" }),
    )
    .await;
    assert_eq!(
        theirs["data"]["updateBranding"]["userErrors"],
        json!([]),
        "{theirs}"
    );
    assert_eq!(
        phone(app.gql(Some("ringing"), PHONE, json!({})).await),
        "+1 (555) 010-0142"
    );

    // A patient cannot set it; "" removes it.
    let (patient, _) = app.add_user("ringing", Role::Patient).await;
    let denied = update(
        &app,
        "ringing",
        &patient.access,
        json!({ "phone": "555 010 0100" }),
    )
    .await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"), "{denied}");
    let removed = update(&app, "ringing", &admin.access, json!({ "phone": "" })).await;
    assert_eq!(
        removed["data"]["updateBranding"]["userErrors"],
        json!([]),
        "{removed}"
    );
    assert_eq!(
        phone(app.gql(Some("ringing"), PHONE, json!({})).await),
        Value::Null
    );
}
