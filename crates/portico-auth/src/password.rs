//! Passwords: argon2id with configurable cost, and the policy a new password must meet.

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
    password_hash::SaltString,
};
use portico_core::ports::{Credentials, PasswordPolicyError, PortError};
use rand::rngs::OsRng;

/// argon2id cost. The defaults are OWASP's minimum for argon2id (19 MiB, 2 passes).
#[derive(Clone, Copy, Debug)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

pub struct Argon2Hasher {
    argon: Argon2<'static>,
    min_length: usize,
    /// A hash of a random password, verified against when an account does not exist so the
    /// answer takes as long as for one that does.
    dummy: String,
}

/// The most common passwords (from public breach corpora), refused whatever their length.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "123456789012",
    "1234567890",
    "qwertyuiop",
    "qwerty123456",
    "iloveyou",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "passw0rd",
    "password1234",
    "changeme",
    "trustno1",
    "football",
    "baseball",
    "dragon",
    "monkey",
    "sunshine",
    "princess",
    "superman",
    "abc123456789",
    "11111111",
    "000000000000",
    "aaaaaaaaaaaa",
    "qwerty",
    "asdfghjkl",
    "zxcvbnm",
    "letmein123",
    "welcome123",
    "correcthorsebatterystaple",
    "p@ssw0rd",
    "p@ssword",
    "doctor",
    "medicine",
    "patient",
    "healthcare",
    "hospital",
    "clinic",
];

impl Argon2Hasher {
    pub fn new(params: Argon2Params, min_length: usize) -> Result<Self, PortError> {
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| PortError::new("argon2", e))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
        let salt = SaltString::generate(&mut OsRng);
        let dummy = argon
            .hash_password(uuid::Uuid::new_v4().to_string().as_bytes(), &salt)
            .map_err(|e| PortError::new("argon2", e))?
            .to_string();
        Ok(Self {
            argon,
            min_length,
            dummy,
        })
    }
}

/// The longest password accepted (argon2 hashes any length; this bounds the work).
const MAX_LENGTH: usize = 256;

impl Credentials for Argon2Hasher {
    fn min_password_length(&self) -> usize {
        self.min_length
    }

    fn max_password_length(&self) -> usize {
        MAX_LENGTH
    }

    fn hash(&self, password: &str) -> Result<String, PortError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PortError::new("argon2", e))
    }

    fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        // Without an account, verify against the dummy anyway: same cost, always false.
        let (phc, exists) = match stored {
            Some(s) => (s, true),
            None => (self.dummy.as_str(), false),
        };
        let matches = PasswordHash::new(phc).is_ok_and(|parsed| {
            self.argon
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        matches && exists
    }

    fn check_policy(&self, password: &str, context: &[&str]) -> Result<(), PasswordPolicyError> {
        let chars = password.chars().count();
        if chars < self.min_length {
            return Err(PasswordPolicyError::TooShort(self.min_length));
        }
        if chars > MAX_LENGTH {
            return Err(PasswordPolicyError::TooLong(MAX_LENGTH));
        }
        let lower = password.to_lowercase();
        if COMMON.contains(&lower.as_str()) || lower.chars().all(|c| lower.starts_with(c)) {
            return Err(PasswordPolicyError::Common);
        }
        if context
            .iter()
            .filter(|c| c.chars().count() >= 4)
            .any(|c| lower.contains(&c.to_lowercase()))
        {
            return Err(PasswordPolicyError::ContainsPersonalData);
        }
        Ok(())
    }

    fn new_totp_secret(&self) -> String {
        crate::totp::new_secret()
    }

    fn totp_uri(&self, secret: &str, account: &str) -> Option<String> {
        crate::totp::provisioning_uri(secret, "Portico", account)
    }

    fn verify_totp(&self, secret: &str, code: &str, after_step: Option<i64>) -> Option<i64> {
        crate::totp::verify(secret, code, after_step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> Argon2Hasher {
        Argon2Hasher::new(
            Argon2Params {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            12,
        )
        .unwrap()
    }

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = hasher();
        let stored = h.hash("a long enough passphrase").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("a long enough passphrase", Some(&stored)));
        assert!(!h.verify("a long enough passphrase!", Some(&stored)));
        assert!(
            !h.verify("a long enough passphrase", None),
            "no account never verifies"
        );
    }

    #[test]
    fn weak_passwords_are_refused() {
        let h = hasher();
        assert_eq!(
            h.check_policy("short", &[]),
            Err(PasswordPolicyError::TooShort(12))
        );
        assert_eq!(
            h.check_policy("Password1234", &[]),
            Err(PasswordPolicyError::Common)
        );
        assert_eq!(
            h.check_policy("zzzzzzzzzzzzzz", &[]),
            Err(PasswordPolicyError::Common)
        );
        assert_eq!(
            h.check_policy(
                "ada.lovelace-rocks",
                &["ada.lovelace@example.com", "lovelace"]
            ),
            Err(PasswordPolicyError::ContainsPersonalData)
        );
        assert_eq!(h.check_policy("tangerine kettle orbit", &["ada"]), Ok(()));
    }
}
