//! SMART App Launch 2 (standalone patient launch): apps a practice registers, the
//! authorization-code flow with PKCE (S256) in which the patient picks the chart and the
//! scopes on the portal's consent page, access and refresh tokens, and the grants a patient
//! sees and revokes. An app's access token reads one chart through the FHIR API within its
//! scopes ([`crate::fhir_api::Scopes`]); GraphQL refuses it. Refusals carry OAuth 2.0's own
//! error codes ([`OAuthError`]). The HTTP side (redirects, form bodies, JSON answers) is the
//! server's.

pub mod apps;
pub mod backend;
pub mod grants;
pub mod requests;
pub mod tokens;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::CoreError;

/// How long an authorization request waits for the patient's consent.
pub const REQUEST_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// How long a code may wait to be exchanged.
pub const CODE_TTL: chrono::Duration = chrono::Duration::minutes(1);
/// How long a refresh token lasts unused (`offline_access`); each use gives a new one.
pub const REFRESH_TTL: chrono::Duration = chrono::Duration::days(90);

/// An OAuth 2.0 refusal (RFC 6749 §4.1.2.1 and §5.2), with a description for the developer.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    #[error("invalid_client: {0}")]
    InvalidClient(String),
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("unsupported_response_type")]
    UnsupportedResponseType,
    #[error("access_denied")]
    AccessDenied,
    #[error("server_error")]
    Server(#[from] CoreError),
}

impl OAuthError {
    /// The `error` value.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::InvalidScope(_) => "invalid_scope",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::AccessDenied => "access_denied",
            Self::Server(_) => "server_error",
        }
    }

    /// The `error_description` value (never chart content).
    pub fn description(&self) -> String {
        match self {
            Self::InvalidRequest(m)
            | Self::InvalidClient(m)
            | Self::InvalidGrant(m)
            | Self::InvalidScope(m) => m.clone(),
            Self::UnsupportedGrantType => {
                "grant_type must be authorization_code, refresh_token or client_credentials"
                    .to_owned()
            }
            Self::UnsupportedResponseType => "response_type must be code".to_owned(),
            Self::AccessDenied => "the patient did not allow the app".to_owned(),
            Self::Server(_) => "something went wrong; try again".to_owned(),
        }
    }
}

impl From<sea_orm::DbErr> for OAuthError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Server(e.into())
    }
}

/// A secret of 32 random bytes from the operating system, URL-safe, after `prefix`.
pub(crate) fn secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// How a secret is kept: its SHA-256, hex.
pub(crate) fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// PKCE: whether `verifier` (43 to 128 unreserved characters) is the one whose S256
/// challenge is `challenge`.
pub(crate) fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    well_formed
        && constant_time_eq(
            URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()))
                .as_bytes(),
            challenge.as_bytes(),
        )
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_checks_the_s256_challenge_of_the_rfc_example() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        assert!(!pkce_matches("short", challenge));
    }
}
