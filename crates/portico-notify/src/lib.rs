//! Notification adapters behind `portico-core`'s ports. Email goes over SMTP with lettre in
//! production; the embedded profile's outbox folder is `portico_core::mail::OutboxMailer`.

mod smtp;

pub use smtp::{SmtpError, SmtpMailer};
