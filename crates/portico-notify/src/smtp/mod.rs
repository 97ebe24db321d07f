//! Email over SMTP. The URL chooses the security: `smtps://host:465` (TLS from the start),
//! `smtp://host:587?tls=required` (STARTTLS), or plain `smtp://host:25` for a relay on a
//! trusted network; credentials go in the URL's user and password.
//!
//! Sessions are kept and reused, and no more than [`CONNECTIONS`] are open at once: a batch
//! of reminders goes out over a few sessions instead of one connection, greeting and goodbye
//! per message, and stays within what relays accept from one client. Plain and STARTTLS
//! sessions are Portico's own ([`sessions`], for `TCP_NODELAY`); `smtps://` goes through
//! lettre's pool, whose sockets keep Nagle's algorithm on until a lettre release turns it off.

mod endpoint;
mod sessions;

use async_trait::async_trait;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, header::ContentType},
    transport::smtp::PoolConfig,
};
use portico_core::ports::{Email, Mailer, PortError};

use self::{
    endpoint::{Endpoint, Security},
    sessions::Sessions,
};

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("PORTICO_SMTP_URL is not a usable SMTP URL: {0}")]
    Url(String),
    #[error("PORTICO_MAIL_FROM is not an address such as Portico <no-reply@example.com>")]
    From,
}

/// SMTP sessions one process keeps open at most (relays commonly allow about ten).
pub const CONNECTIONS: u32 = 8;

pub struct SmtpMailer {
    transport: Transport,
    from: Mailbox,
    /// One permit per session: a pool opens a new connection whenever none is idle, so the
    /// senders beyond it wait here instead.
    sessions: tokio::sync::Semaphore,
}

enum Transport {
    Own(Sessions),
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<Self, SmtpError> {
        let endpoint = Endpoint::parse(url)?;
        let transport = match endpoint.security {
            Security::Implicit => Transport::Lettre(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| SmtpError::Url(e.to_string()))?
                    .pool_config(PoolConfig::new().max_size(CONNECTIONS))
                    .build(),
            ),
            Security::Plain | Security::StartTls { .. } => Transport::Own(Sessions::new(endpoint)),
        };
        let from = from.parse().map_err(|_| SmtpError::From)?;
        Ok(Self {
            transport,
            from,
            sessions: tokio::sync::Semaphore::new(CONNECTIONS as usize),
        })
    }
}

fn err(e: lettre::error::Error) -> PortError {
    PortError::new("smtp", e)
}

/// What went wrong, without the server's text: a rejection often quotes the recipient. A
/// permanent refusal of the mailbox itself (550, 551, 553) is a bounce; other permanent
/// errors (authentication, policy) are the sender's problem, not the address's, and are
/// retried and then listed like any failure.
pub(crate) fn delivery_err(e: &lettre::transport::smtp::Error) -> PortError {
    let status = e.status().map(|code| code.to_string());
    let kind = if e.is_permanent() {
        "permanent rejection"
    } else if e.is_transient() {
        "temporary failure"
    } else if e.is_timeout() {
        "timeout"
    } else {
        "connection or protocol failure"
    };
    match status {
        Some(code) if e.is_permanent() && ["550", "551", "553"].contains(&code.as_str()) => {
            PortError::permanent("smtp", format!("{kind} (status {code})"))
        }
        Some(code) => PortError::new("smtp", format!("{kind} (status {code})")),
        None => PortError::new("smtp", kind),
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: Email) -> Result<(), PortError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| PortError::new("smtp", "the recipient is not a valid address"))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            // One per effect, so a message sent twice (a worker that died after sending)
            // reaches the recipient as one.
            .message_id(email.message_id.map(|id| format!("<{id}@portico>")))
            .subject(email.subject);
        let message = match email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(email.text, html)),
            None => builder.header(ContentType::TEXT_PLAIN).body(email.text),
        }
        .map_err(err)?;
        let _session = self
            .sessions
            .acquire()
            .await
            .map_err(|_| PortError::new("smtp", "the mailer is shut down"))?;
        match &self.transport {
            Transport::Own(sessions) => {
                sessions
                    .send(message.envelope(), &message.formatted())
                    .await?
            }
            Transport::Lettre(transport) => {
                transport
                    .send(message)
                    .await
                    .map_err(|e| delivery_err(&e))?;
            }
        }
        // The recipient is not logged: an address can identify a patient.
        tracing::info!("email handed to the SMTP server");
        Ok(())
    }
}
