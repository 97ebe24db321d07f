//! The password rules, and a signed-in person changing their password (the rules of the
//! change are `portico_core::password_change`'s).

use async_graphql::{Context, InputObject, SimpleObject};
use portico_core::{
    password_change::{self, Changed, Ports, Prepared},
    tenancy::Access,
};

use super::{interactive_principal, sessions::revocation_list};
use crate::{
    ApiError,
    context::ContextExt,
    run::{Need, Run},
    user_error::UserError,
};

/// What a new password must be, for forms to say before it is sent.
#[derive(SimpleObject)]
pub struct PasswordPolicy {
    /// The fewest characters (`PASSWORD_TOO_SHORT` below it).
    min_length: i32,
    /// The most characters (`PASSWORD_TOO_LONG` above it).
    max_length: i32,
}

#[derive(InputObject)]
pub struct ChangePasswordInput {
    current_password: String,
    new_password: String,
}

#[derive(SimpleObject, Default)]
pub struct ChangePasswordPayload {
    changed: bool,
    /// How many other sessions were ended.
    ended_sessions: i32,
    user_errors: Vec<UserError>,
}

impl ChangePasswordPayload {
    fn refused(ctx: &Context<'_>, err: portico_core::CoreError) -> async_graphql::Result<Self> {
        Ok(Self {
            user_errors: UserError::of_input(err).map_err(|e| ctx.fail(e))?,
            ..Default::default()
        })
    }
}

pub(super) fn password_policy(ctx: &Context<'_>) -> async_graphql::Result<PasswordPolicy> {
    let passwords = &ctx.services()?.passwords;
    Ok(PasswordPolicy {
        min_length: i32::try_from(passwords.min_password_length()).unwrap_or(i32::MAX),
        max_length: i32::try_from(passwords.max_password_length()).unwrap_or(i32::MAX),
    })
}

pub(super) async fn change_password(
    ctx: &Context<'_>,
    input: ChangePasswordInput,
) -> async_graphql::Result<ChangePasswordPayload> {
    interactive_principal(ctx)?;
    let services = ctx.services()?;
    let ports = Ports {
        credentials: &services.passwords,
        throttle: services.throttle.as_ref(),
        revocations: revocation_list(services).revocations,
        access_ttl: services.tokens.access_ttl(),
    };
    let caller = ctx.caller(Need::signed_in()).await?;
    let client_ip = ctx.request()?.client_ip;
    // `within`: the new password's refusal is a `userError`, from a reading transaction.
    let prepared = ctx
        .within(Access::Read, async |tx| {
            let user = caller.principal.user_id;
            password_change::prepare(tx, ports, user, client_ip, &input.new_password).await
        })
        .await?;
    let change = match prepared {
        Ok(Prepared::Ready(change)) => *change,
        Ok(Prepared::NoAccount) => return Err(ApiError::Unauthenticated.into()),
        Ok(Prepared::Locked(wait)) => {
            return Err(ApiError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
            .into());
        }
        Err(e) => return ChangePasswordPayload::refused(ctx, e),
    };
    // argon2 twice (verify, hash) outside any transaction: SQLite's write lock must not
    // wait on it.
    let change = password_change::hash(ports, change, input.current_password, input.new_password)
        .await
        .map_err(|e| ctx.fail(e))?;
    let changed = ctx
        .run(Need::signed_in(), Access::Write, async |tx, caller| {
            let session = caller.principal.session_id;
            password_change::conclude(tx, ports, change, session, &caller.actor).await
        })
        .await?;
    match changed {
        Changed::Changed { ended_sessions } => Ok(ChangePasswordPayload {
            changed: true,
            ended_sessions: i32::try_from(ended_sessions).unwrap_or(i32::MAX),
            user_errors: Vec::new(),
        }),
        Changed::Refused(e) => ChangePasswordPayload::refused(ctx, e),
    }
}
