//! Signing in with email and password (and the second factor, when it is on). The rules
//! (throttles, lock-out, codes, audit) are `portico_core::sign_in`'s.

use async_graphql::{Context, InputObject, SimpleObject};
use portico_core::{
    sign_in::{self, Attempt, Ports, Verdict},
    tenancy::Access,
};

use super::{Session, device_of, start_session};
use crate::{ApiError, context::ContextExt, run::Run};

#[derive(InputObject)]
pub struct SignInInput {
    email: String,
    password: String,
    /// The 6-digit code, when two-step verification is on.
    totp_code: Option<String>,
    /// Instead of `totpCode`: one of the recovery codes (each works once).
    recovery_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct SignInPayload {
    session: Session,
}

pub(super) async fn sign_in(
    ctx: &Context<'_>,
    input: SignInInput,
) -> async_graphql::Result<SignInPayload> {
    let services = ctx.services()?;
    let practice = ctx.tenant()?;
    let ports = Ports {
        credentials: &services.passwords,
        throttle: services.throttle.as_ref(),
    };
    let attempt = Attempt {
        tenant: practice.id(),
        email: input.email,
        password: input.password,
        totp_code: input.totp_code,
        recovery_code: input.recovery_code,
        client_ip: ctx.request()?.client_ip,
    };
    // The account is read and the password checked before the writing transaction opens:
    // argon2 takes tens of milliseconds, and SQLite's write lock must not wait on it.
    let candidate = ctx
        .run_public(Access::Read, async |tx, _| {
            sign_in::look_up(tx, ports, &attempt).await
        })
        .await?;
    let candidate = sign_in::check_password(ports, candidate, attempt.password.clone())
        .await
        .map_err(|e| ctx.fail(e))?;
    let device = device_of(ctx);
    let signed_in = ctx
        .run_public(Access::Write, async |tx, actor| {
            Ok(
                match sign_in::conclude(tx, ports, candidate, &attempt, actor).await? {
                    Verdict::SignedIn { user, role } => {
                        Ok(
                            start_session(services, &practice.tenant, tx, &user, role, &device)
                                .await?,
                        )
                    }
                    Verdict::Refused => Err(ApiError::InvalidCredentials),
                    Verdict::MfaRequired => Err(ApiError::MfaRequired),
                },
            )
        })
        .await?;
    let session = signed_in?.deliver(ctx, &practice.tenant.slug);
    Ok(SignInPayload { session })
}
