//! TOTP (RFC 6238): 6 digits, 30-second steps, one step of skew either way.

use totp_rs::{Algorithm, Secret, TOTP};

fn totp(secret_b32: &str, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// A new random secret, base32.
pub fn new_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

/// The `otpauth://` URI an authenticator app scans.
pub fn provisioning_uri(secret_b32: &str, issuer: &str, account: &str) -> Option<String> {
    totp(secret_b32, issuer, account).map(|t| t.get_url())
}

pub fn verify(secret_b32: &str, code: &str) -> bool {
    totp(secret_b32, "Portico", "user")
        .and_then(|t| t.check_current(code.trim()).ok())
        .unwrap_or(false)
}

/// The current code (for tests and for the demo).
pub fn current(secret_b32: &str) -> Option<String> {
    totp(secret_b32, "Portico", "user").and_then(|t| t.generate_current().ok())
}
