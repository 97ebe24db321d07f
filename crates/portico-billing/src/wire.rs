//! The few fields Portico reads from Stripe's answers. The SDK's full types require many
//! nested fields that differ between API versions; these narrow ones ignore the rest.

use chrono::{DateTime, Utc};
use miniserde::Deserialize;
use portico_core::billing::gateway::InvoiceSummary;

/// Anything with an id (a customer, a meter event).
#[derive(Debug, Deserialize)]
pub(crate) struct Created {
    pub id: String,
}

/// A Checkout Session or a Customer Portal session.
#[derive(Debug, Deserialize)]
pub(crate) struct Session {
    pub id: String,
    pub url: Option<String>,
}

/// A meter event, as created.
#[derive(Debug, Deserialize)]
pub(crate) struct MeterEvent {
    pub identifier: String,
}

/// A page of invoices.
#[derive(Debug, Deserialize)]
pub(crate) struct InvoiceList {
    pub data: Vec<Invoice>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Invoice {
    pub id: String,
    pub number: Option<String>,
    pub status: Option<String>,
    pub currency: String,
    pub total: i64,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub created: i64,
    pub period_start: i64,
    pub period_end: i64,
    pub hosted_invoice_url: Option<String>,
    pub invoice_pdf: Option<String>,
}

impl Invoice {
    /// The summary admins see; `None` when a timestamp is out of range.
    pub(crate) fn into_summary(self) -> Option<InvoiceSummary> {
        Some(InvoiceSummary {
            created: at(self.created)?,
            period_start: at(self.period_start)?,
            period_end: at(self.period_end)?,
            id: self.id,
            number: self.number,
            status: self.status,
            currency: self.currency.to_ascii_lowercase(),
            total: self.total,
            amount_due: self.amount_due,
            amount_paid: self.amount_paid,
            hosted_url: self.hosted_invoice_url,
            pdf_url: self.invoice_pdf,
        })
    }
}

pub(crate) fn at(unix: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(unix, 0)
}
