//! Guessing activation codes is throttled twice: per client address (one machine trying many
//! codes, across practices) and per practice (many machines trying one practice's codes).
//! Only refused attempts count, so a practice enrolling many patients at once is not slowed.

use std::{net::IpAddr, time::Duration};

use portico_core::{
    TenantId,
    ports::{PortError, ThrottlePolicy},
};

use crate::{ApiError, context::Services};

/// How many refused codes within 15 minutes lock the activation step.
#[derive(Clone, Copy, Debug)]
pub struct ActivationLimits {
    pub per_address: u32,
    pub per_practice: u32,
}

impl Default for ActivationLimits {
    fn default() -> Self {
        Self {
            per_address: 10,
            per_practice: 100,
        }
    }
}

/// A lock starts at 15 minutes and doubles while the guessing goes on, up to an hour.
fn policy(max_failures: u32) -> ThrottlePolicy {
    ThrottlePolicy {
        max_failures,
        window: Duration::from_secs(15 * 60),
        base_lock: Duration::from_secs(15 * 60),
        max_lock: Duration::from_secs(3600),
    }
}

/// The throttle keys of one attempt and their policies.
fn keys(limits: ActivationLimits, tenant: TenantId, ip: Option<IpAddr>) -> Vec<(String, u32)> {
    let mut keys = vec![(format!("activation-practice:{tenant}"), limits.per_practice)];
    if let Some(ip) = ip {
        keys.push((format!("activation-ip:{ip}"), limits.per_address));
    }
    keys
}

fn port(request_id: &str) -> impl Fn(PortError) -> ApiError + '_ {
    move |e| {
        tracing::error!(request_id, error = %e, "activation throttle failed");
        ApiError::Unavailable
    }
}

/// `RATE_LIMITED` (with the seconds to wait) while the address or the practice is locked.
pub async fn check(
    services: &Services,
    tenant: TenantId,
    ip: Option<IpAddr>,
    request_id: &str,
) -> Result<(), ApiError> {
    let mut wait = Duration::ZERO;
    for (key, _) in keys(services.activation_limits, tenant, ip) {
        if let Some(left) = services
            .throttle
            .locked_for(&key)
            .await
            .map_err(port(request_id))?
        {
            wait = wait.max(left);
        }
    }
    if wait.is_zero() {
        return Ok(());
    }
    Err(ApiError::RateLimited {
        retry_after_secs: wait.as_secs().max(1),
    })
}

/// Counts a refused attempt against the address and the practice.
pub async fn record_refusal(
    services: &Services,
    tenant: TenantId,
    ip: Option<IpAddr>,
    request_id: &str,
) -> Result<(), ApiError> {
    for (key, max) in keys(services.activation_limits, tenant, ip) {
        if services
            .throttle
            .record_failure(&key, &policy(max))
            .await
            .map_err(port(request_id))?
            .is_some()
        {
            tracing::warn!(request_id, key = key.split(':').next(), "activation locked");
        }
    }
    Ok(())
}
