//! SMART Backend Services: Portico signs a short JWT assertion with the practice's private
//! key and trades it at the token endpoint for a short-lived access token, kept until just
//! before it expires. Static bearer tokens (sandboxes) are the other way in.

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::STANDARD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use portico_core::ehr::gateway::EhrError;
use reqwest::{Method, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use crate::http::{AUTH_FAILED, BAD_RESPONSE, FhirHttp};
use crate::safety::check_url;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The SMART spec caps the assertion's lifetime at five minutes.
const ASSERTION_LIFETIME_SECS: i64 = 300;
/// Tokens are renewed this long before they expire, so none dies in flight.
const RENEW_MARGIN: Duration = Duration::from_secs(30);
/// A token is kept at most this long, whatever `expires_in` says: an hour is what SMART
/// servers issue, and a hostile or broken value must neither overflow the clock nor keep a
/// token for ever.
const MAX_TOKEN_SECS: u64 = 3600;
/// Servers that omit `expires_in` get the assertion's lifetime: a safe guess.
const DEFAULT_TOKEN_SECS: u64 = 300;
const OAUTH_URIS: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

/// How requests are authorised.
pub enum Auth {
    Bearer(String),
    Smart(Box<SmartAuth>),
}

impl Auth {
    /// A token to send, exchanging one if needed.
    pub async fn token(&self, http: &FhirHttp, base: &Url) -> Result<String, EhrError> {
        match self {
            Self::Bearer(token) => Ok(token.clone()),
            Self::Smart(smart) => smart.token(http, base).await,
        }
    }

    /// A token only if one is at hand (for calls that work without one).
    pub async fn token_if_cached(&self) -> Option<String> {
        match self {
            Self::Bearer(token) => Some(token.clone()),
            Self::Smart(smart) => smart.cached().await,
        }
    }

    /// Drops a token the server refused; `true` when a retry may get a different one.
    pub async fn forget(&self) -> bool {
        match self {
            Self::Bearer(_) => false,
            Self::Smart(smart) => {
                smart.state.lock().await.token = None;
                true
            }
        }
    }
}

/// A parsed private key and the algorithm it signs with.
pub struct SigningKey {
    algorithm: Algorithm,
    key: EncodingKey,
}

pub struct SmartAuth {
    client_id: String,
    signing: SigningKey,
    key_id: Option<String>,
    scope: String,
    allow_loopback_http: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    endpoint: Option<Url>,
    token: Option<(String, Instant)>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    jti: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    /// Read loosely (a number of any sign or size, or a string) and clamped by
    /// `token_lifetime`.
    #[serde(default)]
    expires_in: Option<Value>,
}

/// How long to keep a token: `expires_in` clamped to 0..=3600 seconds.
fn token_lifetime(expires_in: Option<&Value>) -> Duration {
    let clamp_i = |n: i64| u64::try_from(n).unwrap_or(0).min(MAX_TOKEN_SECS);
    let secs = match expires_in {
        Some(Value::Number(n)) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.min(MAX_TOKEN_SECS),
            (None, Some(i)) => clamp_i(i),
            // A fraction or a float out of range: `as` saturates (NaN and below zero are 0).
            (None, None) => (n.as_f64().unwrap_or(0.0) as u64).min(MAX_TOKEN_SECS),
        },
        Some(Value::String(s)) => s.trim().parse::<i64>().map_or(DEFAULT_TOKEN_SECS, clamp_i),
        _ => DEFAULT_TOKEN_SECS,
    };
    Duration::from_secs(secs)
}

impl SmartAuth {
    pub fn new(
        client_id: String,
        private_key_pem: &str,
        key_id: Option<String>,
        token_endpoint: Option<&str>,
        scope: String,
        allow_loopback_http: bool,
    ) -> Result<Self, EhrError> {
        let endpoint = token_endpoint
            .map(|e| check_url(e, allow_loopback_http))
            .transpose()?;
        Ok(Self {
            client_id,
            signing: parse_key(private_key_pem)?,
            key_id,
            scope,
            allow_loopback_http,
            state: Mutex::new(State {
                endpoint,
                token: None,
            }),
        })
    }

    async fn cached(&self) -> Option<String> {
        let state = self.state.lock().await;
        state
            .token
            .as_ref()
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(t, _)| t.clone())
    }

    /// The cached token, or a new one. The lock is held across the exchange so concurrent
    /// calls share one exchange instead of racing.
    async fn token(&self, http: &FhirHttp, base: &Url) -> Result<String, EhrError> {
        let mut state = self.state.lock().await;
        if let Some((token, until)) = &state.token
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let endpoint = match &state.endpoint {
            Some(e) => e.clone(),
            None => {
                let found = discover(http, base, self.allow_loopback_http).await?;
                state.endpoint = Some(found.clone());
                found
            }
        };
        let (token, lifetime) = self.exchange(http, &endpoint).await?;
        let now = Instant::now();
        // `lifetime` is at most an hour, so this cannot overflow; if it did, the token
        // would simply not be kept.
        match now.checked_add(lifetime.saturating_sub(RENEW_MARGIN)) {
            Some(until) => state.token = Some((token.clone(), until)),
            None => state.token = None,
        }
        Ok(token)
    }

    /// One token exchange; returns the token and how long it lives.
    async fn exchange(
        &self,
        http: &FhirHttp,
        endpoint: &Url,
    ) -> Result<(String, Duration), EhrError> {
        let assertion = self.assertion(endpoint.as_str())?;
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", self.scope.as_str()),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
        ];
        let answer = http
            .send(Method::POST, endpoint, "token endpoint", |r| {
                r.header(header::ACCEPT, "application/json").form(&form)
            })
            .await?
            .success()
            .map_err(|mut e| {
                // A refused assertion is a credentials problem whatever the status says.
                if e.code == crate::http::REFUSED {
                    e.code = AUTH_FAILED;
                }
                e
            })?;
        let token: TokenAnswer = answer.json()?;
        if token.access_token.is_empty() || token.access_token.len() > 16 * 1024 {
            return Err(EhrError::new(
                BAD_RESPONSE,
                "token endpoint: unusable access token",
                false,
            ));
        }
        Ok((
            token.access_token,
            token_lifetime(token.expires_in.as_ref()),
        ))
    }

    /// The signed client assertion for `audience` (the token endpoint).
    pub fn assertion(&self, audience: &str) -> Result<String, EhrError> {
        let mut header = Header::new(self.signing.algorithm);
        header.typ = Some("JWT".to_owned());
        header.kid.clone_from(&self.key_id);
        let claims = Claims {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: audience,
            exp: chrono::Utc::now().timestamp() + ASSERTION_LIFETIME_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        jsonwebtoken::encode(&header, &claims, &self.signing.key)
            .map_err(|_| EhrError::new(AUTH_FAILED, "client assertion could not be signed", false))
    }
}

/// The token endpoint from `.well-known/smart-configuration`, else from the
/// CapabilityStatement's SMART extension. Either must pass the same URL check as the base.
async fn discover(http: &FhirHttp, base: &Url, allow_loopback_http: bool) -> Result<Url, EhrError> {
    let well_known = join(base, ".well-known/smart-configuration")?;
    let from_config = match http
        .send(Method::GET, &well_known, "smart-configuration", |r| {
            r.header(header::ACCEPT, "application/json")
        })
        .await
    {
        Ok(answer) if answer.status.is_success() => answer.json::<Value>().ok().and_then(|v| {
            v.get("token_endpoint")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }),
        _ => None,
    };
    let found = match from_config {
        Some(e) => e,
        None => {
            let metadata = http
                .send(Method::GET, &join(base, "metadata")?, "metadata", |r| r)
                .await?
                .success()?
                .json::<Value>()?;
            token_endpoint_in(&metadata).ok_or_else(|| {
                EhrError::new(
                    AUTH_FAILED,
                    "no token endpoint configured or advertised",
                    false,
                )
            })?
        }
    };
    check_url(&found, allow_loopback_http)
}

/// The SMART `oauth-uris` token URL of a CapabilityStatement.
pub fn token_endpoint_in(metadata: &Value) -> Option<String> {
    let rests = metadata.get("rest")?.as_array()?;
    rests.iter().find_map(|rest| {
        let extensions = rest.get("security")?.get("extension")?.as_array()?;
        let oauth = extensions
            .iter()
            .find(|e| e.get("url").and_then(Value::as_str) == Some(OAUTH_URIS))?;
        oauth.get("extension")?.as_array()?.iter().find_map(|e| {
            (e.get("url").and_then(Value::as_str) == Some("token"))
                .then(|| e.get("valueUri").and_then(Value::as_str).map(str::to_owned))
                .flatten()
        })
    })
}

/// `{base}/{path}`.
pub fn join(base: &Url, path: &str) -> Result<Url, EhrError> {
    let raw = format!("{}/{path}", crate::safety::base_string(base));
    Url::parse(&raw).map_err(|_| EhrError::new(BAD_RESPONSE, "could not build a URL", false))
}

// --- keys -----------------------------------------------------------------------------------

const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_OID: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const P384_OID: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

/// Reads a PKCS#8 PEM (or a PKCS#1 `RSA PRIVATE KEY`) and picks RS384 for RSA and ES384 for
/// P-384 from the key's algorithm identifier. jsonwebtoken's PEM reader is not compiled in, and
/// its RSA signer wants PKCS#1, so the few DER fields needed are read here.
pub fn parse_key(pem: &str) -> Result<SigningKey, EhrError> {
    let bad = || {
        EhrError::new(
            AUTH_FAILED,
            "private key is not a PKCS#8 PEM RSA or EC P-384 key",
            false,
        )
    };
    let label = pem
        .lines()
        .find_map(|l| l.trim().strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(bad)?;
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .collect();
    let der = STANDARD.decode(body).map_err(|_| bad())?;
    match label {
        "RSA PRIVATE KEY" => Ok(SigningKey {
            algorithm: Algorithm::RS384,
            key: EncodingKey::from_rsa_der(&der),
        }),
        "PRIVATE KEY" => {
            let (info, _) = tlv(&der, 0x30).ok_or_else(bad)?;
            let (_version, rest) = tlv(info, 0x02).ok_or_else(bad)?;
            let (alg_id, rest) = tlv(rest, 0x30).ok_or_else(bad)?;
            let (private, _) = tlv(rest, 0x04).ok_or_else(bad)?;
            let (oid, params) = tlv(alg_id, 0x06).ok_or_else(bad)?;
            if oid == RSA_OID {
                Ok(SigningKey {
                    algorithm: Algorithm::RS384,
                    key: EncodingKey::from_rsa_der(private),
                })
            } else if oid == EC_OID && tlv(params, 0x06).is_some_and(|(c, _)| c == P384_OID) {
                Ok(SigningKey {
                    algorithm: Algorithm::ES384,
                    key: EncodingKey::from_ec_der(&der),
                })
            } else {
                Err(bad())
            }
        }
        _ => Err(bad()),
    }
}

/// One DER element with tag `tag`: its contents and what follows it.
fn tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len_byte, rest) = rest.split_first()?;
    let (len, rest) = if len_byte < 0x80 {
        (usize::from(len_byte), rest)
    } else {
        let n = usize::from(len_byte & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_lifetimes_are_clamped_to_an_hour_and_never_negative() {
        let secs = |v: Value| token_lifetime(Some(&v)).as_secs();
        assert_eq!(secs(json!(3599)), 3599);
        assert_eq!(secs(json!(u64::MAX)), 3600);
        assert_eq!(secs(json!(i64::MIN)), 0);
        assert_eq!(secs(json!(-1)), 0);
        assert_eq!(secs(json!(1e300)), 3600);
        assert_eq!(secs(json!(-1e300)), 0);
        assert_eq!(secs(json!(59.9)), 59);
        assert_eq!(secs(json!("120")), 120);
        assert_eq!(secs(json!("99999999999999999999")), 300);
        assert_eq!(secs(json!({"seconds": 5})), 300);
        assert_eq!(token_lifetime(None).as_secs(), 300);
    }
}
