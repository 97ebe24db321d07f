//! `/graphql` over POST, GET and graphql-ws.
//!
//! Requests are checked here before the schema sees them: the body size, the batch size, the
//! CSRF rule (a form or plain-text POST needs a custom header, which a cross-site form cannot
//! send without a CORS preflight) and the tenant the request is addressed to. Every rejection
//! is a GraphQL-shaped error with a stable `extensions.code`.
//!
//! A request with `X-Portico-Session: cookie` is in browser mode: the refresh token travels
//! in the practice's HttpOnly cookie (set and cleared by the session resolvers), and the
//! request is refused (`CSRF_REJECTED`) when its `Origin` is neither Portico's public URL nor
//! its own host. Without the header, cookies are never read.

use std::{net::IpAddr, sync::Arc, time::Instant};

use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::{
    extract::{FromRequestParts, Request, State, WebSocketUpgrade},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};

use portico_core::{
    TenantTx, UserId,
    identity::{MfaState, Role, SessionClaims},
    ports::RateDecision,
    statements,
    tenancy::Access,
    tenants::Addressed,
};
use portico_graphql::{
    ApiError, BrowserSession, ErrorCode, RequestContext, RequestMethod, RequestReads,
    SESSION_HEADER, SESSION_HEADER_COOKIE,
};
use serde_json::json;

use super::{
    RequestId,
    tenant::{self, TENANT_HEADER},
};
use crate::state::{AppState, Runtime};

/// A header that marks a request as sent by script, not by a cross-site form.
pub const CSRF_HEADER: &str = "x-portico-csrf";

/// The largest file a multipart request carries: twice an attachment's limit, so that the
/// resolver (not the transport) refuses a file just over it, with `ATTACHMENT_TOO_LARGE`.
const MULTIPART_FILE_BYTES: usize = 2 * portico_core::messaging::attachments::MAX_BYTES;

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

pub async fn graphql_post(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let request_id = request_id(&parts.extensions);
    let Some(runtime) = state.runtime() else {
        return unavailable();
    };
    if is_cross_site_form(&parts.headers) {
        return reject(
            StatusCode::BAD_REQUEST,
            ErrorCode::CsrfRejected,
            "send GraphQL as application/json, or add the X-Portico-CSRF header",
        );
    }
    if is_browser_session(&parts.headers)
        && is_foreign_origin(&parts, &state.config.http.public_url)
    {
        return foreign_origin();
    }
    let multipart = is_multipart(&parts.headers);
    // Only a signed-in caller may send an upload: checked before a large body is read.
    if multipart {
        match graphql_context(
            runtime,
            &parts.headers,
            request_id.clone(),
            client_ip(&parts.extensions),
            is_browser_session(&parts.headers),
        )
        .await
        {
            Ok(context) if context.principal.is_some() => {}
            Ok(_) => return unauthenticated(),
            Err(response) => return response,
        }
    }
    // An upload (GraphQL multipart request) may be as large as an attachment allows, and a
    // little more, so that a file just over the limit gets its own code from the resolver.
    let limit = if multipart {
        MULTIPART_FILE_BYTES + state.config.http.max_body_bytes
    } else {
        state.config.http.max_body_bytes
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return reject(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::RequestTooLarge,
                &format!("the request body is larger than {limit} bytes"),
            );
        }
    };
    let batch: BatchRequest = if multipart {
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        // async-graphql would keep every file the map names and drop the others silently;
        // a request carries one attachment, so more file parts are refused outright.
        match multipart_files(content_type, bytes.clone()).await {
            Some(n) if n > 1 => {
                return reject(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::TooManyFiles,
                    "a request carries one file: upload attachments one at a time",
                );
            }
            Some(_) => {}
            None => return not_multipart(),
        }
        let options = async_graphql::http::MultipartOptions::default()
            .max_file_size(MULTIPART_FILE_BYTES)
            .max_num_files(1);
        match async_graphql::http::receive_batch_body(
            content_type,
            futures::io::Cursor::new(bytes.to_vec()),
            options,
        )
        .await
        {
            Ok(b) => b,
            Err(_) => return not_multipart(),
        }
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(b) => b,
            Err(_) => {
                return reject(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadRequest,
                    "the body is not a GraphQL request: expected JSON with a \"query\"",
                );
            }
        }
    };
    if batch
        .iter()
        .any(|r| r.query.trim().is_empty() && !portico_graphql::names_persisted_query(r))
    {
        return missing_query();
    }
    let max_batch = state.config.graphql.graphql_max_batch;
    if let BatchRequest::Batch(items) = &batch
        && (items.is_empty() || items.len() > max_batch)
    {
        return reject(
            StatusCode::BAD_REQUEST,
            ErrorCode::BatchTooLarge,
            &format!("a batch holds 1 to {max_batch} operations"),
        );
    }
    let timing = state.config.server_timing();
    execute(
        runtime,
        &parts,
        request_id,
        batch,
        RequestMethod::Post,
        timing,
    )
    .await
}

pub async fn graphql_get(State(state): State<AppState>, req: Request) -> Response {
    let is_upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if is_upgrade {
        return websocket(state, req).await;
    }
    let (parts, _body) = req.into_parts();
    let request_id = request_id(&parts.extensions);
    let Some(runtime) = state.runtime() else {
        return unavailable();
    };
    if is_browser_session(&parts.headers)
        && is_foreign_origin(&parts, &state.config.http.public_url)
    {
        return foreign_origin();
    }
    let query = parts.uri.query().unwrap_or_default();
    let request = match async_graphql::http::parse_query_string(query) {
        Ok(r) => r,
        Err(_) => {
            return reject(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "expected ?query=... (and optionally operationName and variables as JSON)",
            );
        }
    };
    if request.query.trim().is_empty() && !portico_graphql::names_persisted_query(&request) {
        return missing_query();
    }
    execute(
        runtime,
        &parts,
        request_id,
        BatchRequest::Single(request),
        RequestMethod::Get,
        state.config.server_timing(),
    )
    .await
}

async fn websocket(state: AppState, req: Request) -> Response {
    let (mut parts, _body) = req.into_parts();
    let request_id = request_id(&parts.extensions);
    let Some(runtime) = state.runtime() else {
        return unavailable();
    };
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &state).await {
        Ok(p) => p,
        Err(rejection) => return rejection.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    // graphql-ws authenticates in `connection_init`; the refresh cookie plays no part.
    let headers = tenant::with_query_tenant(&parts.headers, parts.uri.query());
    let context = match graphql_context(
        runtime,
        &headers,
        request_id,
        client_ip(&parts.extensions),
        false,
    )
    .await
    {
        Ok(c) => c,
        Err(response) => return response,
    };
    let schema = runtime.schema.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let mut data = async_graphql::Data::default();
            data.insert(context.clone());
            data.insert(RequestMethod::WebSocket);
            let stopping = state.stopping.clone();
            let sessions = state.sessions.clone();
            let (sink, stream) = socket.split();
            // The session writes into a channel that `until_stopped` drains into the socket,
            // so that on shutdown the socket is still ours to close with a reconnect code.
            let (tx, rx) = futures::channel::mpsc::channel(16);
            let session = GraphQLWebSocket::new_with_pair(
                tx,
                stream.take_until(stopping.clone().cancelled_owned()),
                schema,
                protocol,
            )
            .with_data(data)
            .on_connection_init(move |payload| connection_init(state, context, payload))
            .serve();
            sessions.track_future(until_stopped(session, rx, sink, stopping))
        })
}

/// WebSocket close code 1012 (service restart): graphql-ws clients reconnect after it, to
/// another instance behind the load balancer.
const CLOSE_SERVICE_RESTART: u16 = 1012;

/// Runs a graphql-ws session, forwarding what it sends to the socket, until the session ends
/// or the process starts stopping; then closes the socket with [`CLOSE_SERVICE_RESTART`].
async fn until_stopped(
    session: impl Future<Output = ()>,
    mut outgoing: futures::channel::mpsc::Receiver<axum::extract::ws::Message>,
    mut socket: futures::stream::SplitSink<
        axum::extract::ws::WebSocket,
        axum::extract::ws::Message,
    >,
    stopping: tokio_util::sync::CancellationToken,
) {
    use axum::extract::ws::{CloseFrame, Message};
    let forward = async {
        while let Some(message) = outgoing.next().await {
            if socket.send(message).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        // Checked first: once stopping, the session's input ends too, and the socket is
        // closed here with the reconnect code rather than left to drop.
        biased;
        () = stopping.cancelled() => {}
        // The session ended by itself: the client left, or the session closed the socket
        // with its own code, which `forward` has sent.
        _ = futures::future::join(session, forward) => return,
    }
    let close = Message::Close(Some(CloseFrame {
        code: CLOSE_SERVICE_RESTART,
        reason: "server restarting".into(),
    }));
    // A client already gone has nothing left to be told.
    if socket.send(close).await.is_ok() {
        let _ = socket.close().await;
    }
}

/// graphql-ws clients (browsers cannot set headers on a WebSocket) send their token in the
/// `connection_init` payload, as `{"authorization": "Bearer ..."}` (or `Authorization`, or
/// `token`). It is checked by the same rules as a request's header; a bad one closes the
/// connection.
async fn connection_init(
    state: AppState,
    context: RequestContext,
    payload: serde_json::Value,
) -> async_graphql::Result<async_graphql::Data> {
    let mut data = async_graphql::Data::default();
    let token = ["authorization", "Authorization", "token"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim().to_owned());
    let Some(token) = token else {
        data.insert(context);
        return Ok(data);
    };
    let refused = || async_graphql::Error::new(ApiError::Unauthenticated.message());
    let runtime = state.runtime().ok_or_else(refused)?;
    let tenant = context.tenant.as_ref().ok_or_else(refused)?;
    let claims = if portico_core::api_keys::prefix_of(&token).is_some() {
        api_key_principal(&runtime.services, tenant, &token, &context.request_id).await
    } else {
        session_principal(&runtime.services, tenant, &token, &context.request_id).await
    }
    .map_err(|_| refused())?;
    // A SMART app's token is for the FHIR API only.
    if claims.smart.is_some() {
        return Err(refused());
    }
    data.insert(RequestContext {
        principal: Some(claims),
        ..context
    });
    Ok(data)
}

/// Runs the operation(s), counting the database statements the whole request sends (tenant
/// resolution and credentials included).
async fn execute(
    runtime: &Runtime,
    parts: &axum::http::request::Parts,
    request_id: String,
    batch: BatchRequest,
    method: RequestMethod,
    server_timing: bool,
) -> Response {
    let operation = operation_label(&batch);
    let (mut response, db) =
        statements::counted(run(runtime, parts, request_id, batch, method, &operation)).await;
    metrics::histogram!("portico_graphql_db_statements", "operation" => operation)
        .record(f64::from(db.statements));
    if server_timing {
        response
            .headers_mut()
            .insert("server-timing", server_timing_header(&db));
    }
    response
}

async fn run(
    runtime: &Runtime,
    parts: &axum::http::request::Parts,
    request_id: String,
    batch: BatchRequest,
    method: RequestMethod,
    operation: &str,
) -> Response {
    let client_ip = client_ip(&parts.extensions);
    let browser = is_browser_session(&parts.headers);
    let context =
        match graphql_context(runtime, &parts.headers, request_id, client_ip, browser).await {
            Ok(c) => c,
            Err(response) => return response,
        };
    tracing::Span::current().record("graphql.operation", operation);
    let started = Instant::now();
    let request_id = context.request_id.clone();
    let reads = Arc::new(RequestReads::default());
    let batch = batch.data(context).data(method).data(Arc::clone(&reads));
    let response: BatchResponse = runtime.schema.execute_batch(batch).await;
    // The query's shared reading transaction ends here, writing its audit events: an answer
    // whose reads could not be recorded is not sent.
    if let Err(e) = RequestReads::finish(reads).await {
        let err = ApiError::from_core(e, &request_id);
        return reject(
            StatusCode::INTERNAL_SERVER_ERROR,
            err.code(),
            &err.message(),
        );
    }
    let outcome = if response.is_ok() { "ok" } else { "error" };
    metrics::counter!("portico_graphql_operations_total", "operation" => operation.to_owned(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("portico_graphql_operation_duration_seconds", "operation" => operation.to_owned())
        .record(started.elapsed().as_secs_f64());
    GraphQLResponse::from(response).into_response()
}

/// `Server-Timing`: the request's database statements, writing transactions and time.
fn server_timing_header(db: &statements::Counts) -> HeaderValue {
    let value = format!(
        "db;dur={:.3};desc=\"statements={} write-transactions={}\"",
        db.database_time().as_secs_f64() * 1000.0,
        db.statements,
        db.write_transactions,
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("db"))
}

/// Resolves the tenant; an unknown one ends the request with `TENANT_NOT_FOUND`. With
/// `browser`, the practice's refresh cookie is read too.
/// [`request_context`] for GraphQL, which a SMART app's token (FHIR only) does not open.
async fn graphql_context(
    runtime: &Runtime,
    headers: &HeaderMap,
    request_id: String,
    client_ip: Option<IpAddr>,
    browser: bool,
) -> Result<RequestContext, Response> {
    let context = request_context(runtime, headers, request_id, client_ip, browser).await?;
    if context
        .principal
        .as_ref()
        .is_some_and(|p| p.smart.is_some())
    {
        return Err(unauthenticated());
    }
    Ok(context)
}

pub(super) async fn request_context(
    runtime: &Runtime,
    headers: &HeaderMap,
    request_id: String,
    client_ip: Option<IpAddr>,
    browser: bool,
) -> Result<RequestContext, Response> {
    let services = &runtime.services;
    let addressed = tenant::resolve(&services.db, headers, &services.base_domain)
        .await
        .map_err(|e| {
            let err = ApiError::from_core(e, &request_id);
            reject(
                StatusCode::INTERNAL_SERVER_ERROR,
                err.code(),
                &err.message(),
            )
        })?;
    let tenant = match addressed {
        Addressed::Platform => None,
        Addressed::Tenant(t) => {
            tracing::Span::current().record("tenant_id", t.id().to_string());
            Some(*t)
        }
        Addressed::Unknown => {
            return Err(reject(
                StatusCode::NOT_FOUND,
                ErrorCode::TenantNotFound,
                &ApiError::TenantNotFound.message(),
            ));
        }
    };
    let principal = match bearer(headers) {
        None => None,
        Some(token) => {
            // A credential is only ever valid for the tenant it was issued for.
            let tenant = tenant.as_ref().ok_or_else(unauthenticated)?;
            let claims = if portico_core::api_keys::prefix_of(token).is_some() {
                api_key_principal(services, tenant, token, &request_id).await?
            } else {
                session_principal(services, tenant, token, &request_id).await?
            };
            tracing::Span::current().record("user_id", claims.user_id.to_string());
            Some(claims)
        }
    };
    let browser = browser.then(|| BrowserSession {
        refresh_cookie: tenant
            .as_ref()
            .and_then(|t| cookie(headers, &portico_graphql::cookie_name(&t.tenant.slug))),
    });
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(512).collect::<String>())
    };
    Ok(RequestContext {
        request_id,
        tenant,
        principal,
        client_ip,
        browser,
        origin: header_text(header::ORIGIN),
        user_agent: header_text(header::USER_AGENT),
    })
}

/// Whether the request asked for a browser session (`X-Portico-Session: cookie`).
fn is_browser_session(headers: &HeaderMap) -> bool {
    headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(SESSION_HEADER_COOKIE))
}

/// The value of cookie `name`, if the request carries it (non-empty).
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// A browser-mode request sent by a page of another origin. The custom header already forces
/// a CORS preflight and the cookie is `SameSite=Strict`; this is the third lock. A request
/// without `Origin` (not from a browser's cross-origin fetch) passes.
fn is_foreign_origin(parts: &axum::http::request::Parts, public_url: &str) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return false;
    };
    let Some(origin) = origin
        .to_str()
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
    else {
        // `null` (a sandboxed frame, a redirect across origins) or garbage.
        return true;
    };
    let public = url::Url::parse(public_url).ok().map(|u| u.origin());
    if public.as_ref() == Some(&origin) {
        return false;
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let Some(host) = host else {
        return true;
    };
    !["http", "https"].iter().any(|scheme| {
        url::Url::parse(&format!("{scheme}://{host}"))
            .is_ok_and(|u| u.origin() == origin && u.path() == "/")
    })
}

fn foreign_origin() -> Response {
    reject(
        StatusCode::FORBIDDEN,
        ErrorCode::CsrfRejected,
        "a browser session is only accepted from Portico's own pages",
    )
}

async fn session_principal(
    services: &portico_graphql::Services,
    tenant: &portico_core::tenants::ResolvedTenant,
    token: &str,
    request_id: &str,
) -> Result<SessionClaims, Response> {
    let claims = services
        .tokens
        .verify(token, tenant.id())
        .await
        .map_err(|e| {
            tracing::info!(reason = %e, "access token refused");
            unauthenticated()
        })?;
    let revoked = services
        .revocations
        .is_revoked(claims.session_id)
        .await
        .map_err(|e| {
            portico_graphql::revocation_check_failed(&e, request_id, claims.session_id);
            unavailable()
        })?;
    if revoked {
        return Err(unauthenticated());
    }
    Ok(claims)
}

/// An API key acts with its role, within its per-key rate limit.
async fn api_key_principal(
    services: &portico_graphql::Services,
    tenant: &portico_core::tenants::ResolvedTenant,
    token: &str,
    request_id: &str,
) -> Result<SessionClaims, Response> {
    let internal = |e: portico_core::CoreError| {
        let err = ApiError::from_core(e, request_id);
        reject(
            StatusCode::INTERNAL_SERVER_ERROR,
            err.code(),
            &err.message(),
        )
    };
    // A read on every request; the write lock is taken only when the last use is recorded
    // (at most once a minute per key).
    let tx = TenantTx::begin(&services.db, &tenant.scope(), Access::Read)
        .await
        .map_err(internal)?;
    let key = portico_core::api_keys::authenticate(&tx, token)
        .await
        .map_err(internal)?;
    tx.rollback().await.map_err(internal)?;
    if let Some(key) = key
        .as_ref()
        .filter(|k| portico_core::api_keys::last_use_is_stale(k))
    {
        let tx = TenantTx::begin(&services.db, &tenant.scope(), Access::Write)
            .await
            .map_err(internal)?;
        portico_core::api_keys::record_use(&tx, key)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
    }
    let Some(key) = key else {
        tracing::info!("API key refused");
        return Err(unauthenticated());
    };
    let decision = services
        .rate_limiter
        .hit(
            &format!("api-key:{}", key.id),
            services.api_key_rate_per_minute,
            Duration::from_secs(60),
        )
        .await
        .map_err(|e| {
            tracing::error!(request_id, error = %portico_core::error::chain(&e), "rate limiter failed");
            unavailable()
        })?;
    if let RateDecision::Limited { retry_after } = decision {
        let secs = retry_after.as_secs().max(1);
        let body = json!({ "errors": [{
            "message": format!("too many requests with this API key; retry in {secs} s"),
            "extensions": { "code": ErrorCode::RateLimited.as_str(), "retryAfter": secs },
        }] });
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Err(response);
    }
    let role = Role::parse(&key.role).ok_or_else(unauthenticated)?;
    let now = chrono::Utc::now().timestamp();
    Ok(SessionClaims {
        tenant_id: tenant.id(),
        user_id: UserId::from_uuid(key.created_by),
        session_id: key.id,
        role,
        mfa: MfaState::Satisfied,
        issued_at: now,
        expires_at: now,
        api_key_id: Some(key.id),
        key_scopes: portico_core::api_keys::scopes_of(&key),
        smart: None,
    })
}

/// The bearer token of `Authorization`, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn unauthenticated() -> Response {
    reject(
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
        &ApiError::Unauthenticated.message(),
    )
}

/// A POST that a cross-site HTML form could have sent: a "simple" content type and no
/// header that would have needed a CORS preflight.
fn is_cross_site_form(headers: &HeaderMap) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let simple = matches!(
        content_type.as_str(),
        "" | "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data"
    );
    let preflighted = headers.contains_key(CSRF_HEADER)
        || headers.contains_key(TENANT_HEADER)
        || headers.contains_key(SESSION_HEADER);
    simple && !preflighted
}

/// Distinct operation names a process labels metrics with; later names count as `other`,
/// so clients cannot grow the number of series without bound.
const MAX_OPERATION_LABELS: usize = 200;

/// A low-cardinality label for metrics and spans: the client's operation name when it is a
/// plain identifier (and one of the first few hundred seen), else `anonymous` or `other`;
/// `batch` for batches.
fn operation_label(batch: &BatchRequest) -> String {
    use std::{
        collections::HashSet,
        sync::{Mutex, OnceLock},
    };
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let label = raw_operation_label(batch);
    if label == "anonymous" || label == "batch" {
        return label;
    }
    let Ok(mut seen) = SEEN.get_or_init(Default::default).lock() else {
        return "other".to_owned();
    };
    if seen.contains(&label) || seen.len() < MAX_OPERATION_LABELS {
        seen.insert(label.clone());
        label
    } else {
        "other".to_owned()
    }
}

fn raw_operation_label(batch: &BatchRequest) -> String {
    match batch {
        BatchRequest::Single(r) => r
            .operation_name
            .as_deref()
            .filter(|n| {
                !n.is_empty()
                    && n.len() <= 64
                    && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
            .unwrap_or("anonymous")
            .to_owned(),
        BatchRequest::Batch(_) => "batch".to_owned(),
    }
}

pub(super) fn client_ip(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions.get::<super::ClientAddr>().and_then(|c| c.0)
}

pub(super) fn request_id(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// The number of file parts in a multipart body; `None` when it is not well-formed.
async fn multipart_files(content_type: Option<&str>, body: axum::body::Bytes) -> Option<usize> {
    let boundary = multer::parse_boundary(content_type?).ok()?;
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut files = 0;
    // Each field's content is skipped unread when the next one is asked for.
    while let Some(field) = multipart.next_field().await.ok()? {
        if field.file_name().is_some() {
            files += 1;
        }
    }
    Some(files)
}

fn not_multipart() -> Response {
    reject(
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
        "the body is not a GraphQL multipart request (operations, map, one file)",
    )
}

fn missing_query() -> Response {
    reject(
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
        "the request has no GraphQL \"query\"",
    )
}

fn unavailable() -> Response {
    reject(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
        &ApiError::Unavailable.message(),
    )
}

/// A request-level error in the GraphQL response shape.
pub fn reject(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("2"),
        );
    }
    response
}
