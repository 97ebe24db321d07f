//! The job queue and pub/sub: Redis when a URL is set (else the database and the process),
//! and the outbox the workers relay.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::ConfigError;

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct QueueConfig {
    /// Set: jobs, pub/sub and rate limits go through Redis.
    #[cfg_attr(test, serde(serialize_with = "super::shown::optional_secret"))]
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key and channel, so deployments (and tests) can share a server.
    pub redis_prefix: String,
    /// How long a worker holds an outbox message it is delivering; a worker that dies lets
    /// it go after this (and the message is sent again).
    pub outbox_claim_secs: u64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            redis_url: None,
            redis_prefix: "portico".to_owned(),
            outbox_claim_secs: 120,
        }
    }
}

impl QueueConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(r) = &self.redis_url {
            let r = r.expose_secret();
            if !(r.starts_with("redis://") || r.starts_with("rediss://")) {
                return Err(ConfigError::new(
                    "PORTICO_REDIS_URL",
                    "must start with redis:// or rediss://",
                ));
            }
        }
        if self.redis_prefix.is_empty()
            || !self
                .redis_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ConfigError::new(
                "PORTICO_REDIS_PREFIX",
                "use letters, digits, '-' and '_'",
            ));
        }
        Ok(())
    }
}
