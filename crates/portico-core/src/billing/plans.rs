//! The plan catalogue, from configuration: each plan is a base price, a price per provider
//! seat and a metered price per monthly active patient at the payment provider.

use serde::{Deserialize, Serialize};

/// The plan every practice is on when billing is off.
pub const SELF_HOSTED: &str = "self_hosted";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Stable code (`starter`, `practice`, `enterprise`), used in the API.
    pub code: String,
    /// Shown to practice admins.
    pub name: String,
    /// The flat monthly price (a provider price id, `price_...`).
    pub base_price: String,
    /// Per provider seat, quantity = the practice's active providers.
    pub seat_price: Option<String>,
    /// Metered per monthly active patient (usage reported through `meter_event`).
    pub patient_price: Option<String>,
}

impl Plan {
    /// Whether `price` is one of this plan's prices (a subscription names prices, not plans).
    pub fn has_price(&self, price: &str) -> bool {
        self.base_price == price
            || self.seat_price.as_deref() == Some(price)
            || self.patient_price.as_deref() == Some(price)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue {
    pub plans: Vec<Plan>,
}

impl Catalogue {
    pub fn find(&self, code: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.code == code)
    }

    /// The plan a subscription's prices belong to: the one whose base price it has (seat
    /// and metered prices may be shared between plans; base prices may not).
    pub fn for_prices<'a>(&self, prices: impl IntoIterator<Item = &'a str>) -> Option<&Plan> {
        let prices: Vec<&str> = prices.into_iter().collect();
        self.plans
            .iter()
            .find(|plan| prices.contains(&plan.base_price.as_str()))
    }
}
