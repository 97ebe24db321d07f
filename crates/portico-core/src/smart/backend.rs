//! SMART Backend Services: a practice's own systems (a data warehouse, a population-health
//! tool) that export its data in bulk, with no patient present. A practice admin registers
//! the service with its public keys (a JWK set); the service asks for a token with a JWT it
//! signs (`client_credentials` with a `private_key_jwt` assertion, RS384 or ES384), each
//! assertion usable once, and gets `system/` read scopes. Its token is good for `$export`
//! only ([`crate::fhir_api::bulk`]).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{
    Algorithm, DecodingKey, Validation,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::OnConflict,
};
use serde::Deserialize;
use uuid::Uuid;

use super::OAuthError;
use crate::{
    CoreError, CoreResult, TenantTx, UserId,
    audit::{self, Access, Actor},
    entities::{smart_app, smart_assertion},
    fhir_api::SystemScopes,
};

/// `client_assertion_type` of a JWT assertion (RFC 7523).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest an assertion may live (SMART: no more than five minutes).
const MAX_ASSERTION_SECS: i64 = 300;
/// A service's access token lives this long at most.
pub const TOKEN_SECS: i64 = 300;
const MAX_KEYS: usize = 10;

fn refuse_jwks(why: &str) -> CoreError {
    CoreError::invalid("jwks", "INVALID_JWKS", why.to_owned())
}

/// The public keys a service registers: a JWK set of RSA keys (for RS384) or P-384 keys
/// (for ES384), each with a `kid`, no private parts. Kept compact.
fn parse_jwks(raw: &str) -> CoreResult<String> {
    if raw.len() > 20_000 {
        return Err(refuse_jwks("the key set may take 20,000 characters"));
    }
    let value: serde_json::Value = serde_json::from_str(raw.trim())
        .map_err(|_| refuse_jwks("must be a JSON Web Key Set: {\"keys\": [...]}"))?;
    let set: JwkSet = serde_json::from_value(value.clone())
        .map_err(|_| refuse_jwks("must be a JSON Web Key Set: {\"keys\": [...]}"))?;
    if set.keys.is_empty() || set.keys.len() > MAX_KEYS {
        return Err(refuse_jwks(&format!("give 1 to {MAX_KEYS} keys")));
    }
    let private = ["d", "p", "q", "dp", "dq", "qi", "k"];
    let raw_keys = value["keys"].as_array().cloned().unwrap_or_default();
    if raw_keys
        .iter()
        .any(|k| private.iter().any(|p| k.get(p).is_some()))
    {
        return Err(refuse_jwks(
            "a key has private parts: register the public keys only",
        ));
    }
    let mut kids = Vec::new();
    for key in &set.keys {
        let kid = key.common.key_id.as_deref().unwrap_or_default();
        if kid.is_empty() || kids.contains(&kid) {
            return Err(refuse_jwks("each key needs a kid of its own"));
        }
        kids.push(kid);
        let Some(alg) = algorithm_of(key) else {
            return Err(refuse_jwks(
                "each key must be RSA (RS384) or EC on P-384 (ES384)",
            ));
        };
        if let AlgorithmParameters::RSA(rsa) = &key.algorithm {
            let bits = URL_SAFE_NO_PAD
                .decode(&rsa.n)
                .map_or(0, |n| n.iter().skip_while(|b| **b == 0).count() * 8);
            if !(2048..=8192).contains(&bits) {
                return Err(refuse_jwks("an RSA key must have 2048 to 8192 bits"));
            }
        }
        // A key marked for another use or algorithm is not one to check signatures with.
        if key
            .common
            .public_key_use
            .as_ref()
            .is_some_and(|u| *u != PublicKeyUse::Signature)
            || key.common.key_algorithm.is_some_and(|a| {
                a != match alg {
                    Algorithm::RS384 => KeyAlgorithm::RS384,
                    _ => KeyAlgorithm::ES384,
                }
            })
        {
            return Err(refuse_jwks(
                "a key's use must be sig and its alg RS384 (RSA) or ES384 (P-384)",
            ));
        }
    }
    Ok(value.to_string())
}

/// The one algorithm a key verifies: RS384 for RSA, ES384 for P-384.
fn algorithm_of(key: &Jwk) -> Option<Algorithm> {
    match &key.algorithm {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS384),
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P384 => {
            Some(Algorithm::ES384)
        }
        _ => None,
    }
}

/// Registers a backend service with its public keys.
pub async fn register(
    tx: &TenantTx,
    actor: &Actor,
    creator: UserId,
    name: &str,
    jwks: &str,
) -> CoreResult<smart_app::Model> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::invalid(
            "name",
            "INVALID_NAME",
            "must be 1 to 100 characters",
        ));
    }
    let jwks = parse_jwks(jwks)?;
    let app = smart_app::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        client_id: Set(super::secret("svc_")[..28].to_owned()),
        redirect_uris: Set(String::new()),
        secret_hash: Set(None),
        jwks: Set(Some(jwks)),
        disabled_at: Set(None),
        created_by: Set(creator.as_uuid()),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "smart_app.register",
            resource_type: "SmartApp",
            resource_id: Some(app.id),
            patient_id: None,
        },
    )
    .await?;
    Ok(app)
}

/// What the token endpoint grants a service.
#[derive(Clone, Debug)]
pub struct Granted {
    pub app: smart_app::Model,
    pub scopes: SystemScopes,
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    exp: i64,
    #[serde(default)]
    jti: Option<String>,
}

/// `grant_type=client_credentials` with a signed assertion: the service named by the
/// assertion's `iss`, if its signature checks with one of the service's keys, its
/// audience is `token_url`, it lives no longer than five minutes and its `jti` is new.
pub async fn client_credentials(
    tx: &TenantTx,
    assertion_type: &str,
    assertion: &str,
    scope: &str,
    token_url: &str,
) -> Result<Granted, OAuthError> {
    let client = |why: &str| OAuthError::InvalidClient(why.to_owned());
    if assertion_type != ASSERTION_TYPE {
        return Err(OAuthError::InvalidRequest(format!(
            "client_assertion_type must be {ASSERTION_TYPE}"
        )));
    }
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| client("client_assertion is not a JWT"))?;
    if !matches!(header.alg, Algorithm::RS384 | Algorithm::ES384) {
        return Err(client("the assertion must be signed with RS384 or ES384"));
    }
    // Which service: its `iss`, read before the signature is checked, then checked with it.
    let unverified = jsonwebtoken::dangerous::insecure_decode_claims::<AssertionClaims>(assertion)
        .map_err(|_| client("the assertion lacks iss or exp"))?;
    let app = service_by_client(tx, &unverified.iss)
        .await?
        .ok_or_else(|| client("unknown client"))?;
    let set: JwkSet = serde_json::from_str(app.jwks.as_deref().unwrap_or_default())
        .map_err(|_| client("the service's keys cannot be read"))?;
    let key = match header.kid.as_deref() {
        Some(kid) => set.find(kid),
        None => None,
    }
    .ok_or_else(|| client("no registered key has the assertion's kid"))?;
    if algorithm_of(key) != Some(header.alg) {
        return Err(client("the key with that kid does not sign with that alg"));
    }
    let decoding = DecodingKey::from_jwk(key).map_err(|_| client("the key cannot be used"))?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = 30;
    validation.set_audience(&[token_url]);
    validation.set_issuer(&[app.client_id.as_str()]);
    validation.sub = Some(app.client_id.clone());
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &decoding, &validation)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            client(match e.kind() {
                K::ExpiredSignature => "the assertion has expired",
                K::InvalidAudience => "the assertion's aud must be the token endpoint's URL",
                K::InvalidSubject | K::InvalidIssuer => "iss and sub must both be the client_id",
                K::InvalidSignature => "the assertion's signature does not check",
                _ => "the assertion is not valid",
            })
        })?
        .claims;
    let now = Utc::now().timestamp();
    if claims.exp > now + MAX_ASSERTION_SECS + 30 {
        return Err(client("the assertion may live five minutes at most"));
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 200)
        .ok_or_else(|| client("the assertion needs a jti (1 to 200 characters)"))?;
    let expires = DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
    if !remember(tx, app.id, &jti, expires).await? {
        return Err(client("the assertion's jti was used before"));
    }
    let scopes = SystemScopes::parse(scope);
    if scopes.is_empty() {
        return Err(OAuthError::InvalidScope(
            "ask for system/ read scopes, e.g. system/*.rs".into(),
        ));
    }
    Ok(Granted { app, scopes })
}

/// Keeps the assertion's `jti` until it expires: false when it is already kept (of two
/// requests with one `jti` at once, one is first).
async fn remember(
    tx: &TenantTx,
    app: Uuid,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> CoreResult<bool> {
    let row = smart_assertion::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        app_id: Set(app),
        jti: Set(jti.to_owned()),
        expires_at: Set(expires_at),
    };
    let inserted = smart_assertion::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                smart_assertion::Column::TenantId,
                smart_assertion::Column::AppId,
                smart_assertion::Column::Jti,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
    Ok(inserted == 1)
}

/// The enabled backend service with this `client_id`.
pub async fn service_by_client(
    tx: &TenantTx,
    client_id: &str,
) -> CoreResult<Option<smart_app::Model>> {
    Ok(tx
        .find::<smart_app::Entity>()
        .filter(smart_app::Column::ClientId.eq(client_id))
        .filter(smart_app::Column::Jwks.is_not_null())
        .filter(smart_app::Column::DisabledAt.is_null())
        .one(tx.conn())
        .await?)
}

/// Whether the service `id` is still registered and on (checked on every request its token
/// makes).
pub async fn is_on(tx: &TenantTx, id: Uuid) -> CoreResult<bool> {
    Ok(tx
        .find::<smart_app::Entity>()
        .filter(smart_app::Column::Id.eq(id))
        .filter(smart_app::Column::Jwks.is_not_null())
        .filter(smart_app::Column::DisabledAt.is_null())
        .one(tx.conn())
        .await?
        .is_some())
}

/// Forgets assertions that expired before `before`: how many.
pub async fn purge_assertions_before(tx: &TenantTx, before: DateTime<Utc>) -> CoreResult<u64> {
    Ok(tx
        .delete::<smart_assertion::Entity>()
        .filter(smart_assertion::Column::ExpiresAt.lt(before))
        .exec(tx.conn())
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_set_must_hold_public_rsa_or_p384_keys_with_kids() {
        let ec = r#"{"keys":[{"kty":"EC","crv":"P-384","kid":"k1","x":"AAAA","y":"AAAA"}]}"#;
        assert!(parse_jwks(ec).is_ok());
        for bad in [
            "not json",
            r#"{"keys":[]}"#,
            r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"AAAA","y":"AAAA"}]}"#,
            r#"{"keys":[{"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"}]}"#,
            r#"{"keys":[{"kty":"EC","crv":"P-384","kid":"k1","x":"AAAA","y":"AAAA","d":"AAAA"}]}"#,
            r#"{"keys":[{"kty":"oct","kid":"k1","k":"AAAA"}]}"#,
            r#"{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}"#,
            r#"{"keys":[{"kty":"EC","crv":"P-384","kid":"k1","x":"AAAA","y":"AAAA","use":"enc"}]}"#,
            r#"{"keys":[{"kty":"EC","crv":"P-384","kid":"k1","x":"AAAA","y":"AAAA","alg":"ES256"}]}"#,
        ] {
            assert!(parse_jwks(bad).is_err(), "{bad}");
        }
    }
}
