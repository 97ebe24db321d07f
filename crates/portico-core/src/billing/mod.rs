//! Billing: the plan catalogue ([`plans`]), the port to the payment provider ([`gateway`]),
//! the provider's events as the domain sees them ([`events`]), each practice's billing
//! account and the tenant status that follows its subscription ([`accounts`], [`lifecycle`]),
//! and monthly-active-patient usage reported once per period ([`usage`]).
//!
//! With no provider configured billing is off: every practice is on the unlimited
//! self-hosted plan and nothing here runs.

pub mod accounts;
pub mod events;
pub mod gateway;
pub mod lifecycle;
pub mod plans;
pub mod seats;
pub mod sessions;
pub mod settings;
pub mod sweep;
pub mod usage;
pub mod webhooks;

use std::sync::Arc;

/// Billing when it is on: the provider and the settings.
#[derive(Clone)]
pub struct Billing {
    pub gateway: Arc<dyn gateway::BillingGateway>,
    pub settings: settings::BillingSettings,
}
