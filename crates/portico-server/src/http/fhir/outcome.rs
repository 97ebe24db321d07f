//! Refusals as FHIR OperationOutcomes, with the HTTP status the FHIR specification gives
//! each and Portico's stable code in `details`.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use portico_core::CoreError;
use serde_json::{Value, json};

pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// A FHIR JSON body with its content type.
pub fn fhir(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// An OperationOutcome of one error: FHIR's issue type `issue`, Portico's `code`, and a
/// message for the developer (never chart content).
pub fn refuse(status: StatusCode, issue: &str, code: &str, message: &str) -> Response {
    fhir(
        status,
        json!({
            "resourceType": "OperationOutcome",
            "issue": [{
                "severity": "error",
                "code": issue,
                "details": {
                    "coding": [{ "system": "urn:portico:error-code", "code": code }],
                    "text": message,
                },
                "diagnostics": message,
            }],
        }),
    )
}

pub fn not_found() -> Response {
    refuse(
        StatusCode::NOT_FOUND,
        "not-found",
        "NOT_FOUND",
        "no such resource, or not one you may read",
    )
}

pub fn unauthenticated() -> Response {
    let mut response = refuse(
        StatusCode::UNAUTHORIZED,
        "login",
        "UNAUTHENTICATED",
        "send a valid access token of this practice: Authorization: Bearer <token>",
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// A domain failure: refused input as `invalid` (400), an unknown id as `not-found`, a
/// restricted chart as `forbidden`; anything else is logged (ids only) and `exception`.
pub fn of_core(err: CoreError, request_id: &str) -> Response {
    match err {
        CoreError::NotFound => not_found(),
        // An app's scopes, or the role's policies, do not reach the type.
        CoreError::Invalid {
            code: code @ ("INSUFFICIENT_SCOPE" | "FORBIDDEN"),
            message,
            ..
        } => refuse(StatusCode::FORBIDDEN, "forbidden", code, &message),
        // One export at a time per service.
        CoreError::Invalid {
            code: code @ "TOO_MANY_EXPORTS",
            message,
            ..
        } => refuse(StatusCode::TOO_MANY_REQUESTS, "throttled", code, &message),
        CoreError::Invalid { code, message, .. } => {
            let issue = match code {
                "UNKNOWN_PARAMETER"
                | "UNSUPPORTED_MODIFIER"
                | "UNSUPPORTED_PARAMETER"
                | "UNSUPPORTED_SEARCH"
                | "UNKNOWN_RESOURCE_TYPE" => "not-supported",
                "PATIENT_REQUIRED" => "required",
                _ => "invalid",
            };
            refuse(StatusCode::BAD_REQUEST, issue, code, &message)
        }
        CoreError::BreakGlassRequired => refuse(
            StatusCode::FORBIDDEN,
            "forbidden",
            "BREAK_GLASS_REQUIRED",
            "this chart is restricted: open it in the console with a reason first",
        ),
        CoreError::ProxyScopeDenied { .. } => not_found(),
        other => {
            tracing::error!(request_id, error = %portico_core::error::chain(&other), "FHIR request failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                "INTERNAL",
                &format!("something went wrong; quote request {request_id}"),
            )
        }
    }
}

/// A refusal made before the request reached FHIR (the practice, the token, the rate limit),
/// in FHIR's shape, keeping its status and `Retry-After`.
pub fn of_gate(refused: Response) -> Response {
    let status = refused.status();
    let retry_after = refused.headers().get(header::RETRY_AFTER).cloned();
    let mut response = match status {
        StatusCode::UNAUTHORIZED => return unauthenticated(),
        StatusCode::NOT_FOUND => refuse(
            status,
            "not-found",
            "TENANT_NOT_FOUND",
            "no practice at this address",
        ),
        StatusCode::TOO_MANY_REQUESTS => refuse(
            status,
            "throttled",
            "RATE_LIMITED",
            "too many requests; retry after the time Retry-After gives",
        ),
        StatusCode::SERVICE_UNAVAILABLE => refuse(
            status,
            "transient",
            "UNAVAILABLE",
            "Portico is starting or busy; retry shortly",
        ),
        _ => refuse(status, "exception", "INTERNAL", "the request was not taken"),
    };
    if let Some(v) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}
