//! Ed25519 signing keys: generation, and their encodings for jsonwebtoken and the JWKS.

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use portico_core::{entities::signing_key, ports::SecretSealer};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410): this fixed prefix, then the 32 bytes.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

#[derive(Debug, thiserror::Error)]
#[error("signing key {kid} is unreadable")]
pub struct KeyError {
    pub kid: String,
}

/// A new key, ready to store.
pub fn generate() -> signing_key::Model {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let public = ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes();
    let x = URL_SAFE_NO_PAD.encode(public);
    let kid = hex::encode(&Sha256::digest(public)[..8]);
    signing_key::Model {
        kid,
        algorithm: "EdDSA".to_owned(),
        private_key: STANDARD.encode(seed),
        public_key: x,
        created_at: chrono::Utc::now(),
        retired_at: None,
    }
}

/// What a key's seal is bound to: a sealed seed copied to another key's row does not open.
fn context(kid: &str) -> Vec<u8> {
    format!("signing-key:{kid}").into_bytes()
}

/// The key with its seed sealed, as it is stored: reading the table is not enough to sign.
pub fn seal(
    mut key: signing_key::Model,
    sealer: &dyn SecretSealer,
) -> Result<signing_key::Model, KeyError> {
    if !crate::sealing::is_sealed(&key.private_key) {
        key.private_key = sealer
            .seal(key.private_key.as_bytes(), &context(&key.kid))
            .map_err(|_| KeyError {
                kid: key.kid.clone(),
            })?;
    }
    Ok(key)
}

/// The key with its seed opened, for signing (never stored like this).
pub fn open(
    key: &signing_key::Model,
    sealer: &dyn SecretSealer,
) -> Result<signing_key::Model, KeyError> {
    let refused = || KeyError {
        kid: key.kid.clone(),
    };
    let seed = sealer
        .open(&key.private_key, &context(&key.kid))
        .map_err(|_| refused())?;
    Ok(signing_key::Model {
        private_key: String::from_utf8(seed).map_err(|_| refused())?,
        ..key.clone()
    })
}

/// The PKCS#8 DER that jsonwebtoken signs with, from an opened key.
pub fn pkcs8_der(key: &signing_key::Model) -> Result<Vec<u8>, KeyError> {
    let seed = STANDARD
        .decode(&key.private_key)
        .ok()
        .filter(|s| s.len() == 32)
        .ok_or_else(|| KeyError {
            kid: key.kid.clone(),
        })?;
    let mut der = PKCS8_ED25519_PREFIX.to_vec();
    der.extend_from_slice(&seed);
    Ok(der)
}

/// The public half as a JWK.
pub fn jwk(key: &signing_key::Model) -> serde_json::Value {
    serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
        "kid": key.kid,
        "x": key.public_key,
    })
}
