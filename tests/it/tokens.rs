//! Access-token attacks (RFC 8725): each is refused with `UNAUTHENTICATED` and HTTP 401.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use portico_auth::sealing::Sealer;
use portico_core::entities::signing_key;
use portico_tests::{TestApp, error_code, spawn_app};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const ME: &str = "{ me { role } }";

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn unsigned(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// The active key as stored (sealed).
async fn stored_active_key(app: &TestApp) -> signing_key::Model {
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let key = signing_key::Entity::find()
        .filter(signing_key::Column::RetiredAt.is_null())
        .one(&owner)
        .await
        .unwrap()
        .unwrap();
    owner.close().await.unwrap();
    key
}

fn sealer(app: &TestApp) -> Sealer {
    Sealer::from_base64(&app.database.secrets_key).unwrap()
}

/// The active key opened with the deployment's secrets key: what an attacker holding both
/// the database and the secrets key would have.
async fn active_key(app: &TestApp) -> signing_key::Model {
    let stored = stored_active_key(app).await;
    portico_auth::keys::open(&stored, &sealer(app)).unwrap()
}

fn sign(key: &signing_key::Model, kid: &str, typ: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    header.typ = Some(typ.to_owned());
    let der = portico_auth::keys::pkcs8_der(key).unwrap();
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&der)).unwrap()
}

async fn assert_refused(app: &TestApp, tenant: &str, token: &str, what: &str) {
    let (status, body) = app.gql_as(tenant, token, ME, json!({})).await;
    assert_eq!(status, 401, "{what}: {body}");
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{what}");
    assert!(body["data"].is_null(), "{what}");
}

#[tokio::test]
async fn every_forged_or_misused_access_token_is_refused() {
    let app = spawn_app().await;
    let admin = app.practice_admin("acme").await;
    let (status, ok) = app.gql_as("acme", &admin.access, ME, json!({})).await;
    assert_eq!(status, 200, "the genuine token works: {ok}");
    let claims = claims_of(&admin.access);
    let key = active_key(&app).await;
    let now = chrono::Utc::now().timestamp();

    // alg "none".
    let none = unsigned(
        &json!({ "alg": "none", "typ": "at+jwt", "kid": key.kid }),
        &claims,
    );
    assert_refused(&app, "acme", &none, "alg none").await;

    // HS256 keyed with the public key (algorithm confusion).
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(key.kid.clone());
    hs.typ = Some("at+jwt".to_owned());
    for secret in [
        key.public_key.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.decode(&key.public_key).unwrap(),
    ] {
        let confused =
            jsonwebtoken::encode(&hs, &claims, &EncodingKey::from_secret(&secret)).unwrap();
        assert_refused(&app, "acme", &confused, "HS256 with the public key").await;
    }

    // A key the server does not know.
    let stranger = portico_auth::keys::generate();
    let unknown_kid = sign(&stranger, &stranger.kid, "at+jwt", &claims);
    assert_refused(&app, "acme", &unknown_kid, "unknown kid").await;
    // ... nor a stranger's key under our kid.
    let wrong_key = sign(&stranger, &key.kid, "at+jwt", &claims);
    assert_refused(&app, "acme", &wrong_key, "right kid, wrong key").await;

    // Expired, and not yet valid, both beyond the allowed skew.
    let mut expired = claims.clone();
    expired["iat"] = json!(now - 7200);
    expired["nbf"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    assert_refused(
        &app,
        "acme",
        &sign(&key, &key.kid, "at+jwt", &expired),
        "expired",
    )
    .await;
    let mut early = claims.clone();
    early["nbf"] = json!(now + 3600);
    early["exp"] = json!(now + 4000);
    assert_refused(
        &app,
        "acme",
        &sign(&key, &key.kid, "at+jwt", &early),
        "not yet valid",
    )
    .await;

    // Wrong type: an ID-token-like JWT.
    assert_refused(
        &app,
        "acme",
        &sign(&key, &key.kid, "JWT", &claims),
        "typ JWT",
    )
    .await;

    // Another issuer.
    let mut issuer = claims.clone();
    issuer["iss"] = json!("someone-else");
    assert_refused(
        &app,
        "acme",
        &sign(&key, &key.kid, "at+jwt", &issuer),
        "iss",
    )
    .await;

    // Tampered payload: promote to operator, keep the signature.
    let mut promoted = claims.clone();
    promoted["role"] = json!("operator");
    let parts: Vec<&str> = admin.access.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(promoted.to_string()),
        parts[2]
    );
    assert_refused(&app, "acme", &tampered, "tampered payload").await;

    // Garbage.
    assert_refused(&app, "acme", "not.a.jwt", "garbage").await;
}

#[tokio::test]
async fn a_token_of_tenant_a_is_refused_at_tenant_b() {
    let app = spawn_app().await;
    let a = app.practice_admin("alpha").await;
    app.practice_admin("bravo").await;
    // Accepted at A first, so B's refusal is not skipped by the memory of verified tokens.
    let (status, body) = app.gql_as("alpha", &a.access, ME, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["role"], "practice_admin");
    assert_refused(&app, "bravo", &a.access, "A's token at B").await;
    let (status, body) = app
        .client
        .post(app.url("/graphql"))
        .header("Host", "bravo.localhost")
        .bearer_auth(&a.access)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 401);
    let body: Value = body.json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    // With no practice addressed, a token has no audience to match.
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&a.access)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn tokens_signed_before_a_key_rotation_still_verify() {
    let app = spawn_app().await;
    let admin = app.practice_admin("rotor").await;
    let kid = portico_auth::tokens::JwtService::rotate(&app.db(), &sealer(&app))
        .await
        .unwrap();
    assert_ne!(kid, active_key(&app).await.kid.clone() + "x");
    let (status, body) = app.gql_as("rotor", &admin.access, ME, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["role"], "practice_admin");
}

#[tokio::test]
async fn signing_keys_are_stored_sealed_and_older_clear_keys_are_sealed_at_start_up() {
    let app = spawn_app().await;
    let admin = app.practice_admin("vaulted").await;
    let stored = stored_active_key(&app).await;
    // Neither a PEM nor the bare seed: reading the table is not enough to sign.
    assert!(!stored.private_key.contains("PRIVATE KEY"));
    let raw = base64::engine::general_purpose::STANDARD.decode(&stored.private_key);
    assert!(raw.is_err(), "the stored key decodes as raw bytes");
    assert!(portico_auth::keys::pkcs8_der(&stored).is_err());
    // The wrong secrets key does not open it.
    let stranger = Sealer::from_base64(&Sealer::generate_key()).unwrap();
    assert!(portico_auth::keys::open(&stored, &stranger).is_err());

    // A key written in clear (as before sealing) becomes the signing key; the next instance
    // to start seals it, and signs with it.
    let clear = portico_auth::keys::generate();
    portico_core::signing_keys::add(&app.db(), clear.clone())
        .await
        .unwrap();
    let second = app.second_instance().await;
    let resealed = stored_active_key(&app).await;
    assert_eq!(resealed.kid, clear.kid);
    assert_ne!(resealed.private_key, clear.private_key);
    assert!(portico_auth::sealing::is_sealed(&resealed.private_key));
    // A session started on the second instance is signed with the resealed key, and tokens
    // signed before by the first key still verify there.
    let (patient, _) = second
        .add_user("vaulted", portico_core::identity::Role::Patient)
        .await;
    let header = jsonwebtoken::decode_header(&patient.access).unwrap();
    assert_eq!(header.kid.as_deref(), Some(clear.kid.as_str()));
    for token in [&admin.access, &patient.access] {
        let (status, body) = second.gql_as("vaulted", token, ME, json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn a_genuinely_signed_token_with_a_longer_life_than_issued_is_refused() {
    let app = spawn_app().await;
    let admin = app.practice_admin("longlife").await;
    let key = active_key(&app).await;
    let claims = claims_of(&admin.access);
    let now = chrono::Utc::now().timestamp();

    // The real key and the real claims, re-signed: accepted (the key is the server's own).
    let resigned = sign(&key, &key.kid, "at+jwt", &claims);
    let (status, body) = app.gql_as("longlife", &resigned, ME, json!({})).await;
    assert_eq!(status, 200, "{body}");

    // A day-long token: valid signature, issuer, audience and times, but no token Portico
    // issues lives longer than the configured 15 minutes.
    let mut long = claims.clone();
    long["iat"] = json!(now - 60);
    long["nbf"] = json!(now - 60);
    long["exp"] = json!(now + 24 * 3600);
    assert_refused(
        &app,
        "longlife",
        &sign(&key, &key.kid, "at+jwt", &long),
        "a day long",
    )
    .await;

    // Nor one that claims to be issued in the future (to stretch its life the other way).
    let mut ahead = claims.clone();
    ahead["iat"] = json!(now + 3600);
    ahead["nbf"] = json!(now - 60);
    ahead["exp"] = json!(now + 3600 + 600);
    assert_refused(
        &app,
        "longlife",
        &sign(&key, &key.kid, "at+jwt", &ahead),
        "iat ahead",
    )
    .await;
}
