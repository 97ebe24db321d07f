//! The emails of a patient's account: the activation code a practice issues, and the link
//! that resets a forgotten password. Neither carries anything about the chart beyond the
//! practice's name.

use std::time::Duration;

use crate::{
    activation::Issued,
    entities::tenant,
    notify::{Language, templates},
    ports::Email,
};

/// The email that carries a new activation code, when the chart has an address; in the
/// chart's language, linking to the practice's activation page.
pub fn activation(issued: &Issued, practice: &tenant::Model, public_url: &str) -> Option<Email> {
    let to = issued.patient.email.clone()?;
    let mail = templates::activation_email(
        Language::of(issued.patient.preferred_language.as_deref()),
        &practice.display_name,
        &format!("{public_url}/t/{}/activate", practice.slug),
        &issued.code,
        &issued.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    Some(Email {
        to,
        subject: mail.subject,
        text: mail.text,
        html: None,
        message_id: None,
    })
}

/// The email with a password-reset link valid for `ttl`; the token rides in the fragment,
/// which browsers never send to a server.
pub fn password_reset(
    to: String,
    language: Language,
    practice: &tenant::Model,
    public_url: &str,
    ttl: Duration,
    token: &str,
) -> Email {
    let mail = templates::password_reset_email(
        language,
        &practice.display_name,
        ttl.as_secs() / 60,
        &format!(
            "{public_url}/t/{}/reset-password#token={token}",
            practice.slug
        ),
    );
    Email {
        to,
        subject: mail.subject,
        text: mail.text,
        html: None,
        message_id: None,
    }
}
