//! SMART Backend Services against a local token endpoint that checks the assertion.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use portico_core::ehr::gateway::{EhrAuth, EhrEndpoint, PageRequest};
use portico_core::ehr::model::ResourceKind;
use portico_fhir::smart::SmartAuth;
use serde::Deserialize;
use serde_json::json;

use crate::support::{connector, gateway, read, serve};

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    jti: String,
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

#[derive(Clone)]
struct Server {
    base: Arc<std::sync::OnceLock<String>>,
    tokens: Arc<AtomicUsize>,
    /// Tokens numbered below this are refused by the FHIR endpoint (revoked early).
    first_good: usize,
    /// The `expires_in` the token endpoint answers with.
    expires_in: Arc<std::sync::Mutex<serde_json::Value>>,
}

async fn token(State(s): State<Server>, headers: HeaderMap, body: String) -> Response {
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], "system/*.read");
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let audience = format!("{}/auth/token", s.base.get().unwrap());
    let key = DecodingKey::from_rsa_der(&pem_der(&read("test-only-rsa-public-pkcs1.pem")));
    let mut validation = Validation::new(Algorithm::RS384);
    validation.set_audience(&[&audience]);
    validation.set_issuer(&["portico-client"]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let data = match jsonwebtoken::decode::<Claims>(&form["client_assertion"], &key, &validation) {
        Ok(d) => d,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_client"})),
            )
                .into_response();
        }
    };
    assert_eq!(data.header.kid.as_deref(), Some("key-2024"));
    assert_eq!(data.claims.sub, data.claims.iss);
    assert_eq!(data.claims.aud, audience);
    let lifetime = data.claims.exp - chrono::Utc::now().timestamp();
    assert!(
        (290..=300).contains(&lifetime),
        "exp is five minutes ahead: {lifetime}"
    );
    assert!(uuid::Uuid::parse_str(&data.claims.jti).is_ok());
    let n = s.tokens.fetch_add(1, Ordering::SeqCst) + 1;
    let expires_in = s.expires_in.lock().unwrap().clone();
    Json(json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": expires_in}))
        .into_response()
}

async fn patients(State(s): State<Server>, headers: HeaderMap) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let good = auth
        .strip_prefix("Bearer tok-")
        .and_then(|n| n.parse::<usize>().ok())
        .is_some_and(|n| n >= s.first_good);
    if !good {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    assert_eq!(
        headers.get(header::ACCEPT).unwrap(),
        "application/fhir+json"
    );
    Json(json!({"resourceType": "Bundle", "type": "searchset", "entry": []})).into_response()
}

async fn start(first_good: usize) -> (String, Server) {
    start_with(first_good, true, None).await
}

/// `well_known`: serve `.well-known/smart-configuration`; else only the CapabilityStatement
/// advertises the token endpoint (`advertised`, or the local one).
async fn start_with(
    first_good: usize,
    well_known: bool,
    advertised: Option<&'static str>,
) -> (String, Server) {
    let state = Server {
        base: Arc::default(),
        tokens: Arc::default(),
        first_good,
        expires_in: Arc::new(std::sync::Mutex::new(json!(3600))),
    };
    let mut router = Router::new();
    if well_known {
        router = router.route(
            "/fhir/.well-known/smart-configuration",
            get(|State(s): State<Server>| async move {
                Json(json!({"token_endpoint": format!("{}/auth/token", s.base.get().unwrap())}))
            }),
        );
    }
    let router = router
        .route(
            "/fhir/metadata",
            get(move |State(s): State<Server>| async move {
                let mut statement = crate::support::capability_statement();
                let endpoint = advertised.map_or_else(
                    || format!("{}/auth/token", s.base.get().unwrap()),
                    str::to_owned,
                );
                statement["rest"][0]["security"]["extension"][0]["extension"][0]["valueUri"] =
                    endpoint.into();
                Json(statement)
            }),
        )
        .route("/auth/token", post(token))
        .route("/fhir/Patient", get(patients))
        .with_state(state.clone());
    let base = serve(router).await;
    state.base.set(base.clone()).unwrap();
    (base, state)
}

fn smart(base: &str, pem: String) -> EhrEndpoint {
    EhrEndpoint {
        base_url: format!("{base}/fhir"),
        auth: EhrAuth::Smart {
            client_id: "portico-client".into(),
            private_key_pem: pem,
            key_id: Some("key-2024".into()),
            token_endpoint: None,
            scope: "system/*.read".into(),
        },
    }
}

fn patients_page() -> PageRequest {
    PageRequest::Updated {
        kind: ResourceKind::Patient,
        since: None,
        patient: None,
    }
}

#[tokio::test]
async fn the_token_is_discovered_exchanged_with_a_signed_assertion_and_cached() {
    let (base, server) = start(1).await;
    let gw = gateway(
        &connector(),
        &smart(&base, read("test-only-rsa-private.pem")),
    );
    gw.changes(&patients_page()).await.unwrap();
    gw.changes(&patients_page()).await.unwrap();
    assert_eq!(
        server.tokens.load(Ordering::SeqCst),
        1,
        "one exchange for two calls"
    );
    gw.check_auth().await.unwrap();
    assert_eq!(
        server.tokens.load(Ordering::SeqCst),
        2,
        "check_auth exchanges afresh"
    );
}

#[tokio::test]
async fn a_hostile_expires_in_neither_panics_nor_keeps_a_token_for_ever() {
    for (expires_in, exchanges) in [
        (json!(u64::MAX), 1),
        (json!(1e308), 1),
        (json!(-3600), 2),
        (json!(i64::MIN), 2),
    ] {
        let (base, server) = start(1).await;
        *server.expires_in.lock().unwrap() = expires_in.clone();
        let gw = gateway(
            &connector(),
            &smart(&base, read("test-only-rsa-private.pem")),
        );
        gw.changes(&patients_page()).await.unwrap();
        gw.changes(&patients_page()).await.unwrap();
        assert_eq!(
            server.tokens.load(Ordering::SeqCst),
            exchanges,
            "expires_in {expires_in}: kept for at most an hour, not at all when negative"
        );
    }
}

#[tokio::test]
async fn a_refused_token_is_dropped_and_the_call_retried_once() {
    let (base, server) = start(2).await;
    let gw = gateway(
        &connector(),
        &smart(&base, read("test-only-rsa-private.pem")),
    );
    gw.changes(&patients_page()).await.unwrap();
    assert_eq!(server.tokens.load(Ordering::SeqCst), 2);

    // A server that refuses every token: one retry, then the failure.
    let (base, server) = start(usize::MAX).await;
    let gw = gateway(
        &connector(),
        &smart(&base, read("test-only-rsa-private.pem")),
    );
    let err = gw.changes(&patients_page()).await.unwrap_err();
    assert_eq!((err.code, err.retryable), ("EHR_AUTH_FAILED", false));
    assert_eq!(server.tokens.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_assertion_the_server_refuses_is_an_auth_failure() {
    let (base, _) = start(1).await;
    // A valid P-384 key the server does not know.
    let gw = gateway(
        &connector(),
        &smart(&base, read("test-only-ec-p384-private.pem")),
    );
    let err = gw.check_auth().await.unwrap_err();
    assert_eq!(err.code, "EHR_AUTH_FAILED");
}

#[test]
fn an_ec_p384_key_signs_es384() {
    let auth = SmartAuth::new(
        "portico-client".into(),
        &read("test-only-ec-p384-private.pem"),
        None,
        Some("https://auth.example.org/token"),
        "system/*.read".into(),
        false,
    )
    .unwrap();
    let jwt = auth.assertion("https://auth.example.org/token").unwrap();
    let public = STANDARD
        .decode(read("test-only-ec-p384-public-sec1.b64").trim())
        .unwrap();
    let mut validation = Validation::new(Algorithm::ES384);
    validation.set_audience(&["https://auth.example.org/token"]);
    let data =
        jsonwebtoken::decode::<Claims>(&jwt, &DecodingKey::from_ec_der(&public), &validation)
            .unwrap();
    assert_eq!(data.header.alg, Algorithm::ES384);
    assert_eq!(data.header.kid, None);
    assert_eq!(data.claims.iss, "portico-client");
}

#[test]
fn bad_keys_and_insecure_token_endpoints_are_refused_at_connect() {
    let new = |pem: &str, endpoint: &str| {
        SmartAuth::new("c".into(), pem, None, Some(endpoint), "s".into(), false)
            .err()
            .map(|e| e.code)
    };
    let rsa = read("test-only-rsa-private.pem");
    assert_eq!(
        new("not a key", "https://auth.example.org/token"),
        Some("EHR_AUTH_FAILED")
    );
    assert_eq!(
        new(&rsa, "http://auth.example.org/token"),
        Some("EHR_INSECURE_URL")
    );
    assert_eq!(new(&rsa, "https://auth.example.org/token"), None);
}

#[tokio::test]
async fn without_smart_configuration_the_capability_statement_gives_the_token_endpoint() {
    let (base, server) = start_with(1, false, None).await;
    let gw = gateway(
        &connector(),
        &smart(&base, read("test-only-rsa-private.pem")),
    );
    gw.check_auth().await.unwrap();
    assert_eq!(server.tokens.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_advertised_token_endpoint_must_pass_the_url_check() {
    let (base, server) = start_with(1, false, Some("http://auth.example.org/token")).await;
    let gw = gateway(
        &connector(),
        &smart(&base, read("test-only-rsa-private.pem")),
    );
    let err = gw.check_auth().await.unwrap_err();
    assert_eq!(err.code, "EHR_INSECURE_URL");
    assert_eq!(server.tokens.load(Ordering::SeqCst), 0);
}
