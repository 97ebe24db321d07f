//! Secrets at rest (a practice's EHR private key or token): XChaCha20-Poly1305 with the
//! deployment's 32-byte key, a random nonce per value, and the row's context as associated
//! data, so a sealed value moved to another tenant's row does not open.

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use portico_core::ports::{PortError, SecretSealer};
use rand::RngCore;

/// Marks the format, so a later key or algorithm can be told apart.
const VERSION: &str = "v1";

/// Whether a stored value is sealed (rather than a secret stored before sealing existed).
pub fn is_sealed(value: &str) -> bool {
    value
        .strip_prefix(VERSION)
        .is_some_and(|rest| rest.starts_with(':'))
}

pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// From the 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// From the key in standard base64 (`PORTICO_SECRETS_KEY`).
    pub fn from_base64(key: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(key.trim())
            .map_err(|_| "not base64".to_owned())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must be 32 bytes".to_owned())?;
        Ok(Self::new(&key))
    }

    /// A new random key in base64, for `portico secrets-key` and development.
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        STANDARD.encode(key)
    }
}

impl SecretSealer for Sealer {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<String, PortError> {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .map_err(|_| PortError::new("sealing", "the secret could not be sealed"))?;
        Ok(format!(
            "{VERSION}:{}:{}",
            STANDARD.encode(nonce),
            STANDARD.encode(sealed)
        ))
    }

    fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, PortError> {
        let refused = || PortError::new("sealing", "the sealed secret does not open");
        let mut parts = sealed.splitn(3, ':');
        let (Some(VERSION), Some(nonce), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(refused());
        };
        let nonce = STANDARD.decode(nonce).map_err(|_| refused())?;
        let body = STANDARD.decode(body).map_err(|_| refused())?;
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| refused())?;
        self.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &body,
                    aad: context,
                },
            )
            .map_err(|_| refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let sealer = Sealer::from_base64(&Sealer::generate_key()).unwrap();
        let sealed = sealer
            .seal(b"-----BEGIN PRIVATE KEY-----", b"tenant-a")
            .unwrap();
        assert!(!sealed.contains("PRIVATE"));
        assert!(is_sealed(&sealed) && !is_sealed("c2VlZA=="));
        assert_eq!(
            sealer.open(&sealed, b"tenant-a").unwrap(),
            b"-----BEGIN PRIVATE KEY-----"
        );
        assert!(sealer.open(&sealed, b"tenant-b").is_err());
        let other = Sealer::from_base64(&Sealer::generate_key()).unwrap();
        assert!(other.open(&sealed, b"tenant-a").is_err());
        // Two seals of one value differ (a fresh nonce each).
        assert_ne!(
            sealed,
            sealer
                .seal(b"-----BEGIN PRIVATE KEY-----", b"tenant-a")
                .unwrap()
        );
    }

    #[test]
    fn a_bad_key_is_refused() {
        assert!(Sealer::from_base64("short").is_err());
        assert!(Sealer::from_base64(&STANDARD.encode([0u8; 16])).is_err());
    }
}
