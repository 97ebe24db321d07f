//! Signing up a practice: the practice (in trial) and its first practice admin, signed in.

use async_graphql::{Context, InputObject, SimpleObject};
use portico_core::{
    accounts::{self, PracticeSignUp},
    identity::Role,
    tenancy::Access,
};

use super::{Session, device_of, start_session};
use crate::{
    context::ContextExt, operators::within_practice, run::Run, tenants::TenantBranding,
    user_error::UserError,
};

#[derive(InputObject)]
pub struct SignUpPracticeInput {
    practice_name: String,
    /// Becomes `{slug}.portico.health`: 3 to 40 lower-case letters, digits and hyphens.
    slug: String,
    /// IANA time zone, e.g. `America/Chicago`.
    time_zone: String,
    admin_name: String,
    admin_email: String,
    admin_password: String,
}

#[derive(SimpleObject, Default)]
pub struct SignUpPracticePayload {
    tenant: Option<TenantBranding>,
    session: Option<Session>,
    user_errors: Vec<UserError>,
}

pub(super) async fn sign_up_practice(
    ctx: &Context<'_>,
    input: SignUpPracticeInput,
) -> async_graphql::Result<SignUpPracticePayload> {
    let services = ctx.services()?;
    let created = accounts::sign_up_practice(
        &services.db,
        services.passwords.as_ref(),
        PracticeSignUp {
            practice_name: input.practice_name,
            slug: input.slug,
            time_zone: input.time_zone,
            admin_name: input.admin_name,
            admin_email: input.admin_email,
            admin_password: input.admin_password,
        },
    )
    .await;
    let (practice, admin) = match created {
        Ok(created) => created,
        Err(e) => {
            return Ok(SignUpPracticePayload {
                user_errors: UserError::of_input(e).map_err(|e| ctx.fail(e))?,
                ..Default::default()
            });
        }
    };
    // The new practice's transaction: the request was addressed to none, or another.
    let device = device_of(ctx);
    let session = within_practice(ctx, &practice.scope(), Access::Write, async |tx| {
        start_session(
            services,
            &practice.tenant,
            tx,
            &admin,
            Role::PracticeAdmin,
            &device,
        )
        .await
    })
    .await?
    .map_err(|e| ctx.fail(e))?;
    Ok(SignUpPracticePayload {
        tenant: Some(TenantBranding::from(&practice)),
        session: Some(session.deliver(ctx, &practice.tenant.slug)),
        user_errors: Vec::new(),
    })
}
