//! The HTTP client every FHIR and token call goes through: timeouts, same-origin redirects
//! only, a cap on response size, and one mapping from transport failures and statuses to
//! `EhrError`. Error messages carry the method, what was asked for (a resource type such as
//! `Patient`, or `metadata`) and the status; never an id, a path, a query string or a body:
//! they are logged and shown in the admin status, and all of these can identify a patient.

use std::time::Duration;

use portico_core::ehr::gateway::EhrError;
use reqwest::{Client, Method, RequestBuilder, StatusCode, header, redirect};
use serde::de::DeserializeOwned;
use url::Url;

use crate::safety::same_origin;

pub const UNAVAILABLE: &str = "EHR_UNAVAILABLE";
pub const TIMEOUT: &str = "EHR_TIMEOUT";
pub const AUTH_FAILED: &str = "EHR_AUTH_FAILED";
pub const REFUSED: &str = "EHR_REFUSED";
pub const TOO_LARGE: &str = "EHR_TOO_LARGE";
pub const BAD_RESPONSE: &str = "EHR_BAD_RESPONSE";
pub const REDIRECT_REFUSED: &str = "EHR_REDIRECT_REFUSED";

pub const FHIR_JSON: &str = "application/fhir+json";

/// More hops than this is a loop or a server that should be configured properly.
const MAX_REDIRECTS: usize = 3;

/// Limits for one connection.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// For the whole exchange, body included.
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// Loopback addresses may be connected to (local sandboxes and tests); never private
    /// ones.
    pub allow_loopback: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 32 * 1024 * 1024,
            allow_loopback: false,
        }
    }
}

/// A response read in full (within the cap), whatever its status.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: Vec<u8>,
    /// `METHOD What` for messages (`GET Patient`): no id, path or query.
    pub label: String,
}

impl Answer {
    /// The answer if its status is a success, else the error that status means.
    pub fn success(self) -> Result<Self, EhrError> {
        match status_error(&self.label, self.status) {
            Some(err) => Err(err),
            None => Ok(self),
        }
    }

    /// The body as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, EhrError> {
        serde_json::from_slice(&self.body).map_err(|_| {
            EhrError::new(
                BAD_RESPONSE,
                format!(
                    "{}: {} with a body that is not the expected JSON",
                    self.label, self.status
                ),
                false,
            )
        })
    }
}

#[derive(Clone, Debug)]
pub struct FhirHttp {
    client: Client,
    max_body_bytes: usize,
}

impl FhirHttp {
    pub fn new(settings: &HttpSettings) -> Result<Self, EhrError> {
        let policy = redirect::Policy::custom(|attempt| {
            let Some(first) = attempt.previous().first() else {
                return attempt.stop();
            };
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if same_origin(first, attempt.url()) {
                attempt.follow()
            } else {
                attempt.error("redirect to another origin")
            }
        });
        let client = Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .redirect(policy)
            // A name is connected to only at a public address (a base URL's name pointing
            // into the deployment's networks is refused), and never through a proxy, which
            // would resolve it itself.
            .dns_resolver(std::sync::Arc::new(portico_egress::GuardedResolver {
                allow_loopback: settings.allow_loopback,
            }))
            .no_proxy()
            .user_agent(concat!("portico/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| EhrError::new(UNAVAILABLE, "HTTP client could not be built", false))?;
        Ok(Self {
            client,
            max_body_bytes: settings.max_body_bytes,
        })
    }

    /// Sends one request (with `Accept: application/fhir+json`; `build` adds auth, headers
    /// and body) and reads the answer, whatever its status. `what` names the request in
    /// messages: a resource type (`Patient`) or a fixed name (`metadata`), never anything
    /// taken from the URL.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        what: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<Answer, EhrError> {
        let label = format!("{method} {what}");
        let request = self
            .client
            .request(method, url.clone())
            .header(header::ACCEPT, FHIR_JSON);
        let mut response = build(request)
            .send()
            .await
            .map_err(|e| transport_error(&label, &e))?;
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let too_large = || {
            EhrError::new(
                TOO_LARGE,
                format!("{label}: {status} with a body over the size limit"),
                false,
            )
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes as u64)
        {
            return Err(too_large());
        }
        // Chunk by chunk, so a server cannot make Portico hold an unbounded body in memory.
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(&label, &e))?
        {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            location,
            body,
            label,
        })
    }
}

/// What a non-success status means, `None` for success.
pub fn status_error(label: &str, status: StatusCode) -> Option<EhrError> {
    let message = format!("{label}: {status}");
    let (code, retryable) = match status.as_u16() {
        200..=299 => return None,
        300..=399 => (REDIRECT_REFUSED, false),
        401 | 403 => (AUTH_FAILED, false),
        408 | 429 => (UNAVAILABLE, true),
        400..=499 => (REFUSED, false),
        _ => (UNAVAILABLE, true),
    };
    Some(EhrError::new(code, message, retryable))
}

fn transport_error(label: &str, err: &reqwest::Error) -> EhrError {
    // reqwest's own messages include the full URL (and so the query): only its kind is used.
    if err.is_redirect() {
        EhrError::new(
            REDIRECT_REFUSED,
            format!("{label}: redirect refused (another origin, or too many)"),
            false,
        )
    } else if err.is_timeout() {
        EhrError::new(TIMEOUT, format!("{label}: timed out"), true)
    } else if err.is_connect() {
        EhrError::new(UNAVAILABLE, format!("{label}: could not connect"), true)
    } else if err.is_body() || err.is_decode() {
        EhrError::new(UNAVAILABLE, format!("{label}: response cut short"), true)
    } else {
        EhrError::new(UNAVAILABLE, format!("{label}: request failed"), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_stable_codes() {
        let code = |s: u16| {
            status_error("GET Patient", StatusCode::from_u16(s).unwrap())
                .map(|e| (e.code, e.retryable))
        };
        assert_eq!(code(200), None);
        assert_eq!(code(201), None);
        assert_eq!(code(401), Some((AUTH_FAILED, false)));
        assert_eq!(code(403), Some((AUTH_FAILED, false)));
        assert_eq!(code(404), Some((REFUSED, false)));
        assert_eq!(code(422), Some((REFUSED, false)));
        assert_eq!(code(408), Some((UNAVAILABLE, true)));
        assert_eq!(code(429), Some((UNAVAILABLE, true)));
        assert_eq!(code(500), Some((UNAVAILABLE, true)));
        assert_eq!(code(503), Some((UNAVAILABLE, true)));
    }
}
