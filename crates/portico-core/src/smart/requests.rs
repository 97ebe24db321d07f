//! An app's authorization request: checked at the authorize endpoint (where nothing is
//! redirected to an address the app did not register), kept while the patient decides on
//! the portal's consent page, then approved (a grant and a one-minute code) or denied.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use super::{OAuthError, REQUEST_TTL, apps};
use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::{self, Access, Actor},
    chart_access::{self, Purpose, Viewer},
    entities::{patient, smart_app, smart_grant, smart_request},
    fhir_api::Scopes,
};

/// The authorize endpoint's query, as received.
#[derive(Clone, Debug, Default)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub aud: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Why a request was refused: shown here when the client or its redirect URI is not
/// known (never redirected), else sent back to the app's redirect URI.
#[derive(Debug)]
pub enum Refusal {
    Here(OAuthError),
    Back { redirect: String },
}

impl From<CoreError> for Refusal {
    fn from(e: CoreError) -> Self {
        Self::Here(OAuthError::Server(e))
    }
}

/// `uri` with `params` added to its query.
pub fn redirect_with(uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}

/// The app's redirect URI with the refusal (and its `state`).
fn refusal_url(uri: &str, err: &OAuthError, state: Option<&str>) -> String {
    let description = err.description();
    let mut params = vec![
        ("error", err.code()),
        ("error_description", description.as_str()),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    redirect_with(uri, &params)
}

fn back(uri: &str, err: &OAuthError, state: Option<&str>) -> Refusal {
    Refusal::Back {
        redirect: refusal_url(uri, err, state),
    }
}

/// Checks an authorization request for the FHIR API at `audience` and keeps it for the
/// consent page: its id.
pub async fn begin(
    tx: &TenantTx,
    params: &AuthorizeParams,
    audience: &str,
) -> Result<Uuid, Refusal> {
    let client_id = params
        .client_id
        .as_deref()
        .ok_or_else(|| Refusal::Here(OAuthError::InvalidRequest("client_id is missing".into())))?;
    let app = apps::by_client(tx, client_id).await?.ok_or_else(|| {
        Refusal::Here(OAuthError::InvalidClient(
            "no app of this practice has this client_id".into(),
        ))
    })?;
    let redirect = params
        .redirect_uri
        .as_deref()
        .filter(|uri| apps::allows_redirect(&app, uri))
        .ok_or_else(|| {
            Refusal::Here(OAuthError::InvalidRequest(
                "redirect_uri is not one the app registered".into(),
            ))
        })?;
    let state = params.state.as_deref();
    // SMART App Launch requires `state` (the app's defence against a forged callback).
    let bad_state = match state {
        None | Some("") => Some("state is required"),
        Some(s) if s.len() > 500 => Some("state is too long"),
        Some(_) => None,
    };
    if let Some(why) = bad_state {
        return Err(back(
            redirect,
            &OAuthError::InvalidRequest(why.into()),
            None,
        ));
    }
    let refuse = |err: OAuthError| Err(back(redirect, &err, state));
    if params.response_type.as_deref() != Some("code") {
        return refuse(OAuthError::UnsupportedResponseType);
    }
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    if !params.aud.as_deref().is_some_and(|a| same(a, audience)) {
        return refuse(OAuthError::InvalidRequest(format!(
            "aud must be this FHIR server's base URL, {audience}"
        )));
    }
    let challenge = match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => c,
        _ => {
            return refuse(OAuthError::InvalidRequest(
                "PKCE is required: code_challenge with code_challenge_method S256".into(),
            ));
        }
    };
    let asked = params.scope.as_deref().unwrap_or_default();
    let scopes = Scopes::parse(asked);
    if !scopes.reads_anything() {
        return refuse(OAuthError::InvalidScope(
            "ask for at least one patient/ resource scope Portico grants (read or search)".into(),
        ));
    }
    if scopes.text().len() > 1000 {
        return refuse(OAuthError::InvalidScope(
            "the scopes may take 1,000 characters in all".into(),
        ));
    }
    let now = Utc::now();
    let request = smart_request::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        app_id: Set(app.id),
        redirect_uri: Set(redirect.to_owned()),
        scopes: Set(scopes.text()),
        state: Set(state.map(str::to_owned)),
        code_challenge: Set(challenge.to_owned()),
        expires_at: Set(now + REQUEST_TTL),
        grant_id: Set(None),
        code_hash: Set(None),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(tx.conn())
    .await
    .map_err(|e| Refusal::Here(e.into()))?;
    Ok(request.id)
}

/// A request waiting for the patient, as the consent page shows it.
#[derive(Clone, Debug)]
pub struct Pending {
    pub request: smart_request::Model,
    pub app: smart_app::Model,
    pub scopes: Scopes,
    /// The charts the viewer may let the app read: their own, and those shared with them
    /// to read.
    pub charts: Vec<patient::Model>,
}

async fn waiting(tx: &TenantTx, id: Uuid) -> CoreResult<smart_request::Model> {
    let request = tx
        .find::<smart_request::Entity>()
        .filter(smart_request::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if request.code_hash.is_some() || request.used_at.is_some() || request.expires_at < Utc::now() {
        return Err(answered());
    }
    Ok(request)
}

fn answered() -> CoreError {
    CoreError::invalid(
        "requestId",
        "SMART_REQUEST_EXPIRED",
        "this request has expired or was answered: start again from the app",
    )
}

/// The request `id`, for `viewer` to decide on.
pub async fn pending(tx: &TenantTx, viewer: &Viewer, id: Uuid) -> CoreResult<Pending> {
    let request = waiting(tx, id).await?;
    let app = apps::find(tx, request.app_id).await?;
    if app.disabled_at.is_some() {
        return Err(CoreError::NotFound);
    }
    let ids = crate::proxies::charts_with(tx, viewer.user_id, "read").await?;
    let mut charts: Vec<patient::Model> = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.is_in(ids.clone()))
        .all(tx.conn())
        .await?;
    // Their own first, as the list came.
    charts.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
    Ok(Pending {
        scopes: Scopes::parse(&request.scopes),
        request,
        app,
        charts,
    })
}

/// The patient lets the app read chart `patient` with the `chosen` scopes (of those asked):
/// a grant, and the app's redirect with a one-minute code and its `state`.
pub async fn approve(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    id: Uuid,
    patient: Uuid,
    chosen: &[String],
) -> CoreResult<String> {
    let waiting = pending(tx, viewer, id).await?;
    if !waiting.charts.iter().any(|c| c.id == patient) {
        return Err(CoreError::NotFound);
    }
    // Opening it checks the grant again (a proxy's `read`), and audits nothing.
    let chart =
        chart_access::open(tx, viewer, PatientId::from_uuid(patient), Purpose::Read).await?;
    let scopes = waiting.scopes.keep_only(chosen);
    if !scopes.reads_anything() {
        return Err(CoreError::invalid(
            "scopes",
            "SMART_SCOPES_REQUIRED",
            "let the app read at least one kind of record, or deny it",
        ));
    }
    let now = Utc::now();
    let grant = smart_grant::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        app_id: Set(waiting.app.id),
        user_id: Set(viewer.user_id.as_uuid()),
        patient_id: Set(chart.id()),
        scopes: Set(scopes.text()),
        refresh_hash: Set(None),
        previous_refresh_hash: Set(None),
        refresh_expires_at: Set(None),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    let code = super::secret("code_");
    let request = waiting.request;
    let (redirect, state) = (request.redirect_uri.clone(), request.state.clone());
    // Answered once: a second approval at the same time (a double click) finds it taken,
    // and its grant goes with its transaction.
    let claimed = tx
        .update::<smart_request::Entity>()
        .col_expr(smart_request::Column::GrantId, Expr::value(grant.id))
        .col_expr(
            smart_request::Column::CodeHash,
            Expr::value(super::hash(&code)),
        )
        .col_expr(
            smart_request::Column::ExpiresAt,
            Expr::value(now + super::CODE_TTL),
        )
        .filter(smart_request::Column::Id.eq(request.id))
        .filter(smart_request::Column::CodeHash.is_null())
        .filter(smart_request::Column::UsedAt.is_null())
        .exec(tx.conn())
        .await?;
    if claimed.rows_affected != 1 {
        return Err(answered());
    }
    audit::record(
        tx,
        actor,
        Access {
            action: "smart_grant.create",
            resource_type: "SmartGrant",
            resource_id: Some(grant.id),
            patient_id: Some(chart.id()),
        },
    )
    .await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = state.as_deref() {
        params.push(("state", state));
    }
    Ok(redirect_with(&redirect, &params))
}

/// The patient does not let the app in: its redirect with `access_denied`.
pub async fn deny(tx: &TenantTx, viewer: &Viewer, id: Uuid) -> CoreResult<String> {
    let waiting = pending(tx, viewer, id).await?;
    let request = waiting.request;
    let (redirect, state) = (request.redirect_uri.clone(), request.state.clone());
    let mut change = request.into_active_model();
    change.used_at = Set(Some(Utc::now()));
    change.update(tx.conn()).await?;
    Ok(refusal_url(
        &redirect,
        &OAuthError::AccessDenied,
        state.as_deref(),
    ))
}

/// Removes requests that expired before `cutoff` (answered or not; a code is good for a
/// minute, a request for ten): how many. The grants they made stay.
pub async fn purge_expired_before(tx: &TenantTx, cutoff: chrono::DateTime<Utc>) -> CoreResult<u64> {
    let removed = tx
        .delete::<smart_request::Entity>()
        .filter(smart_request::Column::ExpiresAt.lt(cutoff))
        .exec(tx.conn())
        .await?;
    Ok(removed.rows_affected)
}
