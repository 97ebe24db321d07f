//! The patient portal (`portal-ui`): each practice's own app, at `/` on the practice's host
//! (`{slug}.{base domain}` or its custom domain) and at `/t/{slug}/` on any host (local use,
//! one host for every practice). Its files live under `/portal/` (Vite's base), the same on
//! every host, so one build serves every practice; the page learns its practice from the
//! address it was opened at and brands itself from `tenantBranding`.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, Method, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use portico_core::tenants::Addressed;

use super::{spa, tenant};
use crate::state::AppState;

/// Where the portal's own files (scripts, styles, icons) are served.
pub const ASSETS_PATH: &str = "/portal";

/// `/t/{slug}`: the portal's URLs live under `/t/{slug}/`.
pub async fn redirect(Path(slug): Path<String>) -> Response {
    if !plain_slug(&slug) {
        return StatusCode::NOT_FOUND.into_response();
    }
    Redirect::permanent(&format!("/t/{slug}/")).into_response()
}

/// `/t/{slug}/` and every client-side route under it: the app's page. An unknown slug gets
/// the page too, which says there is no such practice (the page asks the API, as it must
/// anyway for the practice's name and colours).
pub async fn page(State(state): State<AppState>) -> Response {
    spa::serve(&state.portal, "").await
}

/// `/t/{slug}/{*path}`.
pub async fn route(State(state): State<AppState>, Path(_): Path<(String, String)>) -> Response {
    spa::serve(&state.portal, "").await
}

/// `/portal/{*path}`: a file of the build; never the page (a script tag must not run HTML).
pub async fn asset(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    spa::serve_file(&state.portal, &path).await
}

/// Any other path: on a practice's own host, the portal (a client-side route); elsewhere,
/// not found.
pub async fn fallback(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(runtime) = state.runtime() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let services = &runtime.services;
    // A request naming its practice by header is an API client, not a browser on the
    // practice's host.
    if headers.contains_key(tenant::TENANT_HEADER) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tenant::resolve(&services.db, &headers, &services.base_domain).await {
        Ok(Addressed::Tenant(_)) => spa::serve(&state.portal, "").await,
        Ok(_) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "portal host lookup failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn plain_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 63
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::plain_slug;

    #[test]
    fn only_a_plain_slug_is_redirected() {
        assert!(plain_slug("lakeside"));
        assert!(plain_slug("harbor-2"));
        assert!(!plain_slug(""));
        assert!(!plain_slug("a/b"));
        assert!(!plain_slug("//evil.example"));
        assert!(!plain_slug("Lakeside"));
    }
}
