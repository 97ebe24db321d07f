//! Access tokens and sessions: who signs them, how long they last, automatic log-off.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct SessionsConfig {
    /// `iss` of access tokens.
    pub jwt_issuer: String,
    /// Access-token lifetime; at most 900 (15 minutes).
    pub access_token_ttl_secs: u64,
    /// Automatic log-off after this long without activity, for staff and for patients.
    pub session_staff_idle_secs: u64,
    pub session_patient_idle_secs: u64,
    /// Longest a session lasts, however active.
    pub session_absolute_secs: u64,
}

/// The session lifetimes' defaults are the GraphQL crate's.
impl Default for SessionsConfig {
    fn default() -> Self {
        let sessions = portico_graphql::SessionSettings::default();
        Self {
            jwt_issuer: "portico".to_owned(),
            access_token_ttl_secs: 900,
            session_staff_idle_secs: sessions.staff_idle.as_secs(),
            session_patient_idle_secs: sessions.patient_idle.as_secs(),
            session_absolute_secs: sessions.absolute.as_secs(),
        }
    }
}

impl SessionsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.access_token_ttl_secs == 0 || self.access_token_ttl_secs > 900 {
            return Err(ConfigError::new(
                "PORTICO_ACCESS_TOKEN_TTL_SECS",
                "must be between 1 and 900 (15 minutes)",
            ));
        }
        for (name, value) in [
            (
                "PORTICO_SESSION_STAFF_IDLE_SECS",
                self.session_staff_idle_secs,
            ),
            (
                "PORTICO_SESSION_PATIENT_IDLE_SECS",
                self.session_patient_idle_secs,
            ),
            ("PORTICO_SESSION_ABSOLUTE_SECS", self.session_absolute_secs),
        ] {
            if value < 60 {
                return Err(ConfigError::new(name, "must be at least 60 seconds"));
            }
        }
        Ok(())
    }

    pub fn settings(&self) -> portico_graphql::SessionSettings {
        portico_graphql::SessionSettings {
            staff_idle: Duration::from_secs(self.session_staff_idle_secs),
            patient_idle: Duration::from_secs(self.session_patient_idle_secs),
            absolute: Duration::from_secs(self.session_absolute_secs),
        }
    }
}
