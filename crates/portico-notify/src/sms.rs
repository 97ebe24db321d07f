//! Text messages through a Twilio-style HTTP API: `POST {base}/2010-04-01/Accounts/{sid}/
//! Messages.json` with `To`, `From` and `Body` as a form, HTTP basic auth with the account
//! id and token, `201` with the message's `sid` on success and `{code, message, status}` on
//! failure. The base URL is configurable, so tests and other providers with the same API
//! can stand in.

use std::time::Duration;

use async_trait::async_trait;
use portico_core::ports::{PortError, Sms, SmsSender};
use serde::Deserialize;

/// The provider's error codes that mean this number will never take the message (not a
/// valid number, not a mobile, the recipient replied STOP): a bounce, not a retry.
const PERMANENT_CODES: [u32; 6] = [21211, 21214, 21217, 21610, 21612, 21614];

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("PORTICO_SMS_API_URL must be an http(s) URL without a trailing slash")]
    Url,
    #[error("the SMS HTTP client could not be built: {0}")]
    Client(String),
}

pub struct HttpSms {
    client: reqwest::Client,
    endpoint: String,
    account_sid: String,
    auth_token: String,
    from: String,
}

impl HttpSms {
    pub fn new(
        base_url: &str,
        account_sid: &str,
        auth_token: &str,
        from: &str,
    ) -> Result<Self, SmsError> {
        if !(base_url.starts_with("https://") || base_url.starts_with("http://"))
            || base_url.ends_with('/')
        {
            return Err(SmsError::Url);
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SmsError::Client(e.to_string()))?;
        Ok(Self {
            client,
            endpoint: format!("{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json"),
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            from: from.to_owned(),
        })
    }
}

/// The provider's error body; its `message` is not kept, since it quotes the number.
#[derive(Deserialize)]
struct ApiError {
    code: Option<u32>,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

#[async_trait]
impl SmsSender for HttpSms {
    async fn send(&self, sms: Sms) -> Result<(), PortError> {
        let response = self
            .client
            .post(&self.endpoint)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&[
                ("To", sms.to.as_str()),
                ("From", self.from.as_str()),
                ("Body", sms.text.as_str()),
            ])
            .send()
            .await
            .map_err(|e| {
                let kind = if e.is_timeout() {
                    "timeout"
                } else {
                    "connection failure"
                };
                PortError::new("sms", kind)
            })?;
        let status = response.status();
        if status.is_success() {
            let created: Created = response
                .json()
                .await
                .map_err(|_| PortError::new("sms", "the provider's answer was not understood"))?;
            tracing::info!(provider_id = %created.sid, "text message handed to the provider");
            return Ok(());
        }
        let code = response.json::<ApiError>().await.ok().and_then(|b| b.code);
        let what = match code {
            Some(code) => format!("refused (status {}, code {code})", status.as_u16()),
            None => format!("refused (status {})", status.as_u16()),
        };
        if code.is_some_and(|c| PERMANENT_CODES.contains(&c)) {
            Err(PortError::permanent("sms", what))
        } else {
            Err(PortError::new("sms", what))
        }
    }
}
