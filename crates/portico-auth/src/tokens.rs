//! Access tokens: JWTs signed with EdDSA, verified the way RFC 8725 asks: the algorithm is
//! pinned (so `none` and HMAC keyed with the public key are refused), the type is `at+jwt`,
//! and issuer, audience (the tenant), expiry and not-before are checked with a small skew.
//! A token must also not claim a lifetime longer than Portico ever issues, nor an issue time
//! in the future. Private keys are stored sealed with the secrets key (see `keys::seal`);
//! keys stored before sealing existed are sealed when the keys are first loaded.
//!
//! A client sends the same access token with every request until it expires, and checking
//! an Ed25519 signature was about 6% of a dashboard request's CPU; so a token that passed
//! is remembered by its text ([`Verified`]) and, while its key is still in the ring and its
//! times still hold, is accepted again without the signature check. Anything else (another
//! audience, a key dropped from the ring, expiry) goes through the full check again, which
//! gives the same answer and the same error as before.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
    errors::ErrorKind,
};
use portico_core::{
    Db, TenantId, UserId,
    identity::{MfaState, Role, SessionClaims, SmartClaims, TokenError},
    ports::{DownloadGrant, IssuedToken, PortError, SecretSealer, TokenService},
    signing_keys,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::keys;

pub const TOKEN_TYPE: &str = "at+jwt";
/// Download links carry a token of their own type, so neither kind passes for the other.
pub const DOWNLOAD_TOKEN_TYPE: &str = "dl+jwt";
const LEEWAY_SECS: u64 = 30;
/// An unknown `kid` triggers a reload of the keys at most this often.
const RELOAD_EVERY: Duration = Duration::from_secs(5);
/// The longest a download link may live (the most `PORTICO_ATTACHMENT_LINK_SECS` allows).
const MAX_DOWNLOAD_LIFETIME_SECS: i64 = 3600;
/// Access tokens remembered as verified (a few hundred bytes each).
const VERIFIED_TOKENS: u64 = 50_000;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    sid: Uuid,
    role: Role,
    mfa: MfaState,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: Uuid,
    /// A SMART app's token: the app, the chart and the scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    smart: Option<SmartClaims>,
}

#[derive(Debug, Serialize, Deserialize)]
struct DownloadClaims {
    iss: String,
    aud: String,
    sub: String,
    att: Uuid,
    role: Role,
    sid: Option<Uuid>,
    iat: i64,
    nbf: i64,
    exp: i64,
}

struct Ring {
    signing_kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    jwks: serde_json::Value,
}

pub struct JwtService {
    db: Db,
    sealer: Arc<dyn SecretSealer>,
    issuer: String,
    ttl: Duration,
    ring: RwLock<Ring>,
    last_reload: RwLock<Instant>,
    verified: moka::sync::Cache<String, Verified>,
}

/// An access token that passed every check, and what it said.
#[derive(Clone)]
struct Verified {
    kid: String,
    nbf: i64,
    claims: SessionClaims,
}

impl Verified {
    /// Whether the checks that can change since it passed (the time, the key ring) and the
    /// audience asked for this time still let it through.
    fn still_holds(&self, tenant: TenantId, service: &JwtService) -> bool {
        let now = chrono::Utc::now().timestamp();
        let leeway = i64::try_from(LEEWAY_SECS).unwrap_or(0);
        self.claims.tenant_id == tenant
            && self.nbf <= now.saturating_add(leeway)
            && self.claims.expires_at >= now.saturating_sub(leeway)
            && service
                .ring
                .read()
                .is_ok_and(|r| r.verifying.contains_key(&self.kid))
    }
}

fn port_err(e: impl Into<portico_core::error::BoxError>) -> PortError {
    PortError::new("jwt", e)
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> PortError {
    port_err("lock poisoned")
}

impl JwtService {
    /// Loads the keys, creating the first one if there is none and sealing any stored
    /// before sealing existed.
    pub async fn load(
        db: Db,
        issuer: String,
        ttl: Duration,
        sealer: Arc<dyn SecretSealer>,
    ) -> Result<Self, PortError> {
        let ring = load_ring(&db, sealer.as_ref()).await?;
        Ok(Self {
            db,
            sealer,
            issuer,
            ttl,
            ring: RwLock::new(ring),
            last_reload: RwLock::new(Instant::now()),
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_TOKENS)
                .time_to_live(ttl + Duration::from_secs(LEEWAY_SECS))
                .build(),
        })
    }

    /// Adds a new signing key; the previous ones keep verifying. Returns the new `kid`.
    pub async fn rotate(db: &Db, sealer: &dyn SecretSealer) -> Result<String, PortError> {
        let key = keys::seal(keys::generate(), sealer).map_err(port_err)?;
        let kid = key.kid.clone();
        signing_keys::add(db, key).await.map_err(port_err)?;
        Ok(kid)
    }

    /// Reloads the keys from the database (a rotation made by another instance or the CLI).
    pub async fn reload(&self) -> Result<(), PortError> {
        let ring = load_ring(&self.db, self.sealer.as_ref()).await?;
        *self.ring.write().map_err(poisoned)? = ring;
        *self.last_reload.write().map_err(poisoned)? = Instant::now();
        Ok(())
    }

    async fn reload_if_due(&self) -> Result<bool, PortError> {
        {
            let last = self.last_reload.read().map_err(poisoned)?;
            if last.elapsed() < RELOAD_EVERY {
                return Ok(false);
            }
        }
        *self.last_reload.write().map_err(poisoned)? = Instant::now();
        let ring = load_ring(&self.db, self.sealer.as_ref()).await?;
        *self.ring.write().map_err(poisoned)? = ring;
        Ok(true)
    }

    fn decoding_key(&self, kid: &str) -> Option<DecodingKey> {
        match self.ring.read() {
            Ok(ring) => ring.verifying.get(kid).cloned(),
            Err(_) => {
                tracing::error!("the signing key ring's lock is poisoned; token refused");
                None
            }
        }
    }
}

/// Seals the keys stored in clear (before sealing existed); idempotent, and safe when
/// several instances start at once. True when any was sealed.
async fn seal_stored_keys(
    db: &Db,
    sealer: &dyn SecretSealer,
    all: &[portico_core::entities::signing_key::Model],
) -> Result<bool, PortError> {
    let mut sealed_any = false;
    for key in all
        .iter()
        .filter(|k| !crate::sealing::is_sealed(&k.private_key))
    {
        let sealed = keys::seal(key.clone(), sealer).map_err(port_err)?;
        signing_keys::replace_private_key(db, &key.kid, &key.private_key, &sealed.private_key)
            .await
            .map_err(port_err)?;
        tracing::info!(kid = %key.kid, "signing key sealed at rest");
        sealed_any = true;
    }
    Ok(sealed_any)
}

async fn load_ring(db: &Db, sealer: &dyn SecretSealer) -> Result<Ring, PortError> {
    let mut all = signing_keys::list(db).await.map_err(port_err)?;
    if seal_stored_keys(db, sealer, &all).await? {
        all = signing_keys::list(db).await.map_err(port_err)?;
    }
    if all.iter().all(|k| k.retired_at.is_some()) {
        JwtService::rotate(db, sealer).await?;
        all = signing_keys::list(db).await.map_err(port_err)?;
    }
    let active = all
        .iter()
        .find(|k| k.retired_at.is_none())
        .ok_or_else(|| port_err("no signing key"))?;
    // A key that does not open means another secrets key: say so rather than sign nothing.
    let opened = keys::open(active, sealer).map_err(|e| {
        port_err(format!(
            "{e}: it does not open with this secrets key (PORTICO_SECRETS_KEY)"
        ))
    })?;
    let signing = EncodingKey::from_ed_der(&keys::pkcs8_der(&opened).map_err(port_err)?);
    let mut verifying = HashMap::new();
    for key in &all {
        let decoding = DecodingKey::from_ed_components(&key.public_key).map_err(port_err)?;
        verifying.insert(key.kid.clone(), decoding);
    }
    Ok(Ring {
        signing_kid: active.kid.clone(),
        signing,
        verifying,
        jwks: serde_json::json!({ "keys": all.iter().map(keys::jwk).collect::<Vec<_>>() }),
    })
}

#[async_trait]
impl TokenService for JwtService {
    fn issue(&self, c: &SessionClaims) -> Result<IssuedToken, PortError> {
        let ring = self.ring.read().map_err(poisoned)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TOKEN_TYPE.to_owned());
        header.kid = Some(ring.signing_kid.clone());
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: c.tenant_id.to_string(),
            sub: c.user_id.to_string(),
            sid: c.session_id,
            role: c.role,
            mfa: c.mfa,
            iat: c.issued_at,
            nbf: c.issued_at,
            exp: c.expires_at,
            jti: Uuid::now_v7(),
            smart: c.smart.clone(),
        };
        let token = encode(&header, &claims, &ring.signing).map_err(port_err)?;
        Ok(IssuedToken {
            token,
            expires_at: c.expires_at,
        })
    }

    async fn verify(&self, token: &str, tenant: TenantId) -> Result<SessionClaims, TokenError> {
        if let Some(known) = self.verified.get(token)
            && known.still_holds(tenant, self)
        {
            return Ok(known.claims);
        }
        let (data, kid) = self.decode::<Claims>(token, TOKEN_TYPE, tenant).await?;
        let c = data.claims;
        let max = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        check_lifetime(c.iat, c.exp, max)?;
        let user_id = c.sub.parse::<UserId>().map_err(|_| TokenError::Malformed)?;
        let claims = SessionClaims {
            tenant_id: tenant,
            user_id,
            session_id: c.sid,
            role: c.role,
            mfa: c.mfa,
            issued_at: c.iat,
            expires_at: c.exp,
            api_key_id: None,
            key_scopes: None,
            smart: c.smart,
        };
        self.verified.insert(
            token.to_owned(),
            Verified {
                kid,
                nbf: c.nbf,
                claims: claims.clone(),
            },
        );
        Ok(claims)
    }

    fn jwks(&self) -> serde_json::Value {
        self.ring
            .read()
            .map(|r| r.jwks.clone())
            .unwrap_or_else(|_| {
                tracing::error!("the signing key ring's lock is poisoned; no keys published");
                serde_json::json!({ "keys": [] })
            })
    }

    fn access_ttl(&self) -> Duration {
        self.ttl
    }

    fn sign_download(&self, grant: &DownloadGrant) -> Result<String, PortError> {
        let ring = self.ring.read().map_err(poisoned)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(DOWNLOAD_TOKEN_TYPE.to_owned());
        header.kid = Some(ring.signing_kid.clone());
        let now = chrono::Utc::now().timestamp();
        let claims = DownloadClaims {
            iss: self.issuer.clone(),
            aud: grant.tenant_id.to_string(),
            sub: grant.user_id.to_string(),
            att: grant.attachment_id,
            role: grant.role,
            sid: grant.session_id,
            iat: now,
            nbf: now,
            exp: grant.expires_at,
        };
        encode(&header, &claims, &ring.signing).map_err(port_err)
    }

    async fn verify_download(
        &self,
        token: &str,
        tenant: TenantId,
    ) -> Result<DownloadGrant, TokenError> {
        let c = self
            .decode::<DownloadClaims>(token, DOWNLOAD_TOKEN_TYPE, tenant)
            .await?
            .0
            .claims;
        check_lifetime(c.iat, c.exp, MAX_DOWNLOAD_LIFETIME_SECS)?;
        Ok(DownloadGrant {
            tenant_id: tenant,
            attachment_id: c.att,
            user_id: c.sub.parse::<UserId>().map_err(|_| TokenError::Malformed)?,
            role: c.role,
            session_id: c.sid,
            expires_at: c.exp,
        })
    }
}

/// A token signed with a genuine key but claiming more than Portico issues (a longer life,
/// or an issue time ahead of now) is refused: it can only come from a leaked key or a bug.
fn check_lifetime(iat: i64, exp: i64, max_secs: i64) -> Result<(), TokenError> {
    let now = chrono::Utc::now().timestamp();
    let leeway = i64::try_from(LEEWAY_SECS).unwrap_or(0);
    if iat > now.saturating_add(leeway) || exp.saturating_sub(iat) > max_secs {
        return Err(TokenError::LifetimeTooLong);
    }
    Ok(())
}

impl JwtService {
    /// Verifies signature, pinned algorithm, `typ`, issuer, audience (`tenant`) and lifetime;
    /// with the claims, the `kid` of the key that verified them.
    async fn decode<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        typ: &str,
        tenant: TenantId,
    ) -> Result<(jsonwebtoken::TokenData<T>, String), TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::BadSignature);
        }
        if header.typ.as_deref() != Some(typ) {
            return Err(TokenError::WrongType);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = match self.decoding_key(&kid) {
            Some(k) => k,
            // Maybe another instance rotated the keys since we loaded them.
            None => match self.reload_if_due().await {
                Ok(true) => self.decoding_key(&kid).ok_or(TokenError::UnknownKey)?,
                _ => return Err(TokenError::UnknownKey),
            },
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_audience(&[tenant.to_string()]);
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data = decode::<T>(token, &key, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidAudience => TokenError::WrongAudience,
            ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
            ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => TokenError::BadSignature,
            _ => TokenError::Malformed,
        })?;
        Ok((data, kid))
    }
}
