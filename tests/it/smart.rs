//! SMART App Launch (standalone patient launch) over HTTP, as an app does it: discovery,
//! the authorize redirect to the portal's consent page, the patient's choice (through the
//! GraphQL mutations the page calls), the code for tokens with PKCE, FHIR reads within the
//! scopes and the one chart, refresh-token rotation with reuse detection, revocation from
//! the portal, confidential clients, granular scopes, and every refusal in OAuth's terms.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, spawn_app};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{gid, records::small_chart};

const SLUG: &str = "smartdoc";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// An HTTP client that shows redirects instead of following them, as an app's browser tab
/// would be watched.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn pkce() -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

async fn register(app: &TestApp, admin: &Signed, name: &str, confidential: bool) -> Value {
    let (_, body) = app
        .gql_as(
            SLUG,
            &admin.access,
            "mutation($i: RegisterSmartAppInput!) { registerSmartApp(input: $i) {
                app { id clientId redirectUris confidential } clientSecret userErrors { field code } } }",
            json!({ "i": { "name": name, "redirectUris": [REDIRECT], "confidential": confidential } }),
        )
        .await;
    let payload = body["data"]["registerSmartApp"].clone();
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    payload
}

fn base(app: &TestApp) -> String {
    app.url(&format!("/t/{SLUG}/fhir/r4"))
}

/// The authorize request's redirect (`Location`), with `scope` and `challenge`.
async fn authorize(
    app: &TestApp,
    client_id: &str,
    scope: &str,
    challenge: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let aud = base(app);
    let mut query = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st4te"),
        ("aud", aud.as_str()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        query.retain(|(key, _)| key != k);
        if !v.is_empty() {
            query.push((k, v));
        }
    }
    let response = browser()
        .get(app.url(&format!("/t/{SLUG}/oauth/authorize")))
        .query(&query)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if location.is_empty() {
        return (status, response.text().await.unwrap());
    }
    (status, location)
}

fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The patient approves the request behind the consent page's address with `scopes`:
/// the app's redirect.
async fn consent(
    app: &TestApp,
    patient: &Signed,
    location: &str,
    chart: &str,
    scopes: &[&str],
) -> String {
    let request = location.rsplit('/').next().unwrap();
    let (_, body) = app
        .gql_as(
            SLUG,
            &patient.access,
            "mutation($i: ApproveSmartAuthorizationInput!) { approveSmartAuthorization(input: $i) {
                redirectUrl userErrors { field code } } }",
            json!({ "i": { "requestId": request, "patientId": chart, "scopes": scopes } }),
        )
        .await;
    let payload = &body["data"]["approveSmartAuthorization"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    payload["redirectUrl"].as_str().unwrap().to_owned()
}

async fn token(app: &TestApp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> (u16, Value) {
    let mut request = browser()
        .post(app.url(&format!("/t/{SLUG}/oauth/token")))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

/// A public app's refresh (`grant_type=refresh_token`).
async fn refreshed(app: &TestApp, client_id: &str, refresh_token: &str) -> (u16, Value) {
    token(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
        None,
    )
    .await
}

async fn fhir(app: &TestApp, access: &str, path: &str) -> (u16, Value) {
    let response = browser()
        .get(format!("{}/{path}", base(app)))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// The whole launch for `scope`, approving `chosen`: the token response.
async fn launch(
    app: &TestApp,
    patient: &Signed,
    client_id: &str,
    chart: &str,
    scope: &str,
    chosen: &[&str],
) -> Value {
    let (verifier, challenge) = pkce();
    let (status, location) = authorize(app, client_id, scope, &challenge, &[]).await;
    assert!(matches!(status, 302 | 303 | 307), "{status} {location}");
    let back = consent(app, patient, &location, chart, chosen).await;
    let code = query_of(&back)["code"].clone();
    let (status, tokens) = token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", &verifier),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

#[tokio::test]
async fn a_patient_connects_an_app_that_reads_only_what_they_chose() {
    let app = spawn_app().await;
    let admin = app.practice_admin(SLUG).await;
    let (patient, chart) = app.add_user(SLUG, Role::Patient).await;
    let chart_id = chart.unwrap();
    let chart = gid("Patient", chart_id);
    small_chart(&app, &admin, &chart).await;
    let (other, other_chart) = app.add_user(SLUG, Role::Patient).await;
    let other_chart = other_chart.unwrap();
    let registered = register(&app, &admin, "Health Diary", false).await;
    let client_id = registered["app"]["clientId"].as_str().unwrap().to_owned();
    assert_eq!(registered["app"]["confidential"], false);
    assert!(registered["clientSecret"].is_null());

    // Discovery, on the FHIR base and at the root, names the endpoints.
    let (status, config) = {
        let r = browser()
            .get(format!("{}/.well-known/smart-configuration", base(&app)))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    assert_eq!(
        config["authorization_endpoint"],
        app.url(&format!("/t/{SLUG}/oauth/authorize"))
    );
    assert_eq!(
        config["token_endpoint"],
        app.url(&format!("/t/{SLUG}/oauth/token"))
    );
    assert!(
        config["code_challenge_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("S256"))
    );

    // The consent page shows the app, the scopes asked and the charts to choose from.
    let (verifier, challenge) = pkce();
    let scope = "launch/patient openid patient/Observation.rs patient/Patient.rs offline_access";
    let (status, location) = authorize(&app, &client_id, scope, &challenge, &[]).await;
    assert!(matches!(status, 302 | 303 | 307), "{status} {location}");
    assert!(
        location.starts_with(&format!("/t/{SLUG}/connect/")),
        "{location}"
    );
    let request = location.rsplit('/').next().unwrap();
    let (_, page) = app
        .gql_as(
            SLUG,
            &patient.access,
            "query($id: ID!) { smartAuthorizationRequest(id: $id) { appName redirectUri
                scopes { scope resourceType } charts { patientId relationship } } }",
            json!({ "id": request }),
        )
        .await;
    let asked = &page["data"]["smartAuthorizationRequest"];
    assert_eq!(asked["appName"], "Health Diary", "{page}");
    let scopes: Vec<&str> = asked["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    // `openid` is not granted: Portico issues no id_token.
    assert_eq!(
        scopes,
        [
            "patient/Observation.rs",
            "patient/Patient.rs",
            "launch/patient",
            "offline_access"
        ]
    );
    assert_eq!(
        asked["charts"],
        json!([{ "patientId": chart, "relationship": "self" }])
    );
    // Another patient cannot approve it for this chart.
    let (_, stolen) = app
        .gql_as(
            SLUG,
            &other.access,
            "mutation($i: ApproveSmartAuthorizationInput!) { approveSmartAuthorization(input: $i) { redirectUrl userErrors { code } } }",
            json!({ "i": { "requestId": request, "patientId": chart, "scopes": ["patient/Observation.rs"] } }),
        )
        .await;
    assert!(
        stolen["data"]["approveSmartAuthorization"]["redirectUrl"].is_null(),
        "{stolen}"
    );

    // The patient allows results only (unticks demographics), with offline access.
    let back = consent(
        &app,
        &patient,
        &location,
        &chart,
        &["patient/Observation.rs", "launch/patient", "offline_access"],
    )
    .await;
    assert!(back.starts_with(REDIRECT), "{back}");
    let answer = query_of(&back);
    assert_eq!(answer["state"], "st4te");
    let code = answer["code"].clone();

    // A wrong verifier is refused, and does not use the code up.
    let exchange = |verifier: String| {
        let (code, client_id) = (code.clone(), client_id.clone());
        let app = &app;
        async move {
            token(
                app,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("client_id", &client_id),
                    ("code_verifier", &verifier),
                ],
                None,
            )
            .await
        }
    };
    let (status, refused) = exchange(pkce().0).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant")),
        "{refused}"
    );
    let (status, tokens) = exchange(verifier.clone()).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["patient"], chart_id.to_string());
    assert_eq!(
        tokens["scope"],
        "patient/Observation.rs launch/patient offline_access"
    );
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // It reads the chart's results, and nothing else.
    let (status, results) = fhir(&app, &access, "Observation").await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["total"], 3);
    let (status, body) = fhir(&app, &access, &format!("Patient/{chart_id}")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["issue"][0]["details"]["coding"][0]["code"],
        "INSUFFICIENT_SCOPE"
    );
    let (status, _) = fhir(&app, &access, &format!("Observation?patient={other_chart}")).await;
    assert_eq!(status, 404);
    // It is no GraphQL credential.
    let (_, gql) = app
        .gql_as(SLUG, &access, "{ me { displayName } }", json!({}))
        .await;
    assert_eq!(
        gql["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{gql}"
    );
    // The code is used once: again, and the grant is revoked with everything it gave.
    let (status, again) = exchange(verifier).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = fhir(&app, &access, "Observation").await;
    assert_eq!(status, 401);
    let (status, _) = refreshed(&app, &client_id, &refresh).await;
    assert_eq!(status, 400);

    // A second connection: refresh tokens rotate, and an old one used again revokes it.
    let tokens = launch(
        &app,
        &patient,
        &client_id,
        &chart,
        "patient/*.rs offline_access",
        &["patient/*.rs", "offline_access"],
    )
    .await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = refreshed(&app, &client_id, &first).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["refresh_token"], json!(first));
    let access = second["access_token"].as_str().unwrap().to_owned();
    let (status, whole) = fhir(&app, &access, "Patient").await;
    assert_eq!((status, whole["total"].as_u64()), (200, Some(1)));
    let (status, reused) = refreshed(&app, &client_id, &first).await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = fhir(&app, &access, "Patient").await;
    assert_eq!(status, 401, "a reused refresh token revokes the grant");

    // A third, removed by the patient on the security page.
    let tokens = launch(
        &app,
        &patient,
        &client_id,
        &chart,
        "patient/Condition.rs",
        &["patient/Condition.rs"],
    )
    .await;
    assert!(
        tokens["refresh_token"].is_null(),
        "no offline_access, no refresh token"
    );
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, listed) = app
        .gql_as(
            SLUG,
            &patient.access,
            "{ connectedApps { id appName patientId offline scopes { scope } } }",
            json!({}),
        )
        .await;
    let connected = listed["data"]["connectedApps"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(
        connected.len(),
        1,
        "revoked grants are not listed: {listed}"
    );
    assert_eq!(connected[0]["appName"], "Health Diary");
    assert_eq!(connected[0]["patientId"], chart);
    let (_, removed) = app
        .gql_as(
            SLUG,
            &patient.access,
            "mutation($id: ID!) { removeConnectedApp(id: $id) { connectedApp { id } } }",
            json!({ "id": connected[0]["id"] }),
        )
        .await;
    assert!(removed["errors"].is_null(), "{removed}");
    let (status, _) = fhir(&app, &access, "Condition").await;
    assert_eq!(status, 401, "removed: its token stops at once");

    // Granular: only the vital signs of Observation.
    let tokens = launch(
        &app,
        &patient,
        &client_id,
        &chart,
        "patient/Observation.rs?category=vital-signs",
        &["patient/Observation.rs?category=vital-signs"],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, vitals) = fhir(&app, &access, "Observation").await;
    assert_eq!(
        (status, vitals["total"].as_u64()),
        (200, Some(0)),
        "{vitals}"
    );

    // The audit log names the app for its reads.
    let (_, events) = app
        .gql_as(
            SLUG,
            &admin.access,
            "query($p: ID) { auditEvents(patientId: $p, first: 500) { action actorKind } }",
            json!({ "p": chart }),
        )
        .await;
    let events = events["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"));
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "observation.list" && e["actorKind"] == "smart_app"),
        "{events:?}"
    );
    assert!(events.iter().any(|e| e["action"] == "smart_grant.create"));
    // The patient's own access log names the app, not a person.
    let (_, log) = app
        .gql_as(
            SLUG,
            &patient.access,
            "{ chartAccessLog(first: 200) { who role action } }",
            json!({}),
        )
        .await;
    let log = log["data"]["chartAccessLog"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        log.iter().any(|e| e["who"] == "Health Diary"
            && e["role"].is_null()
            && e["action"] == "observation.list"),
        "{log:?}"
    );
    assert!(events.iter().any(|e| e["action"] == "smart_grant.revoke"));
}

#[tokio::test]
async fn bad_requests_are_refused_in_oauths_terms_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.practice_admin(SLUG).await;
    let (patient, chart) = app.add_user(SLUG, Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let public = register(&app, &admin, "Public App", false).await;
    let client_id = public["app"]["clientId"].as_str().unwrap().to_owned();
    let (_, challenge) = pkce();

    // Not redirected anywhere the app did not register: refused here.
    let (status, body) = authorize(
        &app,
        &client_id,
        "patient/*.rs",
        &challenge,
        &[("redirect_uri", "https://evil.example/cb")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "invalid_request"
    );
    let (status, body) = authorize(&app, "app_unknown", "patient/*.rs", &challenge, &[]).await;
    assert_eq!(status, 401);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "invalid_client"
    );
    // Anything else goes back to the app with the error and its state.
    for (extra, error) in [
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (
            vec![("aud", "https://elsewhere.example/fhir")],
            "invalid_request",
        ),
        (vec![("scope", "openid user/*.rs")], "invalid_scope"),
    ] {
        let (status, location) =
            authorize(&app, &client_id, "patient/*.rs", &challenge, &extra).await;
        assert!(
            matches!(status, 302 | 303 | 307),
            "{extra:?}: {status} {location}"
        );
        let q = query_of(&location);
        assert_eq!(q["error"], error, "{extra:?}");
        assert_eq!(q["state"], "st4te");
    }
    // SMART requires `state`: without it, refused (and nothing to send back but the error).
    let (_, location) = authorize(
        &app,
        &client_id,
        "patient/*.rs",
        &challenge,
        &[("state", "")],
    )
    .await;
    let q = query_of(&location);
    assert_eq!(q["error"], "invalid_request", "{location}");
    assert!(!q.contains_key("state"));
    // The patient allows nothing: refused at the field; denying sends access_denied back.
    let (_, location) = authorize(&app, &client_id, "patient/*.rs", &challenge, &[]).await;
    let request = location.rsplit('/').next().unwrap().to_owned();
    let (_, none) = app
        .gql_as(SLUG, &patient.access,
            "mutation($i: ApproveSmartAuthorizationInput!) { approveSmartAuthorization(input: $i) { redirectUrl userErrors { field code } } }",
            json!({ "i": { "requestId": request, "patientId": chart, "scopes": ["launch/patient"] } }))
        .await;
    assert_eq!(
        none["data"]["approveSmartAuthorization"]["userErrors"][0]["code"], "SMART_SCOPES_REQUIRED",
        "{none}"
    );
    let (_, denied) = app
        .gql_as(
            SLUG,
            &patient.access,
            "mutation($id: ID!) { denySmartAuthorization(requestId: $id) { redirectUrl } }",
            json!({ "id": request }),
        )
        .await;
    let back = denied["data"]["denySmartAuthorization"]["redirectUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{denied}"));
    assert_eq!(query_of(back)["error"], "access_denied");
    // Answered: the page says so.
    let (_, again) = app
        .gql_as(
            SLUG,
            &patient.access,
            "query($id: ID!) { smartAuthorizationRequest(id: $id) { appName } }",
            json!({ "id": request }),
        )
        .await;
    assert_eq!(
        again["errors"][0]["extensions"]["reason"], "SMART_REQUEST_EXPIRED",
        "{again}"
    );
    let (_, listed) = app
        .gql_as(SLUG, &patient.access, "{ connectedApps { id } }", json!({}))
        .await;
    assert_eq!(listed["data"]["connectedApps"], json!([]));

    // A confidential app proves itself with its secret.
    let confidential = register(&app, &admin, "Clinic Portal Sync", true).await;
    let secret = confidential["clientSecret"].as_str().unwrap().to_owned();
    let confidential_id = confidential["app"]["clientId"].as_str().unwrap().to_owned();
    let (verifier, challenge) = pkce();
    let (_, location) = authorize(&app, &confidential_id, "patient/*.rs", &challenge, &[]).await;
    let code =
        query_of(&consent(&app, &patient, &location, &chart, &["patient/*.rs"]).await)["code"]
            .clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, body) = token(&app, &form, Some((&confidential_id, "wrong"))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = token(&app, &form, Some((&confidential_id, &secret))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = token(&app, &[("grant_type", "password")], None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = token(
        &app,
        &[("grant_type", "password"), ("client_id", &client_id)],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    // Turned off by the practice: its tokens stop.
    let access = body_access(&app, &patient, &client_id, &chart).await;
    let (_, off) = app
        .gql_as(
            SLUG,
            &admin.access,
            "mutation($id: ID!) { disableSmartApp(id: $id) { app { disabledAt } } }",
            json!({ "id": public["app"]["id"] }),
        )
        .await;
    assert!(
        off["data"]["disableSmartApp"]["app"]["disabledAt"].is_string(),
        "{off}"
    );
    let (status, _) = fhir(&app, &access, "Patient").await;
    assert_eq!(status, 401);
    let (status, _) = authorize(&app, &client_id, "patient/*.rs", &challenge, &[]).await;
    assert_eq!(status, 401);
    // Apps are for practice admins to manage.
    let (_, listed) = app
        .gql_as(SLUG, &patient.access, "{ smartApps { id } }", json!({}))
        .await;
    assert_eq!(
        listed["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{listed}"
    );
    let (_, bad) = app
        .gql_as(SLUG, &admin.access,
            "mutation($i: RegisterSmartAppInput!) { registerSmartApp(input: $i) { app { id } userErrors { field code } } }",
            json!({ "i": { "name": "Sneaky", "redirectUris": ["http://evil.example/cb"], "confidential": false } }))
        .await;
    assert_eq!(
        bad["data"]["registerSmartApp"]["userErrors"][0]["code"], "INVALID_REDIRECT_URI",
        "{bad}"
    );
}

/// A token of `client_id` for the patient's chart, read-everything.
async fn body_access(app: &TestApp, patient: &Signed, client_id: &str, chart: &str) -> String {
    let tokens = launch(
        app,
        patient,
        client_id,
        chart,
        "patient/*.rs",
        &["patient/*.rs"],
    )
    .await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn requests_expired_a_day_ago_are_purged_and_grants_stay() {
    use portico_core::{TenantTx, smart::requests, tenancy::Access};
    let app = spawn_app().await;
    let admin = app.practice_admin(SLUG).await;
    let (patient, chart) = app.add_user(SLUG, Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let registered = register(&app, &admin, "Health Diary", false).await;
    let client_id = registered["app"]["clientId"].as_str().unwrap().to_owned();
    // One request answered (its grant listed), one left waiting.
    launch(
        &app,
        &patient,
        &client_id,
        &chart,
        "patient/*.rs",
        &["patient/*.rs"],
    )
    .await;
    let (_, challenge) = pkce();
    let (_, waiting) = authorize(&app, &client_id, "patient/*.rs", &challenge, &[]).await;
    let waiting = crate::support::uuid_of(waiting.rsplit('/').next().unwrap());
    let tenant = portico_core::tenants::find_by_slug(&app.db(), SLUG)
        .await
        .unwrap()
        .unwrap();
    let purge = async || {
        let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
            .await
            .unwrap();
        let removed =
            requests::purge_expired_before(&tx, chrono::Utc::now() - chrono::Duration::days(1))
                .await
                .unwrap();
        tx.commit().await.unwrap();
        removed
    };
    assert_eq!(purge().await, 0, "nothing expired a day ago yet");
    app.backdate(
        "smart_requests",
        "expires_at",
        waiting,
        chrono::Utc::now() - chrono::Duration::days(2),
    )
    .await;
    assert_eq!(purge().await, 1);
    let (_, gone) = app
        .gql_as(
            SLUG,
            &patient.access,
            "query($id: ID!) { smartAuthorizationRequest(id: $id) { appName } }",
            json!({ "id": gid("SmartAuthorizationRequest", waiting) }),
        )
        .await;
    assert_eq!(
        gone["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{gone}"
    );
    let (_, listed) = app
        .gql_as(
            SLUG,
            &patient.access,
            "{ connectedApps { appName } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["connectedApps"],
        json!([{ "appName": "Health Diary" }])
    );
}

#[tokio::test]
async fn a_caregivers_app_is_the_patients_to_remove_and_a_password_reset_revokes_apps() {
    use crate::support::{records::GRANT_PROXY, token_in};
    let app = spawn_app().await;
    let admin = app.practice_admin(SLUG).await;
    let (owner, owner_chart) = app.add_user(SLUG, Role::Patient).await;
    let owner_chart = gid("Patient", owner_chart.unwrap());
    let (carer, _) = app.add_user(SLUG, Role::Patient).await;
    let (_, granted) = app
        .gql_as(
            SLUG,
            &owner.access,
            GRANT_PROXY,
            json!({ "chart": owner_chart, "email": carer.email, "scopes": ["READ"] }),
        )
        .await;
    assert_eq!(
        granted["data"]["grantProxyAccess"]["userErrors"],
        json!([]),
        "{granted}"
    );
    let registered = register(&app, &admin, "Health Diary", false).await;
    let client_id = registered["app"]["clientId"].as_str().unwrap().to_owned();

    // The caregiver connects an app to the owner's chart: the owner sees it and removes it.
    let tokens = launch(
        &app,
        &carer,
        &client_id,
        &owner_chart,
        "patient/*.rs",
        &["patient/*.rs"],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, listed) = app
        .gql_as(
            SLUG,
            &owner.access,
            "{ connectedApps { id patientId } }",
            json!({}),
        )
        .await;
    let connected = listed["data"]["connectedApps"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(connected.len(), 1, "{listed}");
    assert_eq!(connected[0]["patientId"], owner_chart);
    let (_, removed) = app
        .gql_as(
            SLUG,
            &owner.access,
            "mutation($id: ID!) { removeConnectedApp(id: $id) { connectedApp { id } } }",
            json!({ "id": connected[0]["id"] }),
        )
        .await;
    assert!(removed["errors"].is_null(), "{removed}");
    let (status, _) = fhir(&app, &access, "Patient").await;
    assert_eq!(status, 401);

    // The owner's own app, and then a password reset: every app the account connected goes.
    let tokens = launch(
        &app,
        &owner,
        &client_id,
        &owner_chart,
        "patient/*.rs offline_access",
        &["patient/*.rs", "offline_access"],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, _) = fhir(&app, &access, "Patient").await;
    assert_eq!(status, 200);
    app.gql_status(
        Some(SLUG),
        "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { accepted } }",
        json!({ "e": owner.email }),
    )
    .await;
    let reset_token = token_in(&app.wait_for_email_to(&owner.email).await);
    let (_, done) = app
        .gql_status(Some(SLUG), "mutation($t: String!, $p: String!) { resetPassword(input: { token: $t, password: $p }) { reset } }",
            json!({ "t": reset_token, "p": "quiet harbour sextant" }))
        .await;
    assert_eq!(done["data"]["resetPassword"]["reset"], true, "{done}");
    let (status, _) = fhir(&app, &access, "Patient").await;
    assert_eq!(status, 401, "the app's token stops with the reset");
    let (status, body) = refreshed(&app, &client_id, &refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}
