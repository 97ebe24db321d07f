//! The key secrets in the database are sealed with.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, Environment};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct SecretsConfig {
    /// The key secrets in the database are sealed with (32 bytes, base64; `portico
    /// secrets-key` makes one). Required in production; in development a key file is made.
    #[cfg_attr(test, serde(serialize_with = "super::shown::optional_secret"))]
    pub secrets_key: Option<SecretString>,
    /// Where development keeps its generated secrets key.
    pub secrets_key_file: String,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        Self {
            secrets_key: None,
            secrets_key_file: "portico-secrets.key".to_owned(),
        }
    }
}

impl SecretsConfig {
    pub(super) fn validate(&self, env: Environment) -> Result<(), ConfigError> {
        if let Some(key) = &self.secrets_key
            && let Err(problem) = portico_auth::sealing::Sealer::from_base64(key.expose_secret())
        {
            return Err(ConfigError::new("PORTICO_SECRETS_KEY", problem));
        }
        if env == Environment::Production && self.secrets_key.is_none() {
            return Err(ConfigError::new(
                "PORTICO_SECRETS_KEY",
                "is required in production (`portico secrets-key` makes one)",
            ));
        }
        Ok(())
    }
}
