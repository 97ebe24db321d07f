//! Appointment reminders: the practice's offsets (practice admins) and the answer a patient
//! gives through a reminder's one-time link, without signing in.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use portico_core::{
    audit::{self, Access as AuditAccess, Actor},
    ports::Job,
    scheduling::reminders::{self, Answer},
    tenancy::Access,
};

use super::{access::clock, appointments::relay_outbox};
use crate::{
    context::ContextExt,
    user_error::{UserError, settle},
};

/// After a booking: reminders already due (a visit booked at short notice) go out now
/// rather than at the next minute's sweep.
pub(super) async fn send_due_now(ctx: &Context<'_>) -> async_graphql::Result<()> {
    let tenant_id = ctx.tenant()?.id();
    if let Err(e) = ctx
        .services()?
        .queue
        .enqueue(Job::SendReminders { tenant_id })
        .await
    {
        tracing::warn!(error = %e, "reminder job not queued; the sweep will send them");
    }
    Ok(())
}

#[derive(SimpleObject)]
pub struct ReminderSettings {
    /// Minutes before a visit, largest first.
    offsets_minutes: Vec<i32>,
}

#[derive(InputObject)]
pub struct UpdateReminderSettingsInput {
    /// One to five offsets, 5 minutes to 30 days; unset restores the default (72 h, 24 h,
    /// 2 h). Visits booked from now on follow them.
    offsets_minutes: Option<Vec<i32>>,
}

#[derive(SimpleObject, Default)]
pub struct UpdateReminderSettingsPayload {
    reminder_settings: Option<ReminderSettings>,
    user_errors: Vec<UserError>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ReminderAnswer {
    Confirm,
    Cancel,
}

#[derive(InputObject)]
pub struct AnswerReminderInput {
    /// The token after `#token=` in the reminder's link.
    token: String,
    answer: ReminderAnswer,
}

/// What became of the visit; nothing else about it (the link is not a sign-in).
#[derive(SimpleObject, Default)]
pub struct AnswerReminderPayload {
    confirmed: bool,
    cancelled: bool,
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct RemindersQuery;

#[Object]
impl RemindersQuery {
    async fn reminder_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<ReminderSettings> {
        ctx.authorize("scheduling", "read").await?;
        Ok(ReminderSettings {
            offsets_minutes: reminders::offsets_of(&ctx.tenant()?.tenant),
        })
    }
}

#[derive(Default)]
pub struct RemindersMutation;

#[Object]
impl RemindersMutation {
    /// Sets when patients are reminded of their visits (practice admins).
    async fn update_reminder_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateReminderSettingsInput,
    ) -> async_graphql::Result<UpdateReminderSettingsPayload> {
        let principal = ctx.authorize("scheduling", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Write).await?;
        let updated = async {
            let updated = reminders::set_offsets(&tx, input.offsets_minutes.as_deref()).await?;
            audit::record(
                &tx,
                &ctx.actor(&principal),
                AuditAccess {
                    action: "settings.reminders",
                    resource_type: "Tenant",
                    resource_id: Some(updated.id),
                    patient_id: None,
                },
            )
            .await?;
            Ok(updated)
        }
        .await;
        Ok(match settle(tx, updated, &request_id).await? {
            Ok(tenant) => UpdateReminderSettingsPayload {
                reminder_settings: Some(ReminderSettings {
                    offsets_minutes: reminders::offsets_of(&tenant),
                }),
                user_errors: Vec::new(),
            },
            Err(user_errors) => UpdateReminderSettingsPayload {
                reminder_settings: None,
                user_errors,
            },
        })
    }

    /// Confirms or cancels a visit from a reminder's one-time link (no sign-in). Cancelling
    /// follows the portal's cancellation window. `INVALID_LINK` for a used, expired or
    /// unknown link.
    async fn answer_reminder(
        &self,
        ctx: &Context<'_>,
        input: AnswerReminderInput,
    ) -> async_graphql::Result<AnswerReminderPayload> {
        let request_id = ctx.request()?.request_id.clone();
        let clock = clock(ctx)?;
        let actor = Actor {
            kind: "reminder_link",
            ..Actor::system()
        }
        .with_request(&request_id)
        .with_client(ctx.request()?.client_ip);
        let answer = match input.answer {
            ReminderAnswer::Confirm => Answer::Confirm,
            ReminderAnswer::Cancel => Answer::Cancel,
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let text = super::appointments::notice_text(ctx)?;
        let answered = async {
            let visit = reminders::answer(&tx, &actor, clock, input.token.trim(), answer).await?;
            let notices = if answer == Answer::Cancel {
                portico_core::scheduling::waitlist::on_opening(
                    &tx,
                    &actor,
                    clock,
                    (&visit).into(),
                    &text,
                )
                .await?
            } else {
                0
            };
            Ok((visit, notices))
        }
        .await;
        Ok(match settle(tx, answered, &request_id).await? {
            Ok((visit, notices)) => {
                relay_outbox(ctx, notices).await?;
                AnswerReminderPayload {
                    confirmed: visit.confirmed_at.is_some(),
                    cancelled: visit.status == portico_core::scheduling::appointments::CANCELLED,
                    user_errors: Vec::new(),
                }
            }
            Err(user_errors) => AnswerReminderPayload {
                confirmed: false,
                cancelled: false,
                user_errors,
            },
        })
    }
}
