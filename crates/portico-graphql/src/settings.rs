//! A practice's own settings: automatic log-off for staff and for patients.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use portico_core::session_settings::{self, idle_minutes};

use crate::{
    context::ContextExt,
    run::{Need, Run, refusable},
    user_error::UserError,
};

/// Automatic log-off, in minutes of inactivity.
#[derive(SimpleObject)]
pub struct SessionSettings {
    staff_idle_minutes: i32,
    patient_idle_minutes: i32,
}

#[derive(InputObject)]
pub struct UpdateSessionSettingsInput {
    /// 5 to 720; unset restores the platform default (15).
    staff_idle_minutes: Option<i32>,
    /// 5 to 720; unset restores the platform default (30).
    patient_idle_minutes: Option<i32>,
}

#[derive(SimpleObject, Default)]
pub struct UpdateSessionSettingsPayload {
    session_settings: Option<SessionSettings>,
    user_errors: Vec<UserError>,
}

refusable!(UpdateSessionSettingsPayload);

fn current(
    ctx: &Context<'_>,
    tenant: &portico_core::entities::tenant::Model,
) -> async_graphql::Result<SessionSettings> {
    let defaults = ctx.services()?.sessions;
    Ok(SessionSettings {
        staff_idle_minutes: idle_minutes(tenant.staff_idle_minutes, defaults.staff_idle),
        patient_idle_minutes: idle_minutes(tenant.patient_idle_minutes, defaults.patient_idle),
    })
}

#[derive(Default)]
pub struct SettingsQuery;

#[Object]
impl SettingsQuery {
    /// The practice's automatic log-off (practice admins).
    async fn session_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<SessionSettings> {
        ctx.caller(Need::to("settings", "manage")).await?;
        current(ctx, &ctx.tenant()?.tenant)
    }
}

#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    /// Changes the practice's automatic log-off; new sessions follow it.
    async fn update_session_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateSessionSettingsInput,
    ) -> async_graphql::Result<UpdateSessionSettingsPayload> {
        let outcome = ctx
            .mutate(Need::to("settings", "manage"), async |tx, caller| {
                session_settings::change(
                    tx,
                    &caller.actor,
                    input.staff_idle_minutes,
                    input.patient_idle_minutes,
                )
                .await
            })
            .await?;
        Ok(match outcome {
            Ok(updated) => UpdateSessionSettingsPayload {
                session_settings: Some(current(ctx, &updated.tenant)?),
                user_errors: Vec::new(),
            },
            Err(user_errors) => UpdateSessionSettingsPayload {
                session_settings: None,
                user_errors,
            },
        })
    }
}
