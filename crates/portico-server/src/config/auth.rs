//! Accounts and access: password hashing and policy, invitation, activation and reset links,
//! API-key and activation-guessing limits, break-glass access.

use serde::Deserialize;

use super::{ConfigError, positive, within};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct AuthConfig {
    /// argon2id cost (OWASP minimum by default: 19 MiB, 2 passes, 1 lane).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub password_min_length: usize,
    pub invitation_ttl_hours: u64,
    /// How long a patient's activation code works.
    pub activation_ttl_hours: u64,
    /// How long a password-reset link works.
    pub password_reset_ttl_minutes: u64,
    /// Requests per minute one API key may make (`RATE_LIMITED` beyond).
    pub api_key_rate_per_minute: u32,
    /// Refused activation codes within 15 minutes that lock the activation step for one
    /// client address, and for one practice (`RATE_LIMITED` until the lock ends).
    pub activation_failures_per_address: u32,
    pub activation_failures_per_practice: u32,
    /// How long a break-glass access to a restricted chart stays open.
    pub break_glass_minutes: u64,
}

/// The argon2 cost and the activation limits default to their crates' own.
impl Default for AuthConfig {
    fn default() -> Self {
        let argon2 = portico_auth::password::Argon2Params::default();
        let activation = portico_graphql::ActivationLimits::default();
        Self {
            argon2_memory_kib: argon2.memory_kib,
            argon2_iterations: argon2.iterations,
            argon2_parallelism: argon2.parallelism,
            password_min_length: 12,
            invitation_ttl_hours: 72,
            activation_ttl_hours: 7 * 24,
            password_reset_ttl_minutes: 60,
            api_key_rate_per_minute: 600,
            activation_failures_per_address: activation.per_address,
            activation_failures_per_practice: activation.per_practice,
            break_glass_minutes: 60,
        }
    }
}

impl AuthConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        positive(
            "PORTICO_API_KEY_RATE_PER_MINUTE",
            self.api_key_rate_per_minute,
        )?;
        positive(
            "PORTICO_ACTIVATION_FAILURES_PER_ADDRESS",
            self.activation_failures_per_address,
        )?;
        positive(
            "PORTICO_ACTIVATION_FAILURES_PER_PRACTICE",
            self.activation_failures_per_practice,
        )?;
        if self.argon2_memory_kib < 8 * u32::max(self.argon2_parallelism, 1)
            || self.argon2_iterations == 0
            || self.argon2_parallelism == 0
        {
            return Err(ConfigError::new(
                "PORTICO_ARGON2_MEMORY_KIB",
                "argon2 needs at least 8 KiB per lane, 1 pass and 1 lane",
            ));
        }
        if self.password_min_length < 8 {
            return Err(ConfigError::new(
                "PORTICO_PASSWORD_MIN_LENGTH",
                "must be at least 8",
            ));
        }
        within(
            "PORTICO_INVITATION_TTL_HOURS",
            self.invitation_ttl_hours,
            1..=24 * 30,
        )?;
        within(
            "PORTICO_ACTIVATION_TTL_HOURS",
            self.activation_ttl_hours,
            1..=24 * 90,
        )?;
        within(
            "PORTICO_PASSWORD_RESET_TTL_MINUTES",
            self.password_reset_ttl_minutes,
            5..=24 * 60,
        )?;
        within(
            "PORTICO_BREAK_GLASS_MINUTES",
            self.break_glass_minutes,
            1..=24 * 60,
        )
    }

    pub fn activation_limits(&self) -> portico_graphql::ActivationLimits {
        portico_graphql::ActivationLimits {
            per_address: self.activation_failures_per_address,
            per_practice: self.activation_failures_per_practice,
        }
    }

    pub fn argon2_params(&self) -> portico_auth::password::Argon2Params {
        portico_auth::password::Argon2Params {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }
}
