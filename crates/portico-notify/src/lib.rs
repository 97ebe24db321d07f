//! Notification adapters behind `portico-core`'s ports: email over SMTP with lettre and text
//! messages through a Twilio-style HTTP API in production. The embedded profile writes both
//! to an outbox folder (`portico_core::mail`). Webhooks go to practices' endpoints over HTTPS,
//! signed by the Standard Webhooks specification, on both profiles.

mod sms;
mod smtp;

pub use sms::{HttpSms, SmsError};
pub use smtp::{CONNECTIONS, SmtpError, SmtpMailer};
mod webhook;

pub use webhook::{BODY_LIMIT, HttpWebhooks};
