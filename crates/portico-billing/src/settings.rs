//! How to reach Stripe.

use std::fmt;

/// The API used when no base is configured.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com/";

/// The Stripe account to bill through.
#[derive(Clone)]
pub struct StripeSettings {
    /// The secret API key (`sk_live_...`, `sk_test_...`, or a restricted `rk_...`).
    pub secret_key: String,
    /// Another API base (a local fake in tests); [`DEFAULT_API_BASE`] when `None`.
    pub api_base: Option<String>,
    /// The event name of the meter that counts monthly active patients, used for a usage
    /// record that names no meter itself.
    pub meter_event_name: String,
}

impl StripeSettings {
    /// The base URL requests go to, ending in `/` (the client appends `v1/...`).
    pub fn api_base(&self) -> String {
        let base = self.api_base.as_deref().unwrap_or(DEFAULT_API_BASE);
        if base.ends_with('/') {
            base.to_owned()
        } else {
            format!("{base}/")
        }
    }
}

impl fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeSettings")
            .field("secret_key", &"[redacted]")
            .field("api_base", &self.api_base)
            .field("meter_event_name", &self.meter_event_name)
            .finish()
    }
}
