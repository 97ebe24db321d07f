//! The database: SQLite (embedded profile) or PostgreSQL (production profile), and the pool.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, positive};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://FILE` (embedded profile) or `postgres://...` (production profile). On
    /// PostgreSQL this is the application role, which owns no table.
    #[cfg_attr(test, serde(serialize_with = "super::shown::secret"))]
    pub database_url: SecretString,
    /// The owner role that runs migrations; defaults to `database_url`.
    #[cfg_attr(test, serde(serialize_with = "super::shown::optional_secret"))]
    pub migration_database_url: Option<SecretString>,
    pub database_max_connections: u32,
    /// Longest wait between attempts to reach the database at start-up.
    pub database_retry_max_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            database_url: SecretString::from("sqlite://portico.db"),
            migration_database_url: None,
            database_max_connections: 10,
            database_retry_max_secs: 30,
        }
    }
}

impl DatabaseConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let db = self.database_url.expose_secret();
        if !(db.starts_with("sqlite:") || is_postgres(db)) {
            return Err(ConfigError::new(
                "PORTICO_DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        }
        if let Some(m) = &self.migration_database_url
            && (is_postgres(m.expose_secret()) != is_postgres(db))
        {
            return Err(ConfigError::new(
                "PORTICO_MIGRATION_DATABASE_URL",
                "must name the same kind of database as PORTICO_DATABASE_URL",
            ));
        }
        positive(
            "PORTICO_DATABASE_MAX_CONNECTIONS",
            self.database_max_connections,
        )
    }

    pub fn is_postgres(&self) -> bool {
        is_postgres(self.database_url.expose_secret())
    }

    /// The URL migrations run with: the owner's, else the application's.
    pub fn migration_url(&self) -> &SecretString {
        self.migration_database_url
            .as_ref()
            .unwrap_or(&self.database_url)
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
