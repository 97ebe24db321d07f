//! Billing through Stripe (off without a key): the account, the plans and the periods a
//! practice's status follows.

use std::collections::HashSet;

use portico_core::billing::{
    plans::{Catalogue, Plan},
    settings::BillingSettings,
};
use secrecy::SecretString;
use serde::Deserialize;

use super::{ConfigError, is_loopback_http};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct BillingConfig {
    /// Set: billing is on, through Stripe. Unset: every practice is on the unlimited
    /// self-hosted plan.
    #[cfg_attr(test, serde(serialize_with = "super::shown::optional_secret"))]
    pub stripe_secret_key: Option<SecretString>,
    /// The signing secret of the `/webhooks/stripe` endpoint (`whsec_...`); required with
    /// the key.
    #[cfg_attr(test, serde(serialize_with = "super::shown::optional_secret"))]
    pub stripe_webhook_secret: Option<SecretString>,
    /// Stripe's API (https, or http on loopback for a local stand-in).
    pub stripe_api_base: String,
    /// The plans practices choose from, each a base price, a per-provider seat price and a
    /// metered price per monthly active patient (Stripe price ids).
    pub billing_plans: Vec<Plan>,
    /// A new practice's trial.
    pub billing_trial_days: u32,
    /// How long a practice whose payment failed keeps working before it is suspended.
    pub billing_grace_days: u32,
    /// How long a cancelled practice's data is kept for export.
    pub billing_retention_days: u32,
    /// The Stripe meter that monthly active patients are reported to.
    pub billing_meter_event: String,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self {
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: portico_billing::DEFAULT_API_BASE.to_owned(),
            billing_plans: Vec::new(),
            billing_trial_days: 30,
            billing_grace_days: 14,
            billing_retention_days: 90,
            billing_meter_event: "portico_monthly_active_patients".to_owned(),
        }
    }
}

impl BillingConfig {
    /// Checked only when billing is on.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.stripe_secret_key.is_none() {
            return Ok(());
        }
        if self.stripe_webhook_secret.is_none() {
            return Err(ConfigError::new(
                "PORTICO_STRIPE_WEBHOOK_SECRET",
                "is required with PORTICO_STRIPE_SECRET_KEY",
            ));
        }
        if !(self.stripe_api_base.starts_with("https://")
            || is_loopback_http(&self.stripe_api_base))
        {
            return Err(ConfigError::new(
                "PORTICO_STRIPE_API_BASE",
                "must be https (or http on this machine)",
            ));
        }
        self.validate_plans()?;
        for (setting, days) in [
            ("PORTICO_BILLING_TRIAL_DAYS", self.billing_trial_days),
            ("PORTICO_BILLING_GRACE_DAYS", self.billing_grace_days),
            (
                "PORTICO_BILLING_RETENTION_DAYS",
                self.billing_retention_days,
            ),
        ] {
            if days > 3650 {
                return Err(ConfigError::new(setting, "must be at most 3650"));
            }
        }
        Ok(())
    }

    fn validate_plans(&self) -> Result<(), ConfigError> {
        if self.billing_plans.is_empty() {
            return Err(ConfigError::new(
                "PORTICO_BILLING_PLANS",
                "at least one plan is needed when billing is on",
            ));
        }
        let mut codes = HashSet::new();
        for plan in &self.billing_plans {
            let code_ok = !plan.code.is_empty()
                && plan.code.len() <= 64
                && plan
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !code_ok || !codes.insert(plan.code.as_str()) {
                return Err(ConfigError::new(
                    "PORTICO_BILLING_PLANS",
                    format!(
                        "plan code {:?} must be unique, lower case letters, digits and _",
                        plan.code
                    ),
                ));
            }
        }
        // A subscription names prices, and its base price names its plan.
        let mut bases = HashSet::new();
        if let Some(shared) = self
            .billing_plans
            .iter()
            .find(|plan| plan.base_price.is_empty() || !bases.insert(plan.base_price.as_str()))
        {
            return Err(ConfigError::new(
                "PORTICO_BILLING_PLANS",
                format!("plan {:?} needs a base price of its own", shared.code),
            ));
        }
        Ok(())
    }

    /// Billing's settings (used when a Stripe key is set).
    pub fn settings(&self) -> BillingSettings {
        let days = |d: u32| chrono::Duration::days(i64::from(d));
        BillingSettings {
            catalogue: Catalogue {
                plans: self.billing_plans.clone(),
            },
            trial: days(self.billing_trial_days),
            grace: days(self.billing_grace_days),
            retention: days(self.billing_retention_days),
            meter_event_name: self.billing_meter_event.clone(),
        }
    }
}
