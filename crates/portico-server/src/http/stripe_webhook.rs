//! `POST /webhooks/stripe`: the payment provider's events. The signature is checked over
//! the raw body (300 seconds' tolerance); a bad or stale one is answered 400 and changes
//! nothing. A verified event is applied once (a repeat is answered 200, so the provider
//! stops sending it); a failure to apply is answered 500, so it is sent again.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use portico_core::billing::webhooks::{self, Outcome};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::state::AppState;

const SIGNATURE_HEADER: &str = "stripe-signature";

fn answer(status: StatusCode, code: &str) -> Response {
    (status, axum::Json(json!({ "error": { "code": code } }))).into_response()
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(runtime) = state.runtime() else {
        return answer(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE");
    };
    let (Some(billing), Some(secret)) = (
        &runtime.services.billing,
        state.config.billing.stripe_webhook_secret.as_ref(),
    ) else {
        return answer(StatusCode::NOT_FOUND, "BILLING_OFF");
    };
    let Some(signature) = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()) else {
        return answer(StatusCode::BAD_REQUEST, "BAD_SIGNATURE");
    };
    let Ok(payload) = std::str::from_utf8(&body) else {
        return answer(StatusCode::BAD_REQUEST, "MALFORMED_EVENT");
    };
    let event = match portico_billing::verify_webhook(payload, signature, secret.expose_secret()) {
        Ok(event) => event,
        Err(rejection) => {
            tracing::warn!(code = rejection.code(), "payment provider webhook refused");
            return answer(StatusCode::BAD_REQUEST, rejection.code());
        }
    };
    match webhooks::receive(&runtime.services.db, billing, &event, chrono::Utc::now()).await {
        Ok(outcome) => {
            tracing::info!(event_type = %event.event_type, ?outcome, "payment provider event");
            (
                StatusCode::OK,
                axum::Json(json!({ "received": true, "duplicate": outcome == Outcome::Duplicate })),
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(event_type = %event.event_type, error = %e, "payment provider event not applied");
            answer(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL")
        }
    }
}
