//! The embedded profile's mailer: each email becomes a file in an outbox folder, which a
//! developer can open (and tests read). The log names the file, never the recipient.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::ports::{Email, Mailer, PortError};

pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: Email) -> Result<(), PortError> {
        let err = |e: std::io::Error| PortError::new("outbox-mailer", e);
        tokio::fs::create_dir_all(&self.dir).await.map_err(err)?;
        // One file per effect: the same message sent again replaces its file.
        let name = match email
            .message_id
            .as_deref()
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
        {
            Some(id) => format!("{id}.eml"),
            None => format!("{}.eml", uuid::Uuid::now_v7()),
        };
        let body = format!(
            "To: {}\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            email.to, email.subject, email.text
        );
        // Write then rename, so a reader never sees half a message.
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, body).await.map_err(err)?;
        tokio::fs::rename(&tmp, self.dir.join(&name))
            .await
            .map_err(err)?;
        tracing::info!(file = %name, "email written to the outbox");
        Ok(())
    }
}
