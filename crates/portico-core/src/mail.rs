//! The embedded profile's delivery: each email and text message becomes a file in an outbox
//! folder, which a developer can open (and tests read). The log names the file, never the
//! recipient.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::ports::{Email, Mailer, PortError, Sms, SmsSender};

pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

/// One file per effect: the same message sent again replaces its file.
fn file_name(message_id: Option<&str>, extension: &str) -> String {
    match message_id.and_then(|id| uuid::Uuid::parse_str(id).ok()) {
        Some(id) => format!("{id}.{extension}"),
        None => format!("{}.{extension}", uuid::Uuid::now_v7()),
    }
}

/// Writes then renames, so a reader never sees half a message.
async fn write_file(dir: &Path, name: &str, body: String) -> Result<(), PortError> {
    let err = |e: std::io::Error| PortError::new("outbox-folder", e);
    tokio::fs::create_dir_all(dir).await.map_err(err)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&tmp, body).await.map_err(err)?;
    tokio::fs::rename(&tmp, dir.join(name)).await.map_err(err)
}

/// The message as MIME: plain text, or text and HTML as alternatives.
fn mime(email: &Email, boundary: &str) -> String {
    let head = format!(
        "To: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\n",
        email.to, email.subject
    );
    match &email.html {
        None => format!(
            "{head}Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            email.text
        ),
        Some(html) => format!(
            "{head}Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
             --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n\
             --{boundary}--\r\n",
            email.text
        ),
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: Email) -> Result<(), PortError> {
        let name = file_name(email.message_id.as_deref(), "eml");
        let boundary = format!("portico-{}", uuid::Uuid::new_v4().simple());
        write_file(&self.dir, &name, mime(&email, &boundary)).await?;
        tracing::info!(file = %name, "email written to the outbox folder");
        Ok(())
    }
}

/// Text messages as `.sms` files beside the emails.
pub struct OutboxSms {
    dir: PathBuf,
}

impl OutboxSms {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

#[async_trait]
impl SmsSender for OutboxSms {
    async fn send(&self, sms: Sms) -> Result<(), PortError> {
        let name = file_name(sms.message_id.as_deref(), "sms");
        write_file(
            &self.dir,
            &name,
            format!("To: {}\r\n\r\n{}\r\n", sms.to, sms.text),
        )
        .await?;
        tracing::info!(file = %name, "text message written to the outbox folder");
        Ok(())
    }
}
