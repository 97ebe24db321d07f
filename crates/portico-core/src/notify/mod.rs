//! Notifications to patients: one call renders a notice from the practice's branded
//! templates and writes it to the outbox, in the caller's transaction, on each channel the
//! patient wants (email, SMS). A text message is held back through the patient's quiet
//! hours (a phone buzzes; an email waits in an inbox, so it goes at once). A patient who
//! opted out gets nothing; an address that bounced is skipped until it changes.

pub mod deliveries;
pub mod preferences;
pub mod quiet_hours;
pub mod settings;
pub mod templates;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use std::collections::HashMap;

use crate::{
    CoreResult, TenantTx, UserId,
    entities::{patient, tenant, user},
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

    /// A feedback survey's one-time link; the token travels in the fragment, as a
    /// reminder's does.
    pub fn feedback(&self, token: &str) -> String {
        format!("{}/feedback#token={token}", self.url)
    }

    /// The portal's refill requests.
    pub fn refills(&self) -> String {
        format!("{}/refills", self.url)
    }

    /// The activation page with a code filled in; the code travels in the fragment, as a
    /// reminder's token does.
    pub fn activate(&self, code: &str) -> String {
        format!("{}/activate#code={code}", self.url)
    }

    pub fn forms(&self) -> String {
        format!("{}/forms", self.url)
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

/// The channels a sender allows; the patient's preferences still decide within them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channels {
    pub email: bool,
    pub sms: bool,
}

impl Channels {
    pub const BOTH: Channels = Channels {
        email: true,
        sms: true,
    };
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
    let written = to_patients(tx, portal, &[(patient_id, send.clone())], now).await?;
    Ok(written.first().copied().unwrap_or_default())
}

/// A message [`to_patients`] is about to write.
struct Planned {
    /// Which notice it carries.
    notice: usize,
    key: String,
    /// Held back until then (quiet hours).
    not_before: Option<DateTime<Utc>>,
    message: Outgoing,
}

/// Patients per query of [`to_patients`].
const CHART_CHUNK: usize = 500;

/// As [`to_patient`] for many notices at once (a batch of reminders): the charts and
/// accounts are read in a few queries and the messages written in a few statements, however
/// many there are. Returns, in order, what was written for each.
pub async fn to_patients(
    tx: &TenantTx,
    portal: &Portal,
    notices: &[(Uuid, Send<'_>)],
    now: DateTime<Utc>,
) -> CoreResult<Vec<Written>> {
    to_patients_on(tx, portal, notices, now, Channels::BOTH).await
}

/// As [`to_patients`], on `channels` only (an invitation campaign that texts no one).
pub async fn to_patients_on(
    tx: &TenantTx,
    portal: &Portal,
    notices: &[(Uuid, Send<'_>)],
    now: DateTime<Utc>,
    channels: Channels,
) -> CoreResult<Vec<Written>> {
    let mut written = vec![Written::default(); notices.len()];
    if notices.is_empty() {
        return Ok(written);
    }
    let charts = charts_of(tx, notices.iter().map(|(id, _)| *id)).await?;
    let accounts = account_emails(tx, charts.values()).await?;
    let practice = tenants::own_row(tx).await?.tenant;
    let brand = Brand::of(&practice);
    let quiet = quiet_hours_of(&practice);
    let mut planned: Vec<Planned> = Vec::new();
    for (index, (patient_id, send)) in notices.iter().enumerate() {
        let Some(chart) = charts.get(patient_id) else {
            continue;
        };
        if chart.notifications_opted_out_at.is_some() {
            continue;
        }
        let email_to = if channels.email && chart.notify_email && chart.email_bounced_at.is_none() {
            chart
                .email
                .clone()
                .or_else(|| chart.user_id.and_then(|user| accounts.get(&user).cloned()))
        } else {
            None
        };
        let sms_to = if channels.sms && chart.notify_sms && chart.phone_bounced_at.is_none() {
            chart.phone.as_deref().and_then(preferences::mobile_number)
        } else {
            None
        };
        if email_to.is_none() && sms_to.is_none() {
            continue;
        }
        let rendered = templates::render(
            send.notice,
            &brand,
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
        let mut not_before = quiet_hours::next_allowed(now, zone, quiet);
        if send.deadline.is_some_and(|d| not_before >= d) {
            not_before = now;
        }
        if let Some(to) = email_to {
            let email = Email {
                to,
                subject: rendered.subject,
                text: rendered.text,
                html: Some(rendered.html),
                message_id: None,
            };
            planned.push(Planned {
                notice: index,
                key: send.key.to_owned(),
                not_before: None,
                message: Outgoing::Email(email),
            });
        }
        if let Some(to) = sms_to {
            let sms = Sms {
                to,
                text: rendered.sms.clone(),
                message_id: None,
            };
            planned.push(Planned {
                notice: index,
                key: format!("{}:sms", send.key),
                not_before: (not_before > now).then_some(not_before),
                message: Outgoing::Sms(sms),
            });
        }
    }
    let messages: Vec<(Envelope<'_>, Outgoing)> = planned
        .iter()
        .map(|p| {
            let (patient_id, send) = &notices[p.notice];
            let envelope = Envelope {
                key: &p.key,
                topic: send.topic,
                patient_id: Some(*patient_id),
                not_before: p.not_before,
            };
            (envelope, p.message.clone())
        })
        .collect();
    let inserted = outbox::write_many(tx, &messages).await?;
    for (p, inserted) in planned.iter().zip(inserted) {
        match p.message {
            Outgoing::Sms(_) => written[p.notice].sms = inserted,
            Outgoing::Email(_) => written[p.notice].email = inserted,
        }
    }
    tracing::debug!(
        notices = notices.len(),
        messages = planned.len(),
        "notifications written to the outbox"
    );
    Ok(written)
}

/// The charts of `ids`, by id.
async fn charts_of(
    tx: &TenantTx,
    ids: impl Iterator<Item = Uuid>,
) -> CoreResult<HashMap<Uuid, patient::Model>> {
    let ids: Vec<Uuid> = ids
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut charts = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHART_CHUNK) {
        let found = tx
            .find::<patient::Entity>()
            .filter(patient::Column::Id.is_in(chunk.iter().copied()))
            .all(tx.conn())
            .await?;
        charts.extend(found.into_iter().map(|chart| (chart.id, chart)));
    }
    Ok(charts)
}

/// The portal accounts' addresses of the charts that have no address of their own but may
/// be emailed, by user id.
async fn account_emails<'a>(
    tx: &TenantTx,
    charts: impl Iterator<Item = &'a patient::Model>,
) -> CoreResult<HashMap<Uuid, String>> {
    let users: Vec<Uuid> = charts
        .filter(|c| c.email.is_none() && c.notify_email && c.email_bounced_at.is_none())
        .filter_map(|c| c.user_id)
        .collect();
    let mut emails = HashMap::with_capacity(users.len());
    for chunk in users.chunks(CHART_CHUNK) {
        let found = tx
            .find::<user::Entity>()
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .all(tx.conn())
            .await?;
        emails.extend(found.into_iter().map(|u| (u.id, u.email)));
    }
    Ok(emails)
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
