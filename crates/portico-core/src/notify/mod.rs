//! Notifications to patients: one call renders a notice from the practice's branded
//! templates and writes it to the outbox, in the caller's transaction, on each channel the
//! patient wants (email, SMS). A text message is held back through the patient's quiet
//! hours (a phone buzzes; an email waits in an inbox, so it goes at once). A patient who
//! opted out gets nothing; an address that bounced is skipped until it changes.

pub mod preferences;
pub mod quiet_hours;
pub mod settings;
pub mod templates;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    CoreResult, TenantTx, UserId,
    entities::{patient, tenant},
    outbox::{self, Envelope, Outgoing},
    ports::{Email, Sms},
    tenants,
};

pub use quiet_hours::QuietHours;
pub use templates::{AccountEmail, Brand, Language, Notice, Rendered};

/// Messages handed out per practice per hour when the practice has not set its own limit.
pub const DEFAULT_SENDING_LIMIT_PER_HOUR: i32 = 10_000;

/// Where a practice's portal lives (`{public_url}/t/{slug}`); links in notices start here.
#[derive(Clone, Debug)]
pub struct Portal {
    pub url: String,
}

impl Portal {
    pub fn new(public_url: &str, slug: &str) -> Self {
        Self {
            url: format!("{}/t/{slug}", public_url.trim_end_matches('/')),
        }
    }

    pub fn booking(&self) -> String {
        format!("{}/book", self.url)
    }

    /// A reminder's one-time link; the token travels in the fragment, which browsers do not
    /// send to servers or put in logs.
    pub fn visit(&self, token: &str) -> String {
        format!("{}/visit#token={token}", self.url)
    }

    /// A conversation in the portal's messages (the id names nothing about the patient).
    pub fn thread(&self, thread_id: uuid::Uuid) -> String {
        format!("{}/messages/{thread_id}", self.url)
    }

    /// The portal's refill requests.
    pub fn refills(&self) -> String {
        format!("{}/refills", self.url)
    }

    pub fn settings(&self) -> String {
        format!("{}/settings/notifications", self.url)
    }
}

/// One notice to one patient.
#[derive(Clone, Debug)]
pub struct Send<'a> {
    pub notice: Notice,
    /// One per effect; each channel's message is keyed from it.
    pub key: &'a str,
    /// What it is about, so a later change can withdraw it.
    pub topic: Option<&'a str>,
    /// The notice's one action.
    pub link: &'a str,
    /// Quiet hours do not hold a notice back past this (a reminder of an early visit).
    pub deadline: Option<DateTime<Utc>>,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub email: bool,
    pub sms: bool,
}

impl Written {
    pub fn any(self) -> bool {
        self.email || self.sms
    }
}

/// The practice's quiet hours.
pub fn quiet_hours_of(practice: &tenant::Model) -> QuietHours {
    match (practice.quiet_hours_start, practice.quiet_hours_end) {
        (Some(start), Some(end)) => QuietHours {
            start: u32::try_from(start).unwrap_or(0),
            end: u32::try_from(end).unwrap_or(0),
        },
        _ => QuietHours::DEFAULT,
    }
}

pub fn sending_limit_of(practice: &tenant::Model) -> i32 {
    practice
        .sending_limit_per_hour
        .unwrap_or(DEFAULT_SENDING_LIMIT_PER_HOUR)
}

/// Renders `send.notice` and writes it to the outbox for `patient_id` on each channel the
/// patient can be reached on, at `now` or when their quiet hours end.
pub async fn to_patient(
    tx: &TenantTx,
    portal: &Portal,
    patient_id: Uuid,
    send: &Send<'_>,
    now: DateTime<Utc>,
) -> CoreResult<Written> {
    let Some(chart) = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(patient_id))
        .one(tx.conn())
        .await?
    else {
        return Ok(Written::default());
    };
    if chart.notifications_opted_out_at.is_some() {
        return Ok(Written::default());
    }
    let email_to = if chart.notify_email && chart.email_bounced_at.is_none() {
        email_address(tx, &chart).await?
    } else {
        None
    };
    let sms_to = if chart.notify_sms && chart.phone_bounced_at.is_none() {
        chart.phone.as_deref().and_then(preferences::mobile_number)
    } else {
        None
    };
    if email_to.is_none() && sms_to.is_none() {
        return Ok(Written::default());
    }
    let practice = tenants::own_row(tx).await?.tenant;
    let rendered = templates::render(
        send.notice,
        &Brand::of(&practice),
        send.link,
        &portal.settings(),
        Language::of(chart.preferred_language.as_deref()),
    )?;
    // Quiet hours follow the patient's zone, else the practice's.
    let zone: Tz = chart
        .time_zone
        .as_deref()
        .or(Some(practice.time_zone.as_str()))
        .and_then(|z| z.parse().ok())
        .unwrap_or(Tz::UTC);
    let mut not_before = quiet_hours::next_allowed(now, zone, quiet_hours_of(&practice));
    if send.deadline.is_some_and(|d| not_before >= d) {
        not_before = now;
    }
    let envelope = |key, not_before: Option<DateTime<Utc>>| Envelope {
        key,
        topic: send.topic,
        patient_id: Some(chart.id),
        not_before,
    };
    let mut written = Written::default();
    if let Some(to) = email_to {
        let email = Email {
            to,
            subject: rendered.subject.clone(),
            text: rendered.text.clone(),
            html: Some(rendered.html.clone()),
            message_id: None,
        };
        written.email =
            outbox::write(tx, &envelope(send.key, None), &Outgoing::Email(email)).await?;
    }
    if let Some(to) = sms_to {
        let sms = Sms {
            to,
            text: rendered.sms.clone(),
            message_id: None,
        };
        let key = format!("{}:sms", send.key);
        let held = (not_before > now).then_some(not_before);
        written.sms = outbox::write(tx, &envelope(&key, held), &Outgoing::Sms(sms)).await?;
    }
    tracing::debug!(
        kind = send.notice.kind(),
        email = written.email,
        sms = written.sms,
        "notification written to the outbox"
    );
    Ok(written)
}

/// The language of emails about `user`'s account: their own chart's preferred language
/// (English for staff and for a patient who stated none).
pub async fn language_of_account(tx: &TenantTx, user: UserId) -> CoreResult<Language> {
    let chart = tx
        .find::<patient::Entity>()
        .filter(patient::Column::UserId.eq(user.as_uuid()))
        .one(tx.conn())
        .await?;
    Ok(Language::of(
        chart.as_ref().and_then(|c| c.preferred_language.as_deref()),
    ))
}

/// Where to email a patient: the chart's address, else their portal account's.
pub async fn email_address(tx: &TenantTx, chart: &patient::Model) -> CoreResult<Option<String>> {
    if let Some(email) = &chart.email {
        return Ok(Some(email.clone()));
    }
    match chart.user_id {
        Some(user) => Ok(crate::accounts::find_by_id(tx, UserId::from_uuid(user))
            .await?
            .map(|u| u.email)),
        None => Ok(None),
    }
}
