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

const STEP_SECS: u64 = 30;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The time step `code` belongs to, if it is valid now (one step of skew either way) and
/// later than `after_step`, so that a code is never accepted twice.
pub fn verify(secret_b32: &str, code: &str, after_step: Option<i64>) -> Option<i64> {
    let totp = totp(secret_b32, "Portico", "user")?;
    let code = code.trim();
    let current = i64::try_from(now() / STEP_SECS).ok()?;
    (current - 1..=current + 1)
        .filter(|step| after_step.is_none_or(|last| *step > last))
        .find(|step| {
            let at = u64::try_from(*step).unwrap_or(0) * STEP_SECS;
            constant_time_eq(totp.generate(at).as_bytes(), code.as_bytes())
        })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The current code (for tests and for the demo).
pub fn current(secret_b32: &str) -> Option<String> {
    totp(secret_b32, "Portico", "user").map(|t| t.generate(now()))
}

/// The code of the next time step: accepted now (within the skew) even after the current
/// step's code was spent. For tests that sign in twice within 30 seconds.
pub fn next(secret_b32: &str) -> Option<String> {
    totp(secret_b32, "Portico", "user").map(|t| t.generate(now() + STEP_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_accepted_once() {
        let secret = new_secret();
        let code = current(&secret).unwrap();
        let step = verify(&secret, &code, None).expect("valid now");
        assert_eq!(verify(&secret, &code, Some(step)), None, "replayed");
        let next_code = next(&secret).unwrap();
        assert!(verify(&secret, &next_code, Some(step)).is_some());
        assert_eq!(verify(&secret, "000000x", None), None);
    }
}
