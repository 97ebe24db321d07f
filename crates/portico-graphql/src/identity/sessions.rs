//! Running sessions: renewing one with its refresh token, listing one's own, ending one,
//! signing out; and the revocation list an ended session is put on.

use async_graphql::{Context, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    audit::Actor,
    sessions::{self, Refreshed, RevocationList},
    tenancy::Access,
};

use super::{Session, interactive_principal, tokens::issue};
use crate::{
    ApiError,
    context::{ContextExt, Services},
    run::{Need, Run},
    user_error::UserError,
};

#[derive(InputObject)]
pub struct RefreshSessionInput {
    /// The refresh token. In browser mode (`X-Portico-Session: cookie`) leave it out (or
    /// empty) to use the one in the practice's cookie.
    refresh_token: Option<String>,
}

#[derive(SimpleObject)]
pub struct RefreshSessionPayload {
    session: Session,
}

#[derive(SimpleObject)]
pub struct SignOutPayload {
    signed_out: bool,
}

/// One of the signed-in person's sessions (a sign-in on some device, until it is signed out
/// or idles out).
#[derive(SimpleObject)]
pub struct SignedInSession {
    /// A global `Session` id, for `endSession`.
    id: async_graphql::ID,
    started_at: DateTime<Utc>,
    /// When it last signed in or refreshed its tokens.
    last_active_at: DateTime<Utc>,
    /// Coarse, from the browser at sign-in, product names only: "Chrome · Linux",
    /// "Safari · iOS", "Firefox" (`null` when the browser did not say, or for a session older
    /// than this feature).
    device: Option<String>,
    /// The session making this request.
    current: bool,
}

#[derive(InputObject)]
pub struct EndSessionInput {
    session_id: async_graphql::ID,
}

#[derive(SimpleObject)]
pub struct EndSessionPayload {
    ended_session_id: async_graphql::ID,
    user_errors: Vec<UserError>,
}

/// The revocation list of the running services.
pub(crate) fn revocation_list(services: &Services) -> RevocationList<'_> {
    RevocationList {
        revocations: services.revocations.as_ref(),
        access_ttl: services.tokens.access_ttl(),
    }
}

/// Puts sessions a committed change ended on the revocation list. The change stands either
/// way, so a failure is logged (ids only) and counted for alerting: until the session's
/// access token expires, it still works.
pub(crate) async fn revoke_ended(
    services: &Services,
    flow: &'static str,
    families: impl IntoIterator<Item = uuid::Uuid>,
) {
    let list = revocation_list(services);
    for family in families {
        if let Err(e) = list.revoke(family).await {
            tracing::error!(session_id = %family, flow, error = %e, "ended session not listed as revoked");
            metrics::counter!("portico_revocation_failures_total", "flow" => flow).increment(1);
        }
    }
}

pub(super) async fn my_sessions(ctx: &Context<'_>) -> async_graphql::Result<Vec<SignedInSession>> {
    let current = interactive_principal(ctx)?.session_id;
    let running = ctx
        .run(Need::signed_in(), Access::Read, async |tx, caller| {
            sessions::running_of(tx, caller.principal.user_id).await
        })
        .await?;
    Ok(running
        .into_iter()
        .map(|s| SignedInSession {
            id: crate::global_id::encode("Session", s.id),
            started_at: s.started_at,
            last_active_at: s.last_active_at,
            device: s.device.filter(|d| !d.is_empty()),
            current: s.id == current,
        })
        .collect())
}

pub(super) async fn refresh_session(
    ctx: &Context<'_>,
    input: RefreshSessionInput,
) -> async_graphql::Result<RefreshSessionPayload> {
    let services = ctx.services()?;
    let practice = &ctx.tenant()?.tenant;
    // In browser mode the token may come from the practice's cookie instead; only such a
    // token gets the retry grace (a reload that lost the answer's cookie).
    let from_body = input.refresh_token.filter(|t| !t.is_empty());
    let retry_grace = from_body.is_none().then_some(sessions::BROWSER_RETRY_GRACE);
    let presented = from_body
        .or_else(|| crate::browser_session::of(ctx)?.refresh_cookie.clone())
        .ok_or(ApiError::Unauthenticated)?;
    let actor = Actor::system().with_request(&ctx.request()?.request_id);
    // `within`: a refusal rolls back what the rotation did, and is no error of the service.
    let refreshed = ctx
        .within(Access::Write, async |tx| {
            match sessions::refresh(tx, &presented, retry_grace, &actor).await? {
                Refreshed::Renewed { user, role, next } => {
                    issue(services, practice, tx, &user, role, next).map(Some)
                }
                Refreshed::Reused { family_id } => {
                    revoke_ended(services, "refresh_reused", [family_id]).await;
                    Ok(None)
                }
            }
        })
        .await?;
    match refreshed {
        Ok(Some(session)) => Ok(RefreshSessionPayload {
            session: session.deliver(ctx, &practice.slug),
        }),
        Ok(None) => {
            crate::browser_session::clear_cookie(ctx);
            Err(ApiError::Unauthenticated.into())
        }
        Err(e) if sessions::is_refusal(&e) => {
            crate::browser_session::clear_cookie(ctx);
            Err(ApiError::Unauthenticated.into())
        }
        Err(e) => Err(ctx.fail(e).into()),
    }
}

pub(super) async fn end_session(
    ctx: &Context<'_>,
    input: EndSessionInput,
) -> async_graphql::Result<EndSessionPayload> {
    let current = interactive_principal(ctx)?.session_id;
    let family = crate::global_id::parse("Session", "sessionId", &input.session_id)?;
    let list = revocation_list(ctx.services()?);
    ctx.run(Need::signed_in(), Access::Write, async |tx, caller| {
        sessions::end(tx, list, &caller.actor, caller.principal.user_id, family).await
    })
    .await?;
    if family == current {
        crate::browser_session::clear_cookie(ctx);
    }
    Ok(EndSessionPayload {
        ended_session_id: input.session_id,
        user_errors: Vec::new(),
    })
}

pub(super) async fn sign_out(ctx: &Context<'_>) -> async_graphql::Result<SignOutPayload> {
    let list = revocation_list(ctx.services()?);
    ctx.run(Need::signed_in(), Access::Write, async |tx, caller| {
        sessions::sign_out(tx, list, &caller.actor, caller.principal.session_id).await
    })
    .await?;
    crate::browser_session::clear_cookie(ctx);
    Ok(SignOutPayload { signed_out: true })
}
