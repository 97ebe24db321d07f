//! Webhooks over HTTPS, signed by the Standard Webhooks specification: `webhook-id`,
//! `webhook-timestamp` and `webhook-signature` (`v1,` HMAC-SHA256 of `id.timestamp.body`
//! under each `whsec_` secret, space-separated while a rotated secret still signs).
//!
//! Every request is bounded: https only (plain http to a loopback host only when the
//! deployment allows it), names resolved by [`GuardedResolver`] so no address of the
//! deployment's own networks is ever connected to, no redirect followed, no proxy, a total
//! time limit, and at most [`BODY_LIMIT`] bytes of the answer read (and then dropped: only
//! the status is kept).

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use portico_core::ports::{WebhookAnswer, WebhookPost, WebhookSender};
use portico_egress::{GuardedResolver, Rules};

/// Bytes of an answer read before the rest is dropped.
pub const BODY_LIMIT: usize = 64 * 1024;

pub struct HttpWebhooks {
    client: reqwest::Client,
    rules: Rules,
    timeout: Duration,
}

impl HttpWebhooks {
    /// `timeout` bounds a whole attempt (connect, send, answer).
    pub fn new(allow_loopback_http: bool, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver {
                allow_loopback: allow_loopback_http,
            }))
            // A proxy would resolve names itself, past the guard.
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent("Portico-Webhooks/1")
            .build()?;
        Ok(Self {
            client,
            rules: Rules {
                allow_loopback_http,
                allow_query: true,
            },
            timeout,
        })
    }
}

/// The `webhook-signature` header: one `v1,` signature per secret.
fn signature(post: &WebhookPost<'_>) -> Result<String, standardwebhooks::WebhookError> {
    let mut signatures = Vec::with_capacity(post.secrets.len());
    for secret in post.secrets {
        let signer = standardwebhooks::Webhook::new(secret)?;
        signatures.push(signer.sign(
            post.message_id,
            post.timestamp.timestamp(),
            post.body.as_bytes(),
        )?);
    }
    Ok(signatures.join(" "))
}

/// A failed request's stable code; a name the guard refused is told apart from a receiver
/// that is down.
fn code_of(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        return "TIMEOUT";
    }
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        if e.to_string().contains(portico_egress::NOT_ALLOWED) {
            return "ADDRESS_NOT_ALLOWED";
        }
        source = e.source();
    }
    if err.is_connect() {
        "CONNECT_FAILED"
    } else {
        "REQUEST_FAILED"
    }
}

fn elapsed_ms(started: std::time::Instant) -> u32 {
    u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX)
}

#[async_trait]
impl WebhookSender for HttpWebhooks {
    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn check_url(&self, raw: &str) -> Result<String, String> {
        portico_egress::check_url(raw, self.rules)
            .map(String::from)
            .map_err(|why| format!("webhook URL refused: {why}"))
    }

    async fn post(&self, post: WebhookPost<'_>) -> WebhookAnswer {
        let failed = |error, duration_ms| WebhookAnswer {
            status: None,
            duration_ms,
            error: Some(error),
        };
        // Checked again: the rules may have tightened since the address was registered.
        if self.check_url(post.url).is_err() {
            return failed("URL_NOT_ALLOWED", 0);
        }
        let Ok(signature) = signature(&post) else {
            return failed("SIGNING_FAILED", 0);
        };
        let started = std::time::Instant::now();
        let sent = self
            .client
            .post(post.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", post.message_id)
            .header("webhook-timestamp", post.timestamp.timestamp().to_string())
            .header("webhook-signature", signature)
            .body(post.body.to_owned())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(e) => return failed(code_of(&e), elapsed_ms(started)),
        };
        let status = response.status();
        // Read a bounded part of the answer so the connection can be reused; keep none of it.
        let mut read = 0;
        while read < BODY_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                Ok(None) | Err(_) => break,
            }
        }
        let error = if status.is_success() {
            None
        } else if status.is_redirection() {
            Some("REDIRECT_NOT_FOLLOWED")
        } else {
            Some("HTTP_STATUS")
        };
        WebhookAnswer {
            status: Some(status.as_u16()),
            duration_ms: elapsed_ms(started),
            error,
        }
    }
}
