//! Setting up two-step verification with an authenticator app; the rules are
//! `portico_core::totp_enrolment`'s.

use async_graphql::{Context, InputObject, SimpleObject};
use portico_core::{accounts, totp_enrolment};

use super::{Session, device_of, interactive_principal, sessions::revoke_ended, start_session};
use crate::{
    ApiError,
    context::ContextExt,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

/// What an authenticator app needs to start producing codes.
#[derive(SimpleObject)]
pub struct TotpEnrolment {
    /// Base32 secret, for typing in by hand.
    secret: String,
    /// `otpauth://` URI, usually shown as a QR code.
    otpauth_uri: String,
}

#[derive(InputObject)]
pub struct BeginTotpEnrolmentInput {
    /// A current code of the app in use, when replacing it.
    current_code: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct BeginTotpEnrolmentPayload {
    enrolment: Option<TotpEnrolment>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ConfirmTotpEnrolmentInput {
    /// The current 6-digit code from the app.
    code: String,
}

#[derive(SimpleObject, Default)]
pub struct ConfirmTotpEnrolmentPayload {
    /// A new session with two-step verification satisfied.
    session: Option<Session>,
    /// Ten single-use codes for when the app is lost; shown this once.
    recovery_codes: Vec<String>,
    user_errors: Vec<UserError>,
}

refusable!(BeginTotpEnrolmentPayload);

pub(super) async fn begin_totp_enrolment(
    ctx: &Context<'_>,
    input: Option<BeginTotpEnrolmentInput>,
) -> async_graphql::Result<BeginTotpEnrolmentPayload> {
    interactive_principal(ctx)?;
    let credentials = ctx.services()?.passwords.as_ref();
    let current_code = input.and_then(|i| i.current_code);
    let outcome = ctx
        .mutate(Need::signed_in(), async |tx, caller| {
            let Some(user) = accounts::find_by_id(tx, caller.principal.user_id).await? else {
                return Ok(None);
            };
            let code = current_code.as_deref();
            totp_enrolment::begin(tx, credentials, &user, code, &caller.actor)
                .await
                .map(Some)
        })
        .await?;
    if matches!(outcome, Ok(None)) {
        return Err(ApiError::Unauthenticated.into());
    }
    Ok(outcome.payload(|enrolment| BeginTotpEnrolmentPayload {
        enrolment: enrolment.map(|e| TotpEnrolment {
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
        }),
        user_errors: Vec::new(),
    }))
}

pub(super) async fn confirm_totp_enrolment(
    ctx: &Context<'_>,
    input: ConfirmTotpEnrolmentInput,
) -> async_graphql::Result<ConfirmTotpEnrolmentPayload> {
    interactive_principal(ctx)?;
    let services = ctx.services()?;
    let practice = &ctx.tenant()?.tenant;
    let device = device_of(ctx);
    let outcome = ctx
        .mutate(Need::signed_in(), async |tx, caller| {
            let Some(user) = accounts::find_by_id(tx, caller.principal.user_id).await? else {
                return Ok(None);
            };
            let confirmed = totp_enrolment::confirm(
                tx,
                services.passwords.as_ref(),
                &user,
                &input.code,
                &caller.actor,
            )
            .await?;
            let role = caller.principal.role;
            let session =
                start_session(services, practice, tx, &confirmed.user, role, &device).await?;
            Ok(Some((confirmed, session)))
        })
        .await?;
    let (confirmed, session) = match outcome {
        Ok(Some(done)) => done,
        Ok(None) => return Err(ApiError::Unauthenticated.into()),
        Err(user_errors) => {
            return Ok(ConfirmTotpEnrolmentPayload {
                user_errors,
                ..Default::default()
            });
        }
    };
    revoke_ended(services, "totp_enrolment", confirmed.ended_sessions).await;
    Ok(ConfirmTotpEnrolmentPayload {
        session: Some(session.deliver(ctx, &practice.slug)),
        recovery_codes: confirmed.recovery_codes,
        user_errors: Vec::new(),
    })
}
