//! `/fhir/r4`: the patient-facing FHIR R4 API of the practice the request is addressed to
//! (its host, or `X-Portico-Tenant`). `metadata` is open; reads and searches need a bearer
//! access token (or API key) of the practice, as the GraphQL API does, and the policy that
//! reads charts (`own_chart` for patients, `patients` for staff). The work and its audit are
//! core's ([`portico_core::fhir_api`]); here are the routes, the Bundles and the refusals.

mod bulk;
pub mod oauth;
mod outcome;

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use portico_core::{
    TenantTx,
    chart_access::Viewer,
    fhir_api::{self, AppAccess, Asker, ResourceType, Scopes},
    identity::{Role, SessionClaims},
    tenancy::Access,
};
use portico_graphql::{ApiError, RequestContext};
use serde_json::{Value, json};

use crate::state::AppState;

/// Where the API is mounted on a practice's host; on a shared host (`localhost`, where a
/// browser cannot send `X-Portico-Tenant`) it is also under `/t/{slug}`, as the portal is.
pub const BASE_PATH: &str = "/fhir/r4";

/// The FHIR API and SMART's endpoints, on a practice's host and under `/t/{slug}`. Any
/// origin may call them: they take bearer tokens and client credentials, never cookies,
/// so a browser app on another origin (a SMART app) reads and exchanges tokens.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    let mut router = axum::Router::new();
    for prefix in ["", "/t/{slug}"] {
        let base = format!("{prefix}{BASE_PATH}");
        router = router
            .route(&format!("{base}/metadata"), get(metadata))
            .route(
                &format!("{base}/.well-known/smart-configuration"),
                get(oauth::configuration),
            )
            .route(&format!("{base}/$export"), get(bulk::system_export))
            .route(
                &format!("{base}/Patient/$export"),
                get(bulk::patient_export),
            )
            .route(
                &format!("{base}/$export-status/{{id}}"),
                get(bulk::export_status).delete(bulk::export_status),
            )
            .route(
                &format!("{base}/$export-file/{{id}}/{{file}}"),
                get(bulk::export_file),
            )
            .route(&format!("{base}/{{kind}}"), get(search_get))
            .route(&format!("{base}/{{kind}}/_search"), post(search_post))
            .route(&format!("{base}/{{kind}}/{{id}}"), get(read))
            .route(
                &format!("{prefix}/.well-known/smart-configuration"),
                get(oauth::configuration),
            )
            .route(
                &format!("{prefix}{}", oauth::AUTHORIZE_PATH),
                get(oauth::authorize),
            )
            .route(
                &format!("{prefix}{}", oauth::TOKEN_PATH),
                post(oauth::token),
            );
    }
    router.layer(
        tower_http::cors::CorsLayer::new()
            .allow_origin(tower_http::cors::Any)
            .allow_methods([
                axum::http::Method::GET,
                axum::http::Method::POST,
                axum::http::Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                axum::http::HeaderName::from_static(super::tenant::TENANT_HEADER),
                axum::http::HeaderName::from_static("prefer"),
            ])
            .expose_headers([
                header::CONTENT_LOCATION,
                header::RETRY_AFTER,
                axum::http::HeaderName::from_static("x-progress"),
            ]),
    )
}

/// The practice a path names (`/t/{slug}/...`), if it names one.
pub(crate) fn path_slug(params: &HashMap<String, String>) -> Option<&str> {
    params.get("slug").map(String::as_str)
}

/// The request's headers, addressed to the practice of the path when it names one.
pub(crate) fn addressed(headers: &HeaderMap, slug: Option<&str>) -> HeaderMap {
    let mut headers = headers.clone();
    if let Some(value) = slug.and_then(|s| HeaderValue::from_str(s).ok()) {
        headers.insert(super::tenant::TENANT_HEADER, value);
    }
    headers
}

/// Where this request reached Portico: the request's host, with the scheme Portico is
/// published on, and `/t/{slug}` when the path named the practice.
pub(crate) fn origin_of(headers: &HeaderMap, public_url: &str, slug: Option<&str>) -> String {
    let scheme = public_url.split_once("://").map_or("https", |(s, _)| s);
    let prefix = slug.map(|s| format!("/t/{s}")).unwrap_or_default();
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("{scheme}://{host}{prefix}"),
        None => format!("{}{prefix}", public_url.trim_end_matches('/')),
    }
}

/// The API's absolute base URL as this request reached it.
pub(crate) fn base_url(headers: &HeaderMap, public_url: &str, slug: Option<&str>) -> String {
    format!("{}{BASE_PATH}", origin_of(headers, public_url, slug))
}

/// `GET /fhir/r4/metadata`: the CapabilityStatement.
pub async fn metadata(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let slug = path_slug(&params);
    let base = base_url(&headers, &state.config.http.public_url, slug);
    let origin = origin_of(&headers, &state.config.http.public_url, slug);
    let (authorize, token) = (
        format!("{origin}{}", oauth::AUTHORIZE_PATH),
        format!("{origin}{}", oauth::TOKEN_PATH),
    );
    outcome::fhir(
        StatusCode::OK,
        fhir_api::statement(
            &base,
            fhir_api::OAuthUris {
                authorize: &authorize,
                token: &token,
            },
            "Portico",
            env!("CARGO_PKG_VERSION"),
            &chrono::Utc::now().date_naive().to_string(),
        ),
    )
}

/// `GET /fhir/r4/{type}/{id}`.
pub async fn read(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    req: Request,
) -> Response {
    let (kind, id) = (param(&params, "kind"), param(&params, "id"));
    let Some(ty) = ResourceType::parse(kind) else {
        return unknown_type(kind);
    };
    let (parts, _) = req.into_parts();
    let gate = match Gate::open(&state, &parts, path_slug(&params)).await {
        Ok(g) => g,
        Err(refused) => return refused,
    };
    match gate
        .run(async |tx, asker| fhir_api::read(tx, asker, ty, id).await)
        .await
    {
        Ok(resource) => outcome::fhir(StatusCode::OK, resource),
        Err(refused) => refused,
    }
}

/// `GET /fhir/r4/{type}?…`.
pub async fn search_get(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    RawQuery(query): RawQuery,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let query = query.unwrap_or_default();
    search(&state, &parts, &params, query.as_bytes()).await
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> &'a str {
    params.get(name).map_or("", String::as_str)
}

/// `POST /fhir/r4/{type}/_search` with the parameters as a form.
pub async fn search_post(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return outcome::refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not-supported",
            "BAD_REQUEST",
            "send the search parameters as application/x-www-form-urlencoded",
        );
    }
    let bytes: Bytes = match axum::body::to_bytes(body, state.config.http.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return outcome::refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-long",
                "REQUEST_TOO_LARGE",
                "the search is too long",
            );
        }
    };
    search(&state, &parts, &params, &bytes).await
}

async fn search(
    state: &AppState,
    parts: &axum::http::request::Parts,
    params: &HashMap<String, String>,
    query: &[u8],
) -> Response {
    let kind = param(params, "kind");
    let slug = path_slug(params);
    let Some(ty) = ResourceType::parse(kind) else {
        return unknown_type(kind);
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let gate = match Gate::open(state, parts, slug).await {
        Ok(g) => g,
        Err(refused) => return refused,
    };
    let found = match gate
        .run(async |tx, asker| fhir_api::search(tx, asker, ty, &pairs).await)
        .await
    {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let base = base_url(&parts.headers, &state.config.http.public_url, slug);
    // A search sent by POST kept its values out of the URL: its links must too, so it
    // pages by POST with `_offset`.
    let linked = parts.method == axum::http::Method::GET;
    outcome::fhir(StatusCode::OK, searchset(&base, ty, &pairs, found, linked))
}

/// The search's page as a `searchset` Bundle, with `self` and (when there is more) `next`
/// links that repeat the search at another `_offset`.
fn searchset(
    base: &str,
    ty: ResourceType,
    pairs: &[(String, String)],
    found: fhir_api::Found,
    linked: bool,
) -> Value {
    let setting = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let offset = setting("_offset").unwrap_or(0);
    let count = setting("_count").unwrap_or(fhir_api::DEFAULT_COUNT);
    let link = |offset: usize| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "_offset") {
            query.append_pair(k, v);
        }
        if offset > 0 {
            query.append_pair("_offset", &offset.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            format!("{base}/{}", ty.as_str())
        } else {
            format!("{base}/{}?{query}", ty.as_str())
        }
    };
    let mut links = vec![json!({ "relation": "self", "url": link(offset) })];
    if offset + found.matches.len() < found.total {
        links.push(json!({ "relation": "next", "url": link(offset + count) }));
    }
    if offset > 0 {
        links.push(json!({ "relation": "previous", "url": link(offset.saturating_sub(count)) }));
    }
    let entry = |resource: Value, mode: &str| {
        let url = format!(
            "{base}/{}/{}",
            resource["resourceType"].as_str().unwrap_or_default(),
            resource["id"].as_str().unwrap_or_default()
        );
        json!({ "fullUrl": url, "resource": resource, "search": { "mode": mode } })
    };
    let mut entries: Vec<Value> = found
        .matches
        .into_iter()
        .map(|r| entry(r, "match"))
        .collect();
    entries.extend(found.included.into_iter().map(|r| entry(r, "include")));
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": found.total,
        "entry": entries,
    });
    if linked {
        bundle["link"] = json!(links);
    }
    bundle
}

fn unknown_type(kind: &str) -> Response {
    let served: Vec<&str> = ResourceType::ALL.iter().map(|t| t.as_str()).collect();
    let shown: String = kind.chars().take(64).collect();
    outcome::refuse(
        StatusCode::NOT_FOUND,
        "not-supported",
        "UNKNOWN_RESOURCE_TYPE",
        &format!(
            "`{shown}` is not served here; these are: {}",
            served.join(", ")
        ),
    )
}

/// The practice the request is addressed to and who asks (a bearer token or API key, as
/// GraphQL takes them, within its rate limits), or the refusal in FHIR's shape.
pub(super) async fn authenticated<'s>(
    state: &'s AppState,
    parts: &axum::http::request::Parts,
    slug: Option<&str>,
) -> Result<(&'s crate::state::Runtime, RequestContext, SessionClaims), Response> {
    let Some(runtime) = state.runtime() else {
        return Err(outcome::refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "transient",
            "UNAVAILABLE",
            "Portico is starting; retry shortly",
        ));
    };
    let request = super::graphql::request_context(
        runtime,
        &addressed(&parts.headers, slug),
        super::graphql::request_id(&parts.extensions),
        super::graphql::client_ip(&parts.extensions),
        false,
    )
    .await
    .map_err(outcome::of_gate)?;
    if request.tenant.is_none() {
        return Err(outcome::refuse(
            StatusCode::NOT_FOUND,
            "not-found",
            "TENANT_NOT_FOUND",
            "address the practice by its host or the X-Portico-Tenant header",
        ));
    }
    let Some(principal) = request.principal.clone() else {
        return Err(outcome::unauthenticated());
    };
    Ok((runtime, request, principal))
}

/// A request let in: the practice, the principal, and the policy to read charts checked.
struct Gate<'a> {
    state: &'a AppState,
    request: RequestContext,
    principal: SessionClaims,
    sees: fhir_api::Sees,
}

impl<'a> Gate<'a> {
    async fn open(
        state: &'a AppState,
        parts: &axum::http::request::Parts,
        slug: Option<&str>,
    ) -> Result<Self, Response> {
        let (runtime, request, principal) = authenticated(state, parts, slug).await?;
        if principal
            .smart
            .as_ref()
            .is_some_and(|s| s.patient_id.is_none())
        {
            return Err(outcome::refuse(
                StatusCode::FORBIDDEN,
                "forbidden",
                "FORBIDDEN",
                "a backend service's token is for $export; read one chart with a patient's app",
            ));
        }
        let object = if principal.role == Role::Patient {
            "own_chart"
        } else {
            "patients"
        };
        if let Err(e) =
            portico_graphql::permits(&runtime.services, &request, &principal, object, "read").await
        {
            return Err(match e {
                ApiError::MfaEnrolmentRequired => outcome::refuse(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "MFA_ENROLMENT_REQUIRED",
                    "enrol a second factor before reading charts",
                ),
                ApiError::Forbidden => outcome::refuse(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "FORBIDDEN",
                    "your role may not read charts",
                ),
                other => outcome::refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "transient",
                    other.code().as_str(),
                    "the practice's policies could not be read; retry shortly",
                ),
            });
        }
        // Appointments and home readings have policies of their own, as in GraphQL.
        let own = principal.role == Role::Patient;
        let may = async |staff: &str, patient: &str| {
            let object = if own { patient } else { staff };
            portico_graphql::permits(&runtime.services, &request, &principal, object, "read")
                .await
                .is_ok()
        };
        let sees = fhir_api::Sees {
            appointments: may("appointments", "own_appointments").await,
            home_readings: may("readings", "own_readings").await,
        };
        Ok(Self {
            state,
            request,
            principal,
            sees,
        })
    }

    /// Runs `work` in a reading transaction of the practice; its audit events are written
    /// as it commits.
    async fn run<T>(
        &self,
        work: impl AsyncFnOnce(&TenantTx, &Asker<'_>) -> portico_core::CoreResult<T>,
    ) -> Result<T, Response> {
        let request_id = self.request.request_id.as_str();
        let Some(runtime) = self.state.runtime() else {
            return Err(outcome::of_gate(
                StatusCode::SERVICE_UNAVAILABLE.into_response(),
            ));
        };
        let Some(tenant) = self.request.tenant.as_ref() else {
            return Err(outcome::not_found());
        };
        let actor = portico_graphql::actor_of(&self.principal, &self.request);
        let app = self.principal.smart.as_ref().and_then(|s| {
            s.patient_id.map(|patient| AppAccess {
                patient,
                scopes: Scopes::parse(&s.scope),
            })
        });
        // An app reads for the patient: the log names the app (the chart is on the event).
        let actor = match &self.principal.smart {
            Some(s) => portico_core::audit::Actor {
                kind: portico_core::audit::SMART_APP,
                id: Some(s.app_id),
                ..actor
            },
            None => actor,
        };
        let asker = Asker {
            viewer: Viewer {
                user_id: self.principal.user_id,
                role: self.principal.role,
            },
            actor: &actor,
            practice: &tenant.tenant.name,
            app,
            sees: self.sees,
        };
        // An app's grant removed by the patient (or the app turned off) stops its tokens.
        let smart = self.principal.smart.is_some();
        let grant = self.principal.session_id;
        in_tenant(
            runtime,
            tenant,
            Access::Read,
            request_id,
            async |tx| {
                if smart {
                    portico_core::smart::grants::is_live(tx, grant).await
                } else {
                    Ok(true)
                }
            },
            async |tx| work(tx, &asker).await,
        )
        .await
    }
}

/// Runs `work` in a transaction of `tenant` when `live` (the credential still stands: an
/// app's grant, a service turned on) says so, else `401`; commits on success (audit events
/// are written then) and rolls back on a refusal.
pub(super) async fn in_tenant<T>(
    runtime: &crate::state::Runtime,
    tenant: &portico_core::tenants::ResolvedTenant,
    access: Access,
    request_id: &str,
    live: impl AsyncFnOnce(&TenantTx) -> portico_core::CoreResult<bool>,
    work: impl AsyncFnOnce(&TenantTx) -> portico_core::CoreResult<T>,
) -> Result<T, Response> {
    let fail = |e| outcome::of_core(e, request_id);
    let tx = TenantTx::begin(&runtime.services.db, &tenant.scope(), access)
        .await
        .map_err(fail)?;
    let outcome = match live(&tx).await {
        Ok(true) => work(&tx).await.map_err(fail),
        Ok(false) => Err(outcome::unauthenticated()),
        Err(e) => Err(fail(e)),
    };
    match outcome {
        Ok(done) => {
            tx.commit().await.map_err(fail)?;
            Ok(done)
        }
        Err(refused) => {
            let _ = tx.rollback().await;
            Err(refused)
        }
    }
}
