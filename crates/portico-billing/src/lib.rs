//! The Stripe adapter: [`StripeBilling`] implements the domain's
//! `portico_core::billing::gateway::BillingGateway` (customers, Checkout, the Customer
//! Portal, invoices, meter events), and [`verify_webhook`] checks a webhook delivery's
//! signature and maps it to a `portico_core::billing::events::BillingEvent`.
//!
//! Nothing that crosses here is patient data; the secret key and the webhook secret are
//! never logged.

mod client;
mod errors;
pub mod settings;
pub mod webhook;
mod wire;

pub use client::StripeBilling;
pub use settings::{DEFAULT_API_BASE, StripeSettings};
pub use webhook::{WebhookRejection, verify_webhook, verify_webhook_at};
