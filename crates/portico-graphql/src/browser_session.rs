//! Browser sessions: the console keeps its access token in memory and its refresh token in an
//! HttpOnly cookie that no script can read. A request asks for this with
//! `X-Portico-Session: cookie`; the HTTP layer reads the practice's cookie into the request
//! context, and the resolvers that hand out or end a session set or clear it here.

use async_graphql::Context;
use chrono::Utc;

use crate::context::ContextExt;

/// The request header that asks for a browser session, and the one value it takes.
pub const SESSION_HEADER: &str = "x-portico-session";
pub const SESSION_HEADER_COOKIE: &str = "cookie";

/// The refresh cookie's path: only `/graphql` ever receives it.
const COOKIE_PATH: &str = "/graphql";

/// The refresh cookie of one practice. The slug is part of the name because on localhost
/// several practices share one host (addressed by `X-Portico-Tenant`).
pub fn cookie_name(slug: &str) -> String {
    format!("portico_refresh_{slug}")
}

/// A request in browser mode, as the HTTP layer saw it.
#[derive(Clone, Default)]
pub struct BrowserSession {
    /// The refresh token in the request's cookie for the addressed practice, if any.
    pub refresh_cookie: Option<String>,
}

impl std::fmt::Debug for BrowserSession {
    // The token is a credential: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserSession")
            .field("refresh_cookie", &self.refresh_cookie.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The request's browser session, when it asked for one.
pub(crate) fn of<'a>(ctx: &'a Context<'_>) -> Option<&'a BrowserSession> {
    ctx.request().ok()?.browser.as_ref()
}

/// In browser mode, puts the refresh token in the practice's cookie and returns the body's
/// `refreshToken` (empty); otherwise returns the token unchanged.
pub(crate) fn keep_refresh_token(
    ctx: &Context<'_>,
    slug: &str,
    token: String,
    expires_at: chrono::DateTime<Utc>,
) -> String {
    if of(ctx).is_none() {
        return token;
    }
    let (name, secure) = cookie_target(ctx, slug);
    let max_age = (expires_at - Utc::now()).num_seconds().max(0);
    ctx.append_http_header(
        "set-cookie",
        format!(
            "{name}={token}; HttpOnly; SameSite=Strict; Path={COOKIE_PATH}; Max-Age={max_age}{secure}"
        ),
    );
    String::new()
}

/// In browser mode, tells the browser to forget the practice's refresh cookie.
pub(crate) fn clear_cookie(ctx: &Context<'_>) {
    if of(ctx).is_none() {
        return;
    }
    let Ok(tenant) = ctx.tenant() else {
        return;
    };
    let (name, secure) = cookie_target(ctx, &tenant.tenant.slug);
    ctx.append_http_header(
        "set-cookie",
        format!("{name}=; HttpOnly; SameSite=Strict; Path={COOKIE_PATH}; Max-Age=0{secure}"),
    );
}

/// The cookie's name and its `; Secure` suffix (when Portico is served over https).
fn cookie_target(ctx: &Context<'_>, slug: &str) -> (String, &'static str) {
    let secure = ctx
        .services()
        .ok()
        .is_some_and(|s| s.public_url.starts_with("https://"));
    (cookie_name(slug), if secure { "; Secure" } else { "" })
}
