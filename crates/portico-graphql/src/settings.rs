//! A practice's own settings: automatic log-off for staff and for patients.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use portico_core::{
    audit::{self, Access as AuditAccess},
    tenancy::Access,
    tenants,
};

use crate::{
    context::ContextExt,
    user_error::{UserError, settle},
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

fn current(
    ctx: &Context<'_>,
    tenant: &portico_core::entities::tenant::Model,
) -> async_graphql::Result<SessionSettings> {
    let defaults = ctx.services()?.sessions;
    let minutes = |own: Option<i32>, default: std::time::Duration| {
        own.unwrap_or_else(|| i32::try_from(default.as_secs() / 60).unwrap_or(i32::MAX))
    };
    Ok(SessionSettings {
        staff_idle_minutes: minutes(tenant.staff_idle_minutes, defaults.staff_idle),
        patient_idle_minutes: minutes(tenant.patient_idle_minutes, defaults.patient_idle),
    })
}

#[derive(Default)]
pub struct SettingsQuery;

#[Object]
impl SettingsQuery {
    /// The practice's automatic log-off (practice admins).
    async fn session_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<SessionSettings> {
        ctx.authorize("settings", "manage").await?;
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
        let principal = ctx.authorize("settings", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Write).await?;
        let updated = async {
            let updated = tenants::set_idle_timeouts(
                &tx,
                input.staff_idle_minutes,
                input.patient_idle_minutes,
            )
            .await?;
            audit::record(
                &tx,
                &ctx.actor(&principal),
                AuditAccess {
                    action: "settings.session_timeouts",
                    resource_type: "Tenant",
                    resource_id: Some(updated.tenant.id),
                    patient_id: None,
                },
            )
            .await?;
            Ok(updated)
        }
        .await;
        Ok(match settle(tx, updated, &request_id).await? {
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
