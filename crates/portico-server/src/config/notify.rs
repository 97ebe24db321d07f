//! Emails and text messages: an SMTP server and an SMS provider, else the outbox folder; and
//! webhooks to practices' endpoints.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, is_loopback_http};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default)]
pub struct NotifyConfig {
    /// Set: emails go to this SMTP server (`smtps://user:pass@host:465`,
    /// `smtp://host:587?tls=required`, or `smtp://host:25` on a trusted network).
    #[cfg_attr(test, serde(serialize_with = "super::shown::optional_secret"))]
    pub smtp_url: Option<SecretString>,
    /// The sender of Portico's emails.
    pub mail_from: String,
    /// Without an SMTP server, emails are written here as files.
    pub outbox_dir: String,
    /// A Twilio-style SMS API (`https://api.twilio.com`, or a provider with the same API).
    /// With an account id set, text messages go there; otherwise to the outbox folder.
    pub sms_api_url: String,
    pub sms_account_sid: Option<String>,
    #[cfg_attr(test, serde(serialize_with = "super::shown::optional_secret"))]
    pub sms_auth_token: Option<SecretString>,
    /// The number (E.164) or sender id text messages come from.
    pub sms_from: Option<String>,
    /// Plain http to a loopback webhook endpoint (local receivers, tests); https only
    /// otherwise, and never an address of a private network.
    pub webhooks_allow_loopback_http: bool,
    /// How long one webhook attempt may take (connect, send, answer).
    pub webhook_timeout_secs: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_from: "Portico <no-reply@portico.localhost>".to_owned(),
            outbox_dir: "outbox".to_owned(),
            sms_api_url: "https://api.twilio.com".to_owned(),
            sms_account_sid: None,
            sms_auth_token: None,
            sms_from: None,
            webhooks_allow_loopback_http: false,
            webhook_timeout_secs: 10,
        }
    }
}

/// The SMS provider's settings, when one is configured.
pub struct SmsProvider<'a> {
    pub api_url: &'a str,
    pub account_sid: &'a str,
    pub auth_token: &'a str,
    pub from: &'a str,
}

impl NotifyConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        super::within(
            "PORTICO_WEBHOOK_TIMEOUT_SECS",
            self.webhook_timeout_secs,
            1..=30,
        )?;
        if let Some(url) = &self.smtp_url {
            let url = url.expose_secret();
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError::new(
                    "PORTICO_SMTP_URL",
                    "must start with smtp:// or smtps://",
                ));
            }
        }
        if !self.mail_from.contains('@') {
            return Err(ConfigError::new(
                "PORTICO_MAIL_FROM",
                "must be an address such as Portico <no-reply@example.com>",
            ));
        }
        if let Some(sid) = &self.sms_account_sid {
            if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(ConfigError::new(
                    "PORTICO_SMS_ACCOUNT_SID",
                    "must be the provider's account id (letters and digits)",
                ));
            }
            if self.sms_auth_token.is_none() || self.sms_from.is_none() {
                return Err(ConfigError::new(
                    "PORTICO_SMS_AUTH_TOKEN",
                    "PORTICO_SMS_AUTH_TOKEN and PORTICO_SMS_FROM are needed with PORTICO_SMS_ACCOUNT_SID",
                ));
            }
            let url = &self.sms_api_url;
            if !(url.starts_with("https://") || is_loopback_http(url)) || url.ends_with('/') {
                return Err(ConfigError::new(
                    "PORTICO_SMS_API_URL",
                    "must be https (plain http only to loopback, for tests), without a trailing slash",
                ));
            }
        }
        if self.outbox_dir.trim().is_empty() {
            return Err(ConfigError::new("PORTICO_OUTBOX_DIR", "must name a folder"));
        }
        Ok(())
    }

    pub fn sms_provider(&self) -> Option<SmsProvider<'_>> {
        Some(SmsProvider {
            api_url: &self.sms_api_url,
            account_sid: self.sms_account_sid.as_deref()?,
            auth_token: self.sms_auth_token.as_ref()?.expose_secret(),
            from: self.sms_from.as_deref()?,
        })
    }
}
