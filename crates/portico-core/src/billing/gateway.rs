//! The port to the payment provider. The Stripe adapter (`portico-billing`) implements it;
//! the GraphQL resolvers and the usage job use it. Nothing that crosses it is patient data:
//! a practice's name and admin email, plan prices, counts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{events::SubscriptionSnapshot, plans::Plan};

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// The provider refused the request (its error code, never a message that could echo
    /// input back).
    #[error("the payment provider refused the request ({code})")]
    Refused { code: String },
    /// The provider could not be reached or answered something unexpected.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

/// A customer to create for a practice.
#[derive(Clone, Debug)]
pub struct NewCustomer {
    pub tenant_id: Uuid,
    /// The practice's name.
    pub name: String,
    /// Where invoices go: the admin who started the checkout.
    pub email: Option<String>,
}

/// A Checkout Session to start.
#[derive(Clone, Debug)]
pub struct CheckoutRequest {
    pub tenant_id: Uuid,
    pub customer_id: String,
    pub plan: Plan,
    /// Quantity of the seat price: the practice's active providers (at least 1).
    pub seats: u32,
    /// Days of trial left to carry into the subscription, if any.
    pub trial_end: Option<DateTime<Utc>>,
    pub success_url: String,
    pub cancel_url: String,
}

/// An invoice as practice admins see it listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceSummary {
    pub id: String,
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    pub status: Option<String>,
    /// ISO currency code, lower case.
    pub currency: String,
    /// In the currency's minor unit (cents).
    pub total: i64,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub created: DateTime<Utc>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// The provider's hosted page and PDF, for the admin to open.
    pub hosted_url: Option<String>,
    pub pdf_url: Option<String>,
}

/// A usage figure to report: one per practice and period.
#[derive(Clone, Debug)]
pub struct UsageRecord {
    pub customer_id: String,
    /// The meter's event name.
    pub event_name: String,
    pub value: u64,
    /// Unique per practice and period, so a repeated report is counted once by the
    /// provider as well.
    pub identifier: String,
    /// Inside the period reported.
    pub timestamp: DateTime<Utc>,
}

#[async_trait]
pub trait BillingGateway: Send + Sync {
    /// Creates the practice's customer; its id (`cus_...`).
    async fn create_customer(&self, customer: &NewCustomer) -> Result<String, BillingError>;
    /// A Checkout Session for the plan; the URL to send the admin to.
    async fn checkout_url(&self, request: &CheckoutRequest) -> Result<String, BillingError>;
    /// A Customer Portal session; the URL to send the admin to.
    async fn portal_url(&self, customer_id: &str, return_url: &str)
    -> Result<String, BillingError>;
    /// The customer's invoices, newest first.
    async fn invoices(
        &self,
        customer_id: &str,
        limit: u32,
    ) -> Result<Vec<InvoiceSummary>, BillingError>;
    /// Reports usage to the meter.
    async fn report_usage(&self, usage: &UsageRecord) -> Result<(), BillingError>;
    /// Sets the quantity of the subscription's item of `price` to `quantity` (prorated;
    /// nothing is sent when it is already so); the quantity it had, `None` when the
    /// subscription has no item of that price.
    async fn set_item_quantity(
        &self,
        subscription_id: &str,
        price: &str,
        quantity: u32,
    ) -> Result<Option<u64>, BillingError>;
    /// The subscription as it stands now (`None` when the provider does not know it).
    async fn subscription(&self, id: &str) -> Result<Option<SubscriptionSnapshot>, BillingError>;
}
