//! SMTP sessions Portico opens and keeps itself, so that every socket has `TCP_NODELAY`.
//!
//! lettre writes a message's body and its closing `.` in two writes. Without `TCP_NODELAY`
//! the second write waits until the server acknowledges the first, and the server delays that
//! acknowledgement (40 ms on Linux) while it waits for the rest of the message. One session
//! then carries about 25 messages a second however fast both ends are. lettre's own
//! connections do not set the option in its 0.11 releases, so plain and STARTTLS sessions
//! are opened here, on a socket that has it, and handed to lettre's protocol code
//! (`AsyncSmtpConnection::connect_with_transport`).
//!
//! The caller holds one of the mailer's permits while it uses a session, so no more than
//! that many are ever open; idle sessions are kept for the next message.

use std::{
    io,
    sync::Mutex,
    time::{Duration, Instant},
};

use lettre::{
    address::Envelope,
    transport::smtp::{authentication::DEFAULT_MECHANISMS, client::AsyncSmtpConnection},
};
use portico_core::ports::PortError;
use tokio::net::TcpStream;

use super::{
    delivery_err,
    endpoint::{Endpoint, Security},
};

/// Longest a connection and one message's exchange may take before the session is dropped.
const TIMEOUT: Duration = Duration::from_secs(60);
/// A session idle longer than this is checked with NOOP before it carries a message: the
/// server may have closed it.
const CHECK_AFTER: Duration = Duration::from_secs(2);
/// A session idle longer than this is closed instead of reused (relays close idle clients
/// after a minute or a few).
const IDLE_LIMIT: Duration = Duration::from_secs(60);

pub struct Sessions {
    endpoint: Endpoint,
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    connection: AsyncSmtpConnection,
    since: Instant,
}

impl Sessions {
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends one message over an idle session, or a new one.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), PortError> {
        tokio::time::timeout(TIMEOUT, async {
            let mut connection = self.checkout().await?;
            let sent = connection.send(envelope, message).await;
            // lettre quits and marks the session broken on any error, so only a session
            // that is still in a known state goes back.
            if !connection.has_broken() {
                self.checkin(connection);
            }
            sent.map(drop).map_err(|e| delivery_err(&e))
        })
        .await
        .map_err(|_| PortError::new("smtp", "timeout"))?
    }

    fn checkin(&self, connection: AsyncSmtpConnection) {
        self.lock().push(Idle {
            connection,
            since: Instant::now(),
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // The list holds no invariant a panicking holder could break half-way.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The most recently used idle session that still answers, else a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, PortError> {
        loop {
            let Some(Idle {
                mut connection,
                since,
            }) = self.lock().pop()
            else {
                return self.connect().await;
            };
            let idle_for = since.elapsed();
            if idle_for <= IDLE_LIMIT
                && (idle_for <= CHECK_AFTER || connection.test_connected().await)
            {
                return Ok(connection);
            }
            connection.abort().await;
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, PortError> {
        let endpoint = &self.endpoint;
        let socket = open(&endpoint.host, endpoint.port).await.map_err(|e| {
            PortError::new(
                "smtp",
                format!("cannot connect to the server ({})", e.kind()),
            )
        })?;
        let mut connection =
            AsyncSmtpConnection::connect_with_transport(Box::new(socket), &endpoint.hello)
                .await
                .map_err(|e| delivery_err(&e))?;
        if let Security::StartTls { tls, required } = &endpoint.security {
            if connection.can_starttls() {
                connection
                    .starttls(tls.clone(), &endpoint.hello)
                    .await
                    .map_err(|e| delivery_err(&e))?;
            } else if *required {
                connection.abort().await;
                return Err(PortError::new(
                    "smtp",
                    "the server does not offer STARTTLS, which tls=required asks for",
                ));
            }
        }
        if let Some(credentials) = &endpoint.credentials {
            connection
                .auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(|e| delivery_err(&e))?;
        }
        Ok(connection)
    }
}

/// A TCP connection to the server with Nagle's algorithm off (see the module's comment).
async fn open(host: &str, port: u16) -> io::Result<TcpStream> {
    let socket = TcpStream::connect((host, port)).await?;
    socket.set_nodelay(true)?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_are_opened_without_nagles_delay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let socket = open("127.0.0.1", port).await.unwrap();
        assert!(socket.nodelay().unwrap(), "TCP_NODELAY is set");
    }
}
