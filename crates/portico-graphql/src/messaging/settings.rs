//! A practice's messaging settings: the response-time target (practice admins).

use async_graphql::{Context, InputObject, Object, SimpleObject};
use portico_core::{entities::tenant, messaging};

use super::scope::{READ, staff_only};
use crate::{
    context::ContextExt,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

#[derive(SimpleObject)]
pub struct MessagingSettings {
    /// Hours within which a patient's message should be answered; later, it is overdue.
    response_target_hours: i32,
}

impl From<&tenant::Model> for MessagingSettings {
    fn from(t: &tenant::Model) -> Self {
        Self {
            response_target_hours: t
                .message_response_target_hours
                .unwrap_or(messaging::DEFAULT_RESPONSE_TARGET_HOURS),
        }
    }
}

#[derive(Default)]
pub struct MessagingSettingsQuery;

#[Object]
impl MessagingSettingsQuery {
    /// The practice's response-time target (staff).
    async fn messaging_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<MessagingSettings> {
        staff_only(ctx)?;
        ctx.caller(READ).await?;
        Ok(MessagingSettings::from(&ctx.tenant()?.tenant))
    }
}

#[derive(InputObject)]
pub struct UpdateMessagingSettingsInput {
    /// 1 to 720; unset restores the default (24).
    response_target_hours: Option<i32>,
}

#[derive(SimpleObject, Default)]
pub struct UpdateMessagingSettingsPayload {
    messaging_settings: Option<MessagingSettings>,
    user_errors: Vec<UserError>,
}

refusable!(UpdateMessagingSettingsPayload);

#[derive(Default)]
pub struct MessagingSettingsMutation;

#[Object]
impl MessagingSettingsMutation {
    async fn update_messaging_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateMessagingSettingsInput,
    ) -> async_graphql::Result<UpdateMessagingSettingsPayload> {
        let hours = input.response_target_hours;
        let outcome = ctx
            .mutate(Need::to("settings", "manage"), async |tx, caller| {
                messaging::change_response_target(tx, &caller.actor, hours).await
            })
            .await?;
        Ok(outcome.payload(|t| UpdateMessagingSettingsPayload {
            messaging_settings: Some(MessagingSettings::from(&t)),
            user_errors: Vec::new(),
        }))
    }
}
