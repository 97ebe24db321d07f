//! The tokens of a session as a client receives them: a short-lived access token and the
//! refresh token that renews it.

use async_graphql::{Context, SimpleObject};
use chrono::{DateTime, TimeZone, Utc};
use portico_core::{
    CoreError, CoreResult, TenantTx, UserId,
    entities::{tenant, user},
    identity::{MfaState, Role, SessionClaims},
    sessions,
};

use crate::context::Services;

/// The tokens of a signed-in session.
#[derive(SimpleObject)]
pub struct Session {
    /// Send as `Authorization: Bearer ...`; short-lived.
    access_token: String,
    access_token_expires_at: DateTime<Utc>,
    /// Exchange for new tokens with `refreshSession`; single use. Empty when the session is
    /// kept in a cookie (the request sent `X-Portico-Session: cookie`): the token is then in
    /// the HttpOnly `portico_refresh_{slug}` cookie, out of reach of script.
    refresh_token: String,
    /// Unused past this instant, the session ends (automatic log-off).
    refresh_token_expires_at: DateTime<Utc>,
    /// True while a staff member still has to set up two-step verification.
    mfa_enrolment_required: bool,
}

impl Session {
    /// The session as the client asked to receive it: in browser mode the refresh token goes
    /// into the practice's cookie (`slug`) instead of the body. Call it once the session is
    /// committed, so no cookie names a session that was rolled back.
    pub(crate) fn deliver(mut self, ctx: &Context<'_>, slug: &str) -> Self {
        self.refresh_token = crate::browser_session::keep_refresh_token(
            ctx,
            slug,
            self.refresh_token,
            self.refresh_token_expires_at,
        );
        self
    }
}

/// Starts a session for `user` in `tx` (a new refresh-token family, from `device`).
pub(crate) async fn start_session(
    services: &Services,
    tenant: &tenant::Model,
    tx: &TenantTx,
    user: &user::Model,
    role: Role,
    device: &str,
) -> CoreResult<Session> {
    let refresh = sessions::start(
        tx,
        UserId::from_uuid(user.id),
        &services.sessions.policy(tenant, role),
        device,
    )
    .await?;
    issue(services, tenant, tx, user, role, refresh)
}

/// Signs the access token that goes with `refresh`.
pub(super) fn issue(
    services: &Services,
    tenant: &tenant::Model,
    tx: &TenantTx,
    user: &user::Model,
    role: Role,
    refresh: sessions::IssuedRefresh,
) -> CoreResult<Session> {
    let now = Utc::now().timestamp();
    let ttl = services
        .tokens
        .access_ttl()
        .min(services.sessions.policy(tenant, role).idle_timeout);
    let mfa = if role.requires_mfa() && user.totp_enabled_at.is_none() {
        MfaState::EnrolmentRequired
    } else {
        MfaState::Satisfied
    };
    let claims = SessionClaims {
        tenant_id: tx.tenant_id(),
        user_id: UserId::from_uuid(user.id),
        session_id: refresh.family_id,
        role,
        mfa,
        issued_at: now,
        expires_at: now + i64::try_from(ttl.as_secs()).unwrap_or(900),
        api_key_id: None,
        key_scopes: None,
        smart: None,
    };
    let access = services.tokens.issue(&claims).map_err(CoreError::adapter)?;
    Ok(Session {
        access_token: access.token,
        access_token_expires_at: timestamp(access.expires_at),
        refresh_token: refresh.token,
        refresh_token_expires_at: refresh.idle_expires_at,
        mfa_enrolment_required: mfa == MfaState::EnrolmentRequired,
    })
}

pub(super) fn timestamp(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}
