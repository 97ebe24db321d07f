//! `/files/{tenant}/{attachment}?token=`: an attachment through a short-lived signed link.
//! The link was signed for one user who could read the thread when they asked for it; the
//! download is audited under that user. Served as a download, never rendered in place.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use portico_core::{
    TenantId, TenantTx, audit::Actor, chart_access::Viewer, identity::TokenError,
    messaging::attachments, tenancy::Access, tenants,
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::state::AppState;

#[derive(Deserialize)]
pub struct Link {
    token: String,
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

fn not_found() -> Response {
    refuse(StatusCode::NOT_FOUND, "NOT_FOUND", "no such file")
}

pub async fn download(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<super::RequestId>,
    Path((tenant_id, attachment_id)): Path<(Uuid, Uuid)>,
    Query(link): Query<Link>,
) -> Response {
    let Some(runtime) = state.runtime() else {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "starting");
    };
    let services = &runtime.services;
    let tenant_id = TenantId::from_uuid(tenant_id);
    let grant = match services
        .tokens
        .verify_download(&link.token, tenant_id)
        .await
    {
        Ok(g) if g.attachment_id == attachment_id => g,
        Ok(_) => return not_found(),
        Err(TokenError::Expired) => {
            return refuse(
                StatusCode::FORBIDDEN,
                "LINK_EXPIRED",
                "the link has expired; open the message again for a new one",
            );
        }
        Err(_) => return refuse(StatusCode::FORBIDDEN, "FORBIDDEN", "not a valid link"),
    };
    let internal = |e: portico_core::CoreError| {
        tracing::error!(error = %portico_core::error::chain(&e), "attachment download failed");
        refuse(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "try again")
    };
    let tenant = match tenants::find_by_id(&services.db, tenant_id).await {
        Ok(Some(t)) => t,
        Ok(None) => return not_found(),
        Err(e) => return internal(e),
    };
    // Signed out (or the session revoked) since the link was made: it stops working.
    if let Some(session) = grant.session_id {
        match services.revocations.is_revoked(session).await {
            Ok(false) => {}
            Ok(true) => return refuse(StatusCode::FORBIDDEN, "FORBIDDEN", "not a valid link"),
            Err(e) => {
                portico_graphql::revocation_check_failed(&e, &request_id.0, session);
                return refuse(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "try again");
            }
        }
    }
    let tx = match TenantTx::begin(&services.db, &tenant.scope(), Access::Write).await {
        Ok(tx) => tx,
        Err(e) => return internal(e),
    };
    // The link's user must still be able to read the thread (a revoked proxy grant, a
    // closed-off chart): checked again now, not only when the link was made.
    let viewer = Viewer {
        user_id: grant.user_id,
        role: grant.role,
    };
    let (found, patient_id, break_glass) = match attachments::open_for(&tx, &viewer, attachment_id)
        .await
    {
        Ok(found) => found,
        Err(portico_core::CoreError::NotFound | portico_core::CoreError::BreakGlassRequired) => {
            let _ = tx.rollback().await;
            return not_found();
        }
        Err(e) => return internal(e),
    };
    let actor = Actor::user(grant.user_id.as_uuid())
        .with_role(grant.role)
        .with_break_glass(break_glass)
        .with_request(&request_id.0);
    if let Err(e) = attachments::record_download(&tx, &actor, &found, patient_id).await {
        return internal(e);
    }
    if let Err(e) = tx.commit().await {
        return internal(e);
    }
    let bytes = match services.attachments.get(&found.storage_key).await {
        Ok(b) => b,
        Err(e) => return internal(portico_core::CoreError::adapter(e)),
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        found
            .file_name
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .collect::<String>()
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&found.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}
