//! Telling a practice's admins that one of their webhook endpoints was turned off because
//! its deliveries kept failing. The email names the endpoint's host only (no event, no id
//! of a chart) and links to the console, where the delivery log says what failed.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter};

use crate::{
    CoreResult, TenantTx,
    entities::{user, webhook_endpoint},
    identity::Role,
    outbox,
    ports::Email,
};

/// Writes one email per active practice admin to the outbox, in the caller's transaction;
/// how many. `console_url` is where the console's Webhooks page opens.
pub async fn endpoint_disabled(
    tx: &TenantTx,
    endpoint: &webhook_endpoint::Model,
    practice_name: &str,
    console_url: &str,
    at: DateTime<Utc>,
) -> CoreResult<usize> {
    let admins = tx
        .find::<user::Entity>()
        .filter(user::Column::Role.eq(Role::PracticeAdmin.as_str()))
        .filter(user::Column::Status.eq("active"))
        .all(tx.conn())
        .await?;
    let host = url_host(&endpoint.url);
    let text = format!(
        "One of {practice_name}'s webhook endpoints ({host}) was turned off: its deliveries \
         failed for about three days with no success.\n\n\
         Open the console to read its delivery log, fix the receiver, turn the endpoint back \
         on and replay what it missed:\n{console_url}\n"
    );
    let mut written = 0;
    for admin in admins {
        let email = Email {
            to: admin.email.clone(),
            subject: format!("{practice_name}: a webhook endpoint was turned off"),
            text: text.clone(),
            html: None,
            message_id: None,
        };
        let key = format!(
            "webhook-disabled:{}:{}:{}",
            endpoint.id,
            at.timestamp(),
            admin.id
        );
        written += usize::from(outbox::email(tx, &key, &email).await?);
    }
    Ok(written)
}

/// The host of a stored endpoint address (they are checked URLs), or a neutral word.
fn url_host(url: &str) -> &str {
    let authority = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?']).next())
        .unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    if host.is_empty() { "its address" } else { host }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_notice_names_the_host_only() {
        assert_eq!(
            super::url_host("https://hooks.example.org:8443/in?k=1"),
            "hooks.example.org"
        );
        assert_eq!(super::url_host("https://[::1]:9/x"), "::1");
        assert_eq!(super::url_host("http://127.0.0.1:9/x"), "127.0.0.1");
    }
}
