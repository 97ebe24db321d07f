//! Bulk Data Access's HTTP side, for a backend service's token only: the kick-off
//! (`$export`, `Patient/$export`, with `Prefer: respond-async`) answers 202 with the status
//! URL in `Content-Location`; the status answers 202 with `X-Progress` while the job runs,
//! then the manifest; `DELETE` on it cancels; the files are downloaded with the same token.
//! The work is core's ([`portico_core::fhir_api::bulk`]).

use std::collections::HashMap;

use axum::{
    extract::{Path, RawQuery, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use portico_core::{
    TenantTx,
    audit::{Actor, SMART_APP},
    fhir_api::{
        Sees, SystemScopes,
        bulk::{self, Level, status},
    },
    smart::backend,
    tenancy::Access,
};
use portico_graphql::{ApiError, RequestContext};
use serde_json::json;
use uuid::Uuid;

use super::{base_url, outcome, path_slug};
use crate::state::AppState;

/// How often a client is asked to poll while the export runs.
const RETRY_AFTER_SECS: &str = "2";
/// The manifest's error file for restricted charts left out.
const WITHHELD: &str = "withheld";

/// A backend service's request let in: its app, scopes, and the request's context.
struct Service {
    request: RequestContext,
    app: Uuid,
    scopes: SystemScopes,
    actor: Actor,
    /// What the practice's policies let it see beyond charts.
    sees: Sees,
}

impl Service {
    /// The service and the export its path names (`{id}`), for the status and file URLs.
    async fn with_export(
        state: &AppState,
        params: &HashMap<String, String>,
        req: Request,
    ) -> Result<(Self, axum::http::request::Parts, Uuid), Response> {
        let (parts, _) = req.into_parts();
        let service = Self::open(state, &parts, path_slug(params)).await?;
        let id = params
            .get("id")
            .and_then(|v| Uuid::parse_str(v).ok())
            .ok_or_else(outcome::not_found)?;
        Ok((service, parts, id))
    }

    async fn open(
        state: &AppState,
        parts: &axum::http::request::Parts,
        slug: Option<&str>,
    ) -> Result<Self, Response> {
        let (runtime, request, principal) = super::authenticated(state, parts, slug).await?;
        let principal = &principal;
        let Some(smart) = principal.smart.as_ref().filter(|s| s.patient_id.is_none()) else {
            return Err(outcome::refuse(
                StatusCode::FORBIDDEN,
                "forbidden",
                "FORBIDDEN",
                "bulk export is for backend services: get a token with client_credentials",
            ));
        };
        // The service acts with the role of its token (practice admin), under the
        // practice's policies: charts, and appointments and home readings, as the FHIR
        // reads check them.
        let may = async |object: &str| match portico_graphql::permits(
            &runtime.services,
            &request,
            principal,
            object,
            "read",
        )
        .await
        {
            Ok(()) => Ok(true),
            Err(ApiError::Forbidden | ApiError::MfaEnrolmentRequired) => Ok(false),
            // Never a smaller export for a policy store that did not answer.
            Err(other) => Err(outcome::refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "transient",
                other.code().as_str(),
                "the practice's policies could not be read; retry shortly",
            )),
        };
        if !may("patients").await? {
            return Err(outcome::refuse(
                StatusCode::FORBIDDEN,
                "forbidden",
                "FORBIDDEN",
                "the practice's policies do not let a service read charts",
            ));
        }
        let sees = Sees {
            appointments: may("appointments").await?,
            home_readings: may("readings").await?,
        };
        let actor = Actor {
            kind: SMART_APP,
            id: Some(smart.app_id),
            request_id: Some(request.request_id.clone()),
            client_ip: request.client_ip,
            ..Actor::system()
        };
        Ok(Self {
            app: smart.app_id,
            scopes: SystemScopes::parse(&smart.scope),
            actor,
            sees,
            request,
        })
    }

    /// Runs `work` in a transaction of the practice, if the service is still on.
    async fn run<T>(
        &self,
        state: &AppState,
        access: Access,
        work: impl AsyncFnOnce(&TenantTx) -> portico_core::CoreResult<T>,
    ) -> Result<T, Response> {
        let (Some(runtime), Some(tenant)) = (state.runtime(), self.request.tenant.as_ref()) else {
            return Err(outcome::not_found());
        };
        let app = self.app;
        super::in_tenant(
            runtime,
            tenant,
            access,
            &self.request.request_id,
            async |tx| backend::is_on(tx, app).await,
            work,
        )
        .await
    }
}

/// `GET /fhir/r4/$export`.
pub async fn system_export(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    RawQuery(query): RawQuery,
    req: Request,
) -> Response {
    kick_off(&state, &params, query, req, Level::System).await
}

/// `GET /fhir/r4/Patient/$export`.
pub async fn patient_export(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    RawQuery(query): RawQuery,
    req: Request,
) -> Response {
    kick_off(&state, &params, query, req, Level::Patient).await
}

async fn kick_off(
    state: &AppState,
    params: &HashMap<String, String>,
    query: Option<String>,
    req: Request,
    level: Level,
) -> Response {
    let slug = path_slug(params);
    let (parts, _) = req.into_parts();
    let service = match Service::open(state, &parts, slug).await {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let asynchronous = parts
        .headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';']))
        .any(|v| v.trim() == "respond-async");
    if !asynchronous {
        return outcome::refuse(
            StatusCode::BAD_REQUEST,
            "required",
            "PREFER_ASYNC_REQUIRED",
            "an export runs in the background: send Prefer: respond-async",
        );
    }
    let accepts = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| {
            v.split(',').any(|t| {
                let t = t.split(';').next().unwrap_or_default().trim();
                matches!(t, "application/fhir+json" | "application/json" | "*/*")
            })
        });
    if !accepts {
        return outcome::refuse(
            StatusCode::NOT_ACCEPTABLE,
            "not-supported",
            "NOT_ACCEPTABLE",
            "the kick-off answers in application/fhir+json",
        );
    }
    let query = query.unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let base = base_url(&parts.headers, &state.config.http.public_url, slug);
    let path = match level {
        Level::System => "$export",
        Level::Patient => "Patient/$export",
    };
    let request = if query.is_empty() {
        format!("{base}/{path}")
    } else {
        format!("{base}/{path}?{query}")
    };
    let started = service
        .run(state, Access::Write, async |tx| {
            bulk::kick_off(
                tx,
                &service.actor,
                bulk::Ask {
                    app: service.app,
                    scopes: &service.scopes,
                    sees: service.sees,
                    level,
                    pairs: &pairs,
                    url: &request,
                },
            )
            .await
        })
        .await;
    let export = match started {
        Ok(e) => e,
        Err(mut refused) => {
            // One export at a time: a minute is a fair wait before asking again.
            if refused.status() == StatusCode::TOO_MANY_REQUESTS {
                refused
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            }
            return refused;
        }
    };
    // The job is in the outbox: relayed now rather than at the next minute's sweep.
    if let (Some(runtime), Some(tenant)) = (state.runtime(), service.request.tenant.as_ref()) {
        let relay = portico_core::ports::Job::RelayOutbox {
            tenant_id: tenant.id(),
        };
        if let Err(e) = runtime.services.queue.enqueue(relay).await {
            tracing::warn!(error = %e, "outbox relay not queued; the sweep will relay the export");
        }
    }
    let mut response = StatusCode::ACCEPTED.into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{base}/$export-status/{}", export.id)) {
        response
            .headers_mut()
            .insert(header::CONTENT_LOCATION, location);
    }
    response
}

/// `GET` (how it stands) and `DELETE` (cancel) `/fhir/r4/$export-status/{id}`.
pub async fn export_status(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    req: Request,
) -> Response {
    let slug = path_slug(&params);
    let (service, parts, id) = match Service::with_export(&state, &params, req).await {
        Ok(opened) => opened,
        Err(refused) => return refused,
    };
    if parts.method == Method::DELETE {
        let cancelled = service
            .run(&state, Access::Write, async |tx| {
                bulk::cancel(tx, &service.actor, service.app, id).await
            })
            .await;
        return match cancelled {
            Ok(keys) => {
                if let Some(runtime) = state.runtime() {
                    for key in keys {
                        // Its row stays: the nightly purge deletes again what is left.
                        if let Err(e) = runtime.services.attachments.delete(&key).await {
                            tracing::warn!(%key, error = %e, "bulk export file not deleted");
                        }
                    }
                }
                StatusCode::ACCEPTED.into_response()
            }
            Err(refused) => refused,
        };
    }
    let found = service
        .run(&state, Access::Read, async |tx| {
            bulk::status(tx, service.app, id).await
        })
        .await;
    let (export, files) = match found {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let interrupted = bulk::interrupted(&export, chrono::Utc::now());
    let mut response = match export.status.as_str() {
        status::QUEUED | status::RUNNING if !interrupted => {
            let progress = if export.status == status::QUEUED {
                "queued".to_owned()
            } else {
                format!("{} of {} charts", export.charts_done, export.charts_total)
            };
            let mut r = StatusCode::ACCEPTED.into_response();
            let headers = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&progress) {
                headers.insert("x-progress", v);
            }
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
            r
        }
        status::COMPLETE => {
            let base = base_url(&parts.headers, &state.config.http.public_url, slug);
            let file_url = |file: &str| format!("{base}/$export-file/{}/{file}", export.id);
            let output: Vec<_> = files
                .iter()
                .map(|f| {
                    json!({
                        "type": f.resource_type,
                        "url": file_url(&f.id.to_string()),
                        "count": f.resources,
                    })
                })
                .collect();
            let error = if export.charts_withheld > 0 {
                vec![json!({ "type": "OperationOutcome", "url": file_url(WITHHELD) })]
            } else {
                Vec::new()
            };
            let mut r = axum::Json(json!({
                "transactionTime": export.started_at.unwrap_or(export.created_at).to_rfc3339(),
                "request": export.request,
                "requiresAccessToken": true,
                "output": output,
                "error": error,
            }))
            .into_response();
            if let Ok(v) = HeaderValue::from_str(
                &export
                    .expires_at
                    .format("%a, %d %b %Y %H:%M:%S GMT")
                    .to_string(),
            ) {
                r.headers_mut().insert(header::EXPIRES, v);
            }
            r
        }
        _ => outcome::refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            "EXPORT_FAILED",
            export
                .error
                .as_deref()
                .filter(|_| !interrupted)
                .unwrap_or("the export was interrupted; start another"),
        ),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /fhir/r4/$export-file/{id}/{file}`: one NDJSON file of a complete export.
pub async fn export_file(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    req: Request,
) -> Response {
    let (service, _, id) = match Service::with_export(&state, &params, req).await {
        Ok(opened) => opened,
        Err(refused) => return refused,
    };
    let file = params.get("file").map_or("", String::as_str);
    let ndjson = |body: Vec<u8>| {
        let mut r = body.into_response();
        let headers = r.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/fhir+ndjson"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    };
    if file == WITHHELD {
        let found = service
            .run(&state, Access::Read, async |tx| {
                bulk::status(tx, service.app, id).await
            })
            .await;
        return match found {
            Ok((export, _)) if export.status == status::COMPLETE && export.charts_withheld > 0 => {
                let outcome = json!({
                    "resourceType": "OperationOutcome",
                    "issue": [{
                        "severity": "warning",
                        "code": "suppressed",
                        "details": { "coding": [{ "system": "urn:portico:error-code", "code": "CHARTS_WITHHELD" }] },
                        "diagnostics": format!(
                            "{} restricted charts were left out of this export",
                            export.charts_withheld
                        ),
                    }],
                });
                ndjson(format!("{outcome}\n").into_bytes())
            }
            Ok(_) => outcome::not_found(),
            Err(refused) => refused,
        };
    }
    let Ok(file) = Uuid::parse_str(file) else {
        return outcome::not_found();
    };
    let found = service
        .run(&state, Access::Read, async |tx| {
            bulk::file(tx, &service.actor, service.app, id, file).await
        })
        .await;
    let found = match found {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let Some(runtime) = state.runtime() else {
        return outcome::not_found();
    };
    match runtime.services.attachments.get(&found.object_key).await {
        Ok(bytes) => ndjson(bytes),
        Err(e) => {
            tracing::error!(export = %id, error = %e, "bulk export file unreadable");
            outcome::refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                "INTERNAL",
                &format!(
                    "the file could not be read; quote request {}",
                    service.request.request_id
                ),
            )
        }
    }
}
