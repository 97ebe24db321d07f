//! API keys: shown once, usable as a bearer token with their role, rate limited, revocable.

use portico_tests::{error_code, spawn_app_with};
use serde_json::json;

const CREATE: &str = "mutation($name: String!, $role: String!) {
    createApiKey(input: { name: $name, role: $role }) {
        apiKey { id prefix role lastUsedAt } secret userErrors { field code } } }";
const LIST_PATIENTS: &str = "{ patients { edges { node { id } } } }";

#[tokio::test]
async fn a_key_acts_with_its_role_until_revoked() {
    let app = spawn_app_with(|c| c.auth.api_key_rate_per_minute = 1000).await;
    let admin = app.practice_admin("devshop").await;
    let (_, created) = app
        .gql_as(
            "devshop",
            &admin.access,
            CREATE,
            json!({ "name": "EHR bridge", "role": "staff" }),
        )
        .await;
    let payload = &created["data"]["createApiKey"];
    let secret = payload["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let prefix = payload["apiKey"]["prefix"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with(&prefix) && prefix.starts_with("pk_"),
        "{created}"
    );
    let id = payload["apiKey"]["id"].clone();

    let (status, list) = app
        .gql_as("devshop", &secret, LIST_PATIENTS, json!({}))
        .await;
    assert_eq!(status, 200, "{list}");
    assert!(list["errors"].is_null(), "{list}");
    // A staff key cannot manage keys.
    let (_, denied) = app
        .gql_as(
            "devshop",
            &secret,
            CREATE,
            json!({ "name": "more", "role": "practice_admin" }),
        )
        .await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"));

    let (_, keys) = app
        .gql_as(
            "devshop",
            &admin.access,
            "{ apiKeys { prefix lastUsedAt revokedAt } }",
            json!({}),
        )
        .await;
    let listed = &keys["data"]["apiKeys"][0];
    assert_eq!(listed["prefix"], prefix.as_str());
    assert!(
        listed["lastUsedAt"].is_string(),
        "last use recorded: {keys}"
    );
    assert!(
        !keys.to_string().contains(&secret[12..]),
        "the secret is never listed"
    );

    // Another practice does not know the key.
    app.practice_admin("rival").await;
    let (status, _) = app.gql_as("rival", &secret, LIST_PATIENTS, json!({})).await;
    assert_eq!(status, 401);

    let (_, revoked) = app
        .gql_as(
            "devshop",
            &admin.access,
            "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(
        revoked["data"]["revokeApiKey"]["apiKey"]["revokedAt"].is_string(),
        "{revoked}"
    );
    let (status, body) = app
        .gql_as("devshop", &secret, LIST_PATIENTS, json!({}))
        .await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_rate_limited_with_a_retry_hint() {
    let app = spawn_app_with(|c| c.auth.api_key_rate_per_minute = 3).await;
    let admin = app.practice_admin("burst").await;
    let (_, created) = app
        .gql_as(
            "burst",
            &admin.access,
            CREATE,
            json!({ "name": "loader", "role": "provider" }),
        )
        .await;
    let secret = created["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        let (status, _) = app.gql_as("burst", &secret, LIST_PATIENTS, json!({})).await;
        assert_eq!(status, 200);
    }
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("X-Portico-Tenant", "burst")
        .bearer_auth(&secret)
        .json(&json!({ "query": LIST_PATIENTS }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), Some("RATE_LIMITED"));
    assert!(
        body["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .is_some()
    );
    // Sessions are not affected by a key's limit.
    let (status, _) = app
        .gql_as("burst", &admin.access, LIST_PATIENTS, json!({}))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_key_requests_get_user_errors() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.practice_admin("keys").await;
    for (name, role, code) in [
        ("", "staff", "INVALID_NAME"),
        ("x", "patient", "INVALID_ROLE"),
        ("x", "root", "INVALID_ROLE"),
    ] {
        let (_, body) = app
            .gql_as(
                "keys",
                &admin.access,
                CREATE,
                json!({ "name": name, "role": role }),
            )
            .await;
        assert_eq!(
            body["data"]["createApiKey"]["userErrors"][0]["code"], code,
            "{body}"
        );
        assert!(body["data"]["createApiKey"]["secret"].is_null());
    }
    let forged = format!("pk_00000000_{}", "0".repeat(64));
    let (status, _) = app.gql_as("keys", &forged, LIST_PATIENTS, json!({})).await;
    assert_eq!(status, 401);
}

const CREATE_SCOPED: &str = "mutation($name: String!, $scopes: [ApiKeyScope!]) {
    createApiKey(input: { name: $name, role: \"staff\", scopes: $scopes }) {
        apiKey { scopes } secret userErrors { field code } } }";

/// A staff key of `admin`'s practice limited to `scopes`: its secret.
async fn scoped_key(
    app: &portico_tests::TestApp,
    admin: &portico_tests::Signed,
    scopes: serde_json::Value,
) -> String {
    let (_, created) = app
        .gql_as(
            &admin.slug,
            &admin.access,
            CREATE_SCOPED,
            json!({ "name": "Integration", "scopes": scopes }),
        )
        .await;
    let payload = &created["data"]["createApiKey"];
    assert_eq!(payload["apiKey"]["scopes"], scopes, "{created}");
    payload["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_key_limited_to_scopes_does_only_what_they_name_within_its_role() {
    use crate::support::{
        gid,
        messaging::{clinic_for, start},
        records::CREATE_PATIENT,
        scheduling::{book, booked_id, days_ahead, practice, slots, starts},
    };
    let app = spawn_app_with(|c| c.auth.api_key_rate_per_minute = 1000).await;
    let p = practice(&app, "scoped").await;
    let slug = "scoped";
    let read_only = scoped_key(&app, &p.admin, json!(["READ_ONLY"])).await;
    let scheduling = scoped_key(&app, &p.admin, json!(["SCHEDULING"])).await;
    let messaging = scoped_key(&app, &p.admin, json!(["MESSAGING"])).await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap();
    let chart = app.add_patient(&tenant, "Noor").await;

    // Read-only: reads what staff may read, changes nothing.
    let (_, list) = app.gql_as(slug, &read_only, LIST_PATIENTS, json!({})).await;
    assert!(list["errors"].is_null(), "{list}");
    let (_, created) = app
        .gql_as(slug, &read_only, CREATE_PATIENT, json!({}))
        .await;
    assert_eq!(error_code(&created), Some("FORBIDDEN"), "{created}");
    let day = days_ahead(&p, 3);
    let open = starts(&slots(&app, &p.admin.access, slug, &p, day, day).await);
    let patient = gid("Patient", chart.id);
    let refused = book(&app, &read_only, &p, &patient, open[0]).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    // Scheduling: books, but neither writes messages nor reads the refill queue (which its
    // staff role may read).
    let booked = book(&app, &scheduling, &p, &patient, open[0]).await;
    booked_id(&booked);
    let queue = "{ refillQueue { id } }";
    let (_, refills) = app.gql_as(slug, &scheduling, queue, json!({})).await;
    assert_eq!(error_code(&refills), Some("FORBIDDEN"), "{refills}");
    let (_, refills) = app.gql_as(slug, &read_only, queue, json!({})).await;
    assert!(refills["errors"].is_null(), "{refills}");
    let clinic = clinic_for(&app, p.admin.clone()).await;
    let as_key = portico_tests::Signed {
        access: scheduling.clone(),
        ..p.admin.clone()
    };
    let refused = start(&app, &as_key, chart.id, &clinic.pool, "Your results are in").await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    // Messaging: writes to the patient, but books nothing.
    let as_key = portico_tests::Signed {
        access: messaging.clone(),
        ..p.admin.clone()
    };
    let started = start(&app, &as_key, chart.id, &clinic.pool, "Your results are in").await;
    assert!(started["errors"].is_null(), "{started}");
    let refused = book(&app, &messaging, &p, &patient, open[1]).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    // No scope at all is refused: leave scopes out for the role's whole access.
    let (_, none) = app
        .gql_as(
            slug,
            &p.admin.access,
            CREATE_SCOPED,
            json!({ "name": "Nothing", "scopes": [] }),
        )
        .await;
    assert_eq!(
        none["data"]["createApiKey"]["userErrors"][0]["code"], "API_KEY_SCOPES_REQUIRED",
        "{none}"
    );
}
