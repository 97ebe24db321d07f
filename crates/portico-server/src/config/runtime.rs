//! The process itself: development or production, its logs, and how long it takes to stop.

use serde::Deserialize;

use super::{ConfigError, within};

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable in development, JSON in production.
    Auto,
    Pretty,
    Json,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct RuntimeConfig {
    pub env: Environment,
    pub log: String,
    pub log_format: LogFormat,
    /// On SIGTERM: how long in-flight requests and running jobs may take before the process
    /// exits anyway (keep it below the orchestrator's grace period).
    pub shutdown_grace_secs: u64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            log: "info".to_owned(),
            log_format: LogFormat::Auto,
            shutdown_grace_secs: 20,
        }
    }
}

impl RuntimeConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if tracing_subscriber::EnvFilter::try_new(&self.log).is_err() {
            return Err(ConfigError::new(
                "PORTICO_LOG",
                "must be a log filter such as info or portico=debug",
            ));
        }
        within(
            "PORTICO_SHUTDOWN_GRACE_SECS",
            self.shutdown_grace_secs,
            1..=600,
        )
    }
}
