//! `/healthz`: the process is up. `/readyz`: the database, the job queue and pub/sub answer.
//! `/.well-known/jwks.json`: the keys that verify access tokens.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.stopping.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "stopping" })),
        );
    }
    let Some(runtime) = state.runtime() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "starting" })),
        );
    };
    let s = &runtime.services;
    let (db, queue, pubsub) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, s.db.ping()),
        tokio::time::timeout(CHECK_TIMEOUT, s.queue.ping()),
        tokio::time::timeout(CHECK_TIMEOUT, s.pubsub.ping()),
    );
    let db_ok = matches!(db, Ok(Ok(())));
    let queue_ok = matches!(queue, Ok(Ok(())));
    let pubsub_ok = matches!(pubsub, Ok(Ok(())));
    let status = if db_ok && queue_ok && pubsub_ok {
        StatusCode::OK
    } else {
        tracing::warn!(db_ok, queue_ok, pubsub_ok, "not ready");
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unreachable" };
    (
        status,
        Json(json!({
            "status": if status == StatusCode::OK { "ready" } else { "unavailable" },
            "checks": {
                "database": word(db_ok),
                "queue": word(queue_ok),
                "pubsub": word(pubsub_ok),
            }
        })),
    )
}

/// The public keys that verify access tokens (RFC 7517).
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    match state.runtime() {
        Some(runtime) => (
            StatusCode::OK,
            [(axum::http::header::CACHE_CONTROL, "public, max-age=300")],
            Json(runtime.services.tokens.jwks()),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "starting" })),
        )
            .into_response(),
    }
}
