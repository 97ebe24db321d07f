//! How notifications reach patients: a practice's quiet hours and hourly sending limit
//! (practice admins), and each patient's channels, opt-out and time zone (the patient, or
//! staff on the patient's behalf).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId,
    chart_access::{self, Purpose},
    entities::{patient, tenant},
    notify::{
        self,
        preferences::{self, PreferencesUpdate},
        settings,
    },
};

use crate::{
    context::ContextExt,
    global_id,
    patients::Patient,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

/// Practice admins set the delivery rules.
const MANAGE: Need = Need::to("notifications", "manage");

/// A practice's delivery rules.
#[derive(SimpleObject)]
pub struct NotificationSettings {
    /// Text messages wait from this local time (`HH:MM`, in the patient's zone)...
    quiet_hours_start: String,
    /// ...until this one. Equal times mean no quiet hours. Email is not held back.
    quiet_hours_end: String,
    /// Messages handed out per hour at most; the rest wait for the next hour.
    sending_limit_per_hour: i32,
}

impl From<&tenant::Model> for NotificationSettings {
    fn from(t: &tenant::Model) -> Self {
        let quiet = notify::quiet_hours_of(t);
        Self {
            quiet_hours_start: settings::clock(quiet.start),
            quiet_hours_end: settings::clock(quiet.end),
            sending_limit_per_hour: notify::sending_limit_of(t),
        }
    }
}

/// How a patient wants to hear from the practice.
#[derive(SimpleObject)]
pub struct NotificationPreferences {
    email: bool,
    sms: bool,
    /// No notifications at all (the portal still shows everything).
    opted_out: bool,
    /// The zone quiet hours follow; `null` means the practice's.
    time_zone: Option<String>,
    /// When mail to the address was refused for good; cleared when the address changes.
    email_bounced_at: Option<DateTime<Utc>>,
    sms_bounced_at: Option<DateTime<Utc>>,
}

impl From<&patient::Model> for NotificationPreferences {
    fn from(p: &patient::Model) -> Self {
        Self {
            email: p.notify_email,
            sms: p.notify_sms,
            opted_out: p.notifications_opted_out_at.is_some(),
            time_zone: p.time_zone.clone(),
            email_bounced_at: p.email_bounced_at,
            sms_bounced_at: p.phone_bounced_at,
        }
    }
}

#[derive(Default)]
pub struct NotificationsQuery;

#[Object]
impl NotificationsQuery {
    /// The practice's quiet hours and sending limit (practice admins).
    async fn notification_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<NotificationSettings> {
        ctx.caller(MANAGE).await?;
        Ok(NotificationSettings::from(&ctx.tenant()?.tenant))
    }
}

#[derive(InputObject)]
pub struct UpdateNotificationSettingsInput {
    /// `HH:MM`; give both or neither (neither restores 21:00 to 08:00).
    quiet_hours_start: Option<String>,
    quiet_hours_end: Option<String>,
    /// 1 to 1,000,000; unset restores the platform default (10,000).
    sending_limit_per_hour: Option<i32>,
}

#[derive(SimpleObject, Default)]
pub struct UpdateNotificationSettingsPayload {
    notification_settings: Option<NotificationSettings>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateNotificationPreferencesInput {
    patient_id: ID,
    email: Option<bool>,
    /// Needs a mobile number in international form in the contact details.
    sms: Option<bool>,
    opted_out: Option<bool>,
    /// An IANA zone such as `America/Chicago`; an empty string goes back to the practice's.
    time_zone: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct UpdateNotificationPreferencesPayload {
    patient: Option<Patient>,
    user_errors: Vec<UserError>,
}

refusable!(
    UpdateNotificationSettingsPayload,
    UpdateNotificationPreferencesPayload
);

#[derive(Default)]
pub struct NotificationsMutation;

#[Object]
impl NotificationsMutation {
    /// Changes the practice's quiet hours and sending limit.
    async fn update_notification_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateNotificationSettingsInput,
    ) -> async_graphql::Result<UpdateNotificationSettingsPayload> {
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                settings::change(
                    tx,
                    &caller.actor,
                    input.quiet_hours_start.as_deref(),
                    input.quiet_hours_end.as_deref(),
                    input.sending_limit_per_hour,
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|t| UpdateNotificationSettingsPayload {
            notification_settings: Some(NotificationSettings::from(&t)),
            user_errors: Vec::new(),
        }))
    }

    /// Changes how a patient hears from the practice (the patient on their own chart, or
    /// staff; not proxies).
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        input: UpdateNotificationPreferencesInput,
    ) -> async_graphql::Result<UpdateNotificationPreferencesPayload> {
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let change = PreferencesUpdate {
            email: input.email,
            sms: input.sms,
            opted_out: input.opted_out,
            time_zone: input.time_zone,
        };
        let outcome = ctx
            .mutate(
                Need::to("patients", "write").or_own("own_chart"),
                async |tx, caller| {
                    let chart = chart_access::open(
                        tx,
                        &caller.viewer(),
                        PatientId::from_uuid(patient),
                        Purpose::Write,
                    )
                    .await?;
                    let actor = caller.actor.clone().with_break_glass(chart.break_glass);
                    preferences::update(tx, &actor, &chart, change).await
                },
            )
            .await?;
        Ok(outcome.payload(|p| UpdateNotificationPreferencesPayload {
            patient: Some(Patient(p)),
            user_errors: Vec::new(),
        }))
    }
}
