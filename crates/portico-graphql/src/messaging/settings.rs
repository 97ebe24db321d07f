//! A practice's messaging settings: the response-time target (practice admins).

use async_graphql::{Context, InputObject, Object, SimpleObject};
use portico_core::{
    audit::{self, Access as AuditAccess},
    entities::tenant,
    messaging,
    tenancy::Access,
};

use crate::{
    context::ContextExt,
    user_error::{UserError, settle},
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
        super::scope::staff_scope(ctx, super::scope::Need::Read).await?;
        Ok(MessagingSettings::from(&ctx.tenant()?.tenant))
    }
}

#[derive(InputObject)]
pub struct UpdateMessagingSettingsInput {
    /// 1 to 720; unset restores the default (24).
    response_target_hours: Option<i32>,
}

#[derive(SimpleObject)]
pub struct UpdateMessagingSettingsPayload {
    messaging_settings: Option<MessagingSettings>,
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct MessagingSettingsMutation;

#[Object]
impl MessagingSettingsMutation {
    async fn update_messaging_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateMessagingSettingsInput,
    ) -> async_graphql::Result<UpdateMessagingSettingsPayload> {
        let principal = ctx.authorize("settings", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Write).await?;
        let updated = async {
            let updated = messaging::set_response_target(&tx, input.response_target_hours).await?;
            audit::record(
                &tx,
                &ctx.actor(&principal),
                AuditAccess {
                    action: "settings.messaging",
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
            Ok(t) => UpdateMessagingSettingsPayload {
                messaging_settings: Some(MessagingSettings::from(&t)),
                user_errors: Vec::new(),
            },
            Err(user_errors) => UpdateMessagingSettingsPayload {
                messaging_settings: None,
                user_errors,
            },
        })
    }
}
