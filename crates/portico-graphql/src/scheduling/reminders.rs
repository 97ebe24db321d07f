//! Appointment reminders: the practice's offsets (practice admins) and the answer a patient
//! gives through a reminder's one-time link, without signing in.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use portico_core::{
    audit::Actor,
    ports::Job,
    scheduling::{
        openings, practice_setup,
        reminders::{self, Answer},
    },
};

use super::{
    access::clock,
    appointments::{notice_text, relay_outbox},
};
use crate::{
    context::ContextExt,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
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
        ctx.caller(Need::to("scheduling", "read")).await?;
        Ok(ReminderSettings {
            offsets_minutes: reminders::offsets_of(&ctx.tenant()?.tenant),
        })
    }
}

refusable!(UpdateReminderSettingsPayload, AnswerReminderPayload);

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
        let outcome = ctx
            .mutate(Need::to("scheduling", "manage"), async |tx, caller| {
                let offsets = input.offsets_minutes.as_deref();
                practice_setup::set_reminder_offsets(tx, &caller.actor, offsets).await
            })
            .await?;
        Ok(outcome.payload(|tenant| UpdateReminderSettingsPayload {
            reminder_settings: Some(ReminderSettings {
                offsets_minutes: reminders::offsets_of(&tenant),
            }),
            user_errors: Vec::new(),
        }))
    }

    /// Confirms or cancels a visit from a reminder's one-time link (no sign-in). Cancelling
    /// follows the portal's cancellation window. `INVALID_LINK` for a used, expired or
    /// unknown link.
    async fn answer_reminder(
        &self,
        ctx: &Context<'_>,
        input: AnswerReminderInput,
    ) -> async_graphql::Result<AnswerReminderPayload> {
        let clock = clock(ctx)?;
        let answer = match input.answer {
            ReminderAnswer::Confirm => Answer::Confirm,
            ReminderAnswer::Cancel => Answer::Cancel,
        };
        let portal = notice_text(ctx)?;
        let outcome = ctx
            .mutate_public(async |tx, anonymous| {
                // Named in the audit log by the link it came through.
                let actor = Actor {
                    kind: "reminder_link",
                    ..anonymous.clone()
                };
                openings::answer_reminder(tx, &actor, clock, &input.token, answer, &portal).await
            })
            .await?;
        if let Ok((_, notices)) = &outcome {
            relay_outbox(ctx, *notices).await?;
        }
        Ok(outcome.payload(|(visit, _)| {
            let (confirmed, cancelled) = openings::answered(&visit);
            AnswerReminderPayload {
                confirmed,
                cancelled,
                user_errors: Vec::new(),
            }
        }))
    }
}
