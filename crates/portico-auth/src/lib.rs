//! Identity adapters behind `portico-core`'s ports: argon2id password hashing, TOTP, signed
//! access tokens (EdDSA JWT) with their JWKS, opaque secrets (refresh tokens, API keys) and
//! the casbin authorizer.

pub mod keys;
pub mod passkeys;
pub mod password;
pub mod rbac;
pub mod sealing;
pub mod tokens;
pub mod totp;
