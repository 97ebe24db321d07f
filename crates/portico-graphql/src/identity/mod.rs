//! Signing up a practice, signing in and out, refreshing sessions, and `me`. The resolvers
//! are listed here in the schema's order; each flow lives in its own module.

mod me;
mod password;
mod sessions;
mod sign_in;
mod sign_up;
mod tokens;
mod totp;

use async_graphql::{Context, Object};
use portico_core::identity::SessionClaims;

use me::Me;
use password::{ChangePasswordInput, ChangePasswordPayload, PasswordPolicy};
pub(crate) use sessions::revoke_ended;
use sessions::{
    EndSessionInput, EndSessionPayload, RefreshSessionInput, RefreshSessionPayload, SignOutPayload,
    SignedInSession,
};
use sign_in::{SignInInput, SignInPayload};
use sign_up::{SignUpPracticeInput, SignUpPracticePayload};
pub use tokens::Session;
pub(crate) use tokens::start_session;
use totp::{
    BeginTotpEnrolmentInput, BeginTotpEnrolmentPayload, ConfirmTotpEnrolmentInput,
    ConfirmTotpEnrolmentPayload,
};

use crate::{ApiError, context::ContextExt};

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The rules a new password must meet (no sign-in needed). Besides its length, a password
    /// must not be a common one (`PASSWORD_TOO_COMMON`) nor contain the person's name or email
    /// (`PASSWORD_CONTAINS_PERSONAL_DATA`).
    async fn password_policy(&self, ctx: &Context<'_>) -> async_graphql::Result<PasswordPolicy> {
        password::password_policy(ctx)
    }

    /// The signed-in person's sessions still running, the most recently active first.
    async fn my_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SignedInSession>> {
        sessions::my_sessions(ctx).await
    }

    /// Who is signed in, at which practice.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        me::me(ctx).await
    }
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Creates a practice (in trial) and its first practice admin, who is signed in and must
    /// then set up two-step verification.
    async fn sign_up_practice(
        &self,
        ctx: &Context<'_>,
        input: SignUpPracticeInput,
    ) -> async_graphql::Result<SignUpPracticePayload> {
        sign_up::sign_up_practice(ctx, input).await
    }

    /// Signs in to the practice this request is addressed to. Every failure (unknown email,
    /// wrong password or code, locked account) is the same `INVALID_CREDENTIALS`.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        input: SignInInput,
    ) -> async_graphql::Result<SignInPayload> {
        sign_in::sign_in(ctx, input).await
    }

    /// Exchanges a refresh token for new tokens. A token used twice ends the session
    /// everywhere (it was copied), except a browser's retry with its cookie within 10 s of
    /// the first use while the token issued then is unused (a reload lost the answer).
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        input: RefreshSessionInput,
    ) -> async_graphql::Result<RefreshSessionPayload> {
        sessions::refresh_session(ctx, input).await
    }

    /// Starts setting up two-step verification: returns a new secret for an authenticator
    /// app. The secret in force (if any) keeps working until `confirmTotpEnrolment`; changing
    /// it needs a current code. Not available to API keys.
    async fn begin_totp_enrolment(
        &self,
        ctx: &Context<'_>,
        input: Option<BeginTotpEnrolmentInput>,
    ) -> async_graphql::Result<BeginTotpEnrolmentPayload> {
        totp::begin_totp_enrolment(ctx, input).await
    }

    /// Confirms the app works by checking one code; from then on sign-in asks for a code.
    /// Every other session of the account ends.
    async fn confirm_totp_enrolment(
        &self,
        ctx: &Context<'_>,
        input: ConfirmTotpEnrolmentInput,
    ) -> async_graphql::Result<ConfirmTotpEnrolmentPayload> {
        totp::confirm_totp_enrolment(ctx, input).await
    }

    /// Ends one of the signed-in person's sessions (another device, or this one): its refresh
    /// tokens stop working at once, its access token too. Another person's session, or one
    /// already ended, is `NOT_FOUND`.
    async fn end_session(
        &self,
        ctx: &Context<'_>,
        input: EndSessionInput,
    ) -> async_graphql::Result<EndSessionPayload> {
        sessions::end_session(ctx, input).await
    }

    /// Changes the signed-in person's password. The current one is checked (wrong:
    /// `INVALID_CURRENT_PASSWORD`; failures count towards the same lock-out as `signIn`'s,
    /// and while locked it is `RATE_LIMITED`); the new one meets the same rules as
    /// `resetPassword` (`PASSWORD_TOO_SHORT`, ...). Every other session of the account ends.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> async_graphql::Result<ChangePasswordPayload> {
        password::change_password(ctx, input).await
    }

    /// Ends this session: its refresh tokens stop working at once, its access token too.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<SignOutPayload> {
        sessions::sign_out(ctx).await
    }
}

/// The coarse device of the request ("Chrome · Linux"), kept with a session it starts.
pub(crate) fn device_of(ctx: &Context<'_>) -> String {
    portico_core::sessions::describe_device(
        ctx.request().ok().and_then(|r| r.user_agent.as_deref()),
    )
}

/// The signed-in person, when they signed in themselves: an API key cannot change how its
/// creator signs in.
pub(crate) fn interactive_principal(ctx: &Context<'_>) -> Result<SessionClaims, ApiError> {
    let principal = ctx.principal()?.clone();
    if principal.api_key_id.is_some() {
        return Err(ApiError::Forbidden);
    }
    Ok(principal)
}
