//! SMART App Launch's HTTP side: the discovery document
//! (`/.well-known/smart-configuration`, also under the FHIR base), the authorize endpoint
//! (which sends the patient to the portal's consent page, `/t/{slug}/connect/{request}`),
//! and the token endpoint (codes and refresh tokens for access tokens). Refusals use OAuth
//! 2.0's error codes: at the authorize endpoint as a redirect to the app, or here when the
//! app or its redirect URI is not known; at the token endpoint as JSON.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use portico_core::{
    TenantTx,
    identity::{MfaState, Role, SessionClaims, SmartClaims},
    smart::{
        OAuthError, backend,
        requests::{self, AuthorizeParams, Refusal},
        tokens::{self, Client, Issued},
    },
    tenancy::Access,
    tenants::{Addressed, ResolvedTenant},
};
use serde_json::json;

use super::{addressed, base_url, origin_of, path_slug};
use crate::state::AppState;

/// Where the OAuth endpoints are, under the practice's origin.
pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn oauth_error(err: &OAuthError) -> Response {
    let status = match err {
        OAuthError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
        OAuthError::Server(e) => {
            tracing::error!(error = %portico_core::error::chain(e), "SMART request failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    no_store(
        (
            status,
            axum::Json(json!({ "error": err.code(), "error_description": err.description() })),
        )
            .into_response(),
    )
}

/// The practice the request is for (host, header or path), or an OAuth-shaped refusal.
async fn practice(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(ResolvedTenant, portico_graphql::Services), Response> {
    let unknown = || {
        oauth_error(&OAuthError::InvalidRequest(
            "no practice at this address".into(),
        ))
    };
    let Some(runtime) = state.runtime() else {
        return Err(super::outcome::of_gate(
            StatusCode::SERVICE_UNAVAILABLE.into_response(),
        ));
    };
    let services = runtime.services.clone();
    match super::super::tenant::resolve(&services.db, headers, &services.base_domain).await {
        Ok(Addressed::Tenant(t)) => Ok((*t, services)),
        Ok(_) => Err(unknown()),
        Err(e) => Err(oauth_error(&OAuthError::Server(e))),
    }
}

/// `GET /.well-known/smart-configuration` (and under the FHIR base).
pub async fn configuration(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let slug = path_slug(&params);
    let origin = origin_of(&headers, &state.config.http.public_url, slug);
    let body = json!({
        "issuer": base_url(&headers, &state.config.http.public_url, slug),
        "authorization_endpoint": format!("{origin}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{origin}{TOKEN_PATH}"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": [
            "launch/patient", "offline_access", "online_access",
            "patient/*.rs", "patient/*.read",
            "patient/Patient.rs", "patient/AllergyIntolerance.rs", "patient/Condition.rs",
            "patient/Observation.rs", "patient/DiagnosticReport.rs",
            "patient/MedicationRequest.rs", "patient/Immunization.rs", "patient/Encounter.rs",
            "patient/DocumentReference.rs", "patient/Appointment.rs", "patient/Provenance.rs",
            "system/*.rs", "system/*.read",
        ],
        "capabilities": [
            "launch-standalone", "client-public", "client-confidential-symmetric",
            "client-confidential-asymmetric",
            "context-standalone-patient", "permission-patient", "permission-offline",
            "permission-online", "permission-v1", "permission-v2",
        ],
    });
    // Built from the address the request came to: kept by no shared cache.
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Host"));
    response
}

/// `GET /oauth/authorize?…`: checks the request and sends the patient to the consent page.
pub async fn authorize(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let slug = path_slug(&params);
    let headers_for = addressed(&headers, slug);
    let (tenant, services) = match practice(&state, &headers_for).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let mut p = AuthorizeParams::default();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "response_type" => p.response_type = v,
            "client_id" => p.client_id = v,
            "redirect_uri" => p.redirect_uri = v,
            "scope" => p.scope = v,
            "state" => p.state = v,
            "aud" => p.aud = v,
            "code_challenge" => p.code_challenge = v,
            "code_challenge_method" => p.code_challenge_method = v,
            _ => {}
        }
    }
    let audience = base_url(&headers, &state.config.http.public_url, slug);
    let tx = match TenantTx::begin(&services.db, &tenant.scope(), Access::Write).await {
        Ok(tx) => tx,
        Err(e) => return oauth_error(&OAuthError::Server(e)),
    };
    match requests::begin(&tx, &p, &audience).await {
        Ok(id) => {
            if let Err(e) = tx.commit().await {
                return oauth_error(&OAuthError::Server(e));
            }
            let request = portico_graphql::global_id_of("SmartAuthorizationRequest", id);
            let slug = &tenant.tenant.slug;
            Redirect::to(&format!("/t/{slug}/connect/{request}")).into_response()
        }
        Err(refusal) => {
            let _ = tx.rollback().await;
            match refusal {
                Refusal::Back { redirect } => Redirect::to(&redirect).into_response(),
                Refusal::Here(err) => oauth_error(&err),
            }
        }
    }
}

/// The client's id and secret: HTTP Basic (RFC 6749 §2.3.1), else the form.
fn client_of<'a>(
    headers: &HeaderMap,
    form: &'a HashMap<String, String>,
    basic: &'a mut Option<(String, String)>,
) -> Option<Client<'a>> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = STANDARD.decode(auth.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        let unescape = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        *basic = Some((unescape(id), unescape(secret)));
        let (id, secret) = basic.as_ref()?;
        return Some(Client {
            id,
            secret: Some(secret),
        });
    }
    Some(Client {
        id: form.get("client_id")?,
        secret: form.get("client_secret").map(String::as_str),
    })
}

/// `POST /oauth/token` (form): `authorization_code` or `refresh_token`.
pub async fn token(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let headers_for = addressed(&headers, path_slug(&params));
    let (tenant, services) = match practice(&state, &headers_for).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if form.get("grant_type").map(String::as_str) == Some("client_credentials") {
        let token_url = format!(
            "{}{TOKEN_PATH}",
            origin_of(&headers, &state.config.http.public_url, path_slug(&params))
        );
        return service_token(&services, &tenant, &form, &token_url).await;
    }
    let mut basic = None;
    let Some(client) = client_of(&headers, &form, &mut basic) else {
        return oauth_error(&OAuthError::InvalidClient(
            "authenticate with HTTP Basic, or send client_id".into(),
        ));
    };
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let tx = match TenantTx::begin(&services.db, &tenant.scope(), Access::Write).await {
        Ok(tx) => tx,
        Err(e) => return oauth_error(&OAuthError::Server(e)),
    };
    let issued = match field("grant_type") {
        "authorization_code" => {
            tokens::exchange(
                &tx,
                client,
                field("code"),
                field("redirect_uri"),
                field("code_verifier"),
            )
            .await
        }
        "refresh_token" => tokens::refresh(&tx, client, field("refresh_token")).await,
        _ => Err(OAuthError::UnsupportedGrantType),
    };
    // A refusal may have revoked a grant (a code or refresh token used twice): kept.
    let settled = match &issued {
        Err(OAuthError::Server(_)) => tx.rollback().await,
        _ => tx.commit().await,
    };
    if let Err(e) = settled {
        return oauth_error(&OAuthError::Server(e));
    }
    match issued {
        Ok(issued) => answer(&services, &tenant, issued),
        Err(err) => oauth_error(&err),
    }
}

/// `grant_type=client_credentials`: a backend service's signed assertion for a token of
/// `system/` scopes, good for `$export` for five minutes.
async fn service_token(
    services: &portico_graphql::Services,
    tenant: &ResolvedTenant,
    form: &HashMap<String, String>,
    token_url: &str,
) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let tx = match TenantTx::begin(&services.db, &tenant.scope(), Access::Write).await {
        Ok(tx) => tx,
        Err(e) => return oauth_error(&OAuthError::Server(e)),
    };
    let granted = backend::client_credentials(
        &tx,
        field("client_assertion_type"),
        field("client_assertion"),
        field("scope"),
        token_url,
    )
    .await;
    // An assertion refused after its jti was kept stays kept: it was presented.
    let settled = match &granted {
        Err(OAuthError::Server(_)) => tx.rollback().await,
        _ => tx.commit().await,
    };
    if let Err(e) = settled {
        return oauth_error(&OAuthError::Server(e));
    }
    let granted = match granted {
        Ok(g) => g,
        Err(err) => return oauth_error(&err),
    };
    let now = chrono::Utc::now().timestamp();
    let ttl = i64::try_from(services.tokens.access_ttl().as_secs())
        .unwrap_or(backend::TOKEN_SECS)
        .min(backend::TOKEN_SECS);
    let claims = SessionClaims {
        tenant_id: tenant.id(),
        // As for an API key: the admin who registered the service.
        user_id: portico_core::UserId::from_uuid(granted.app.created_by),
        session_id: granted.app.id,
        role: Role::PracticeAdmin,
        mfa: MfaState::Satisfied,
        issued_at: now,
        expires_at: now + ttl,
        api_key_id: None,
        key_scopes: None,
        smart: Some(SmartClaims {
            app_id: granted.app.id,
            patient_id: None,
            scope: granted.scopes.text(),
        }),
    };
    match services.tokens.issue(&claims) {
        Ok(token) => no_store(
            axum::Json(json!({
                "access_token": token.token,
                "token_type": "Bearer",
                "expires_in": ttl,
                "scope": granted.scopes.text(),
            }))
            .into_response(),
        ),
        Err(e) => {
            tracing::error!(error = %portico_core::error::chain(&e), "service access token not signed");
            oauth_error(&OAuthError::Server(portico_core::CoreError::adapter(e)))
        }
    }
}

/// The token response: a short-lived access token for the FHIR API, the chart, the scopes
/// granted, and a new refresh token with `offline_access`.
fn answer(
    services: &portico_graphql::Services,
    tenant: &ResolvedTenant,
    issued: Issued,
) -> Response {
    let now = chrono::Utc::now().timestamp();
    let ttl = i64::try_from(services.tokens.access_ttl().as_secs()).unwrap_or(900);
    let grant = &issued.grant;
    let claims = SessionClaims {
        tenant_id: tenant.id(),
        user_id: portico_core::UserId::from_uuid(grant.user_id),
        session_id: grant.id,
        role: Role::Patient,
        mfa: MfaState::Satisfied,
        issued_at: now,
        expires_at: now + ttl,
        api_key_id: None,
        key_scopes: None,
        smart: Some(SmartClaims {
            app_id: grant.app_id,
            patient_id: Some(grant.patient_id),
            scope: issued.scopes.text(),
        }),
    };
    let token = match services.tokens.issue(&claims) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %portico_core::error::chain(&e), "SMART access token not signed");
            return oauth_error(&OAuthError::Server(portico_core::CoreError::adapter(e)));
        }
    };
    let mut body = json!({
        "access_token": token.token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": issued.scopes.text(),
        "patient": grant.patient_id.to_string(),
    });
    if let Some(refresh) = issued.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    no_store(axum::Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_authenticates_with_basic_or_the_form() {
        let mut headers = HeaderMap::new();
        let form: HashMap<String, String> =
            [("client_id".to_owned(), "app_form".to_owned())].into();
        let mut basic = None;
        let c = client_of(&headers, &form, &mut basic).unwrap();
        assert_eq!((c.id, c.secret), ("app_form", None));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("app_b:s%3Acret"))).unwrap(),
        );
        let mut basic = None;
        let c = client_of(&headers, &form, &mut basic).unwrap();
        assert_eq!((c.id, c.secret), ("app_b", Some("s:cret")));
    }
}
