//! Billing settings, from configuration.

use chrono::Duration;

use super::plans::Catalogue;

#[derive(Clone, Debug)]
pub struct BillingSettings {
    pub catalogue: Catalogue,
    /// A new practice's trial.
    pub trial: Duration,
    /// How long a practice whose payment failed keeps working before it is suspended.
    pub grace: Duration,
    /// How long a cancelled practice's data is kept for export.
    pub retention: Duration,
    /// The meter monthly active patients are reported to.
    pub meter_event_name: String,
}
