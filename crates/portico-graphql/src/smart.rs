//! SMART apps: registered by practice admins in the console (`smartApps`,
//! `registerSmartApp`, `disableSmartApp`); the consent page of the portal
//! (`smartAuthorizationRequest`, `approveSmartAuthorization`, `denySmartAuthorization`); and
//! the apps a patient connected, on the portal's security page (`connectedApps`,
//! `removeConnectedApp`). The OAuth endpoints themselves are the server's.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    entities::{smart_app, smart_grant},
    fhir_api::Scopes,
    smart::{apps, backend, grants, requests},
    tenancy::Access,
};

use crate::{
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

/// Practice admins manage apps as they manage API keys and webhooks.
const MANAGE: Need = Need::to("api_keys", "manage");
/// A patient (or caregiver) decides about their own charts.
const OWN: Need = Need::to("own_chart", "read");

/// An app a practice registered for SMART App Launch.
#[derive(SimpleObject)]
pub struct SmartApp {
    id: ID,
    name: String,
    /// What the app sends as `client_id`.
    client_id: String,
    redirect_uris: Vec<String>,
    /// Confidential apps authenticate with a secret at the token endpoint; public ones
    /// with PKCE alone.
    confidential: bool,
    /// A SMART Backend Service: it signs its token requests with one of its keys and
    /// exports the practice's data in bulk (`$export`); it has no redirect URIs.
    backend_service: bool,
    /// A backend service's key ids (`kid`), as registered.
    key_ids: Vec<String>,
    disabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<smart_app::Model> for SmartApp {
    fn from(a: smart_app::Model) -> Self {
        Self {
            id: global_id::encode("SmartApp", a.id),
            client_id: a.client_id,
            redirect_uris: a.redirect_uris.lines().map(str::to_owned).collect(),
            confidential: a.secret_hash.is_some() || a.jwks.is_some(),
            backend_service: a.jwks.is_some(),
            key_ids: a
                .jwks
                .as_deref()
                .and_then(|k| serde_json::from_str::<serde_json::Value>(k).ok())
                .and_then(|k| k["keys"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|k| k["kid"].as_str().map(str::to_owned))
                .collect(),
            disabled_at: a.disabled_at,
            created_at: a.created_at,
            name: a.name,
        }
    }
}

/// A scope as the patient sees it on the consent page.
#[derive(SimpleObject)]
pub struct SmartScope {
    /// As granted, e.g. `patient/Observation.rs`.
    scope: String,
    /// The FHIR resource type it reads, `*` for the whole record; null for a context scope
    /// (`launch/patient`, `offline_access`, `online_access`).
    resource_type: Option<String>,
    /// A granular scope's search, e.g. `category=laboratory`.
    filter: Option<String>,
}

fn described(scopes: &Scopes) -> Vec<SmartScope> {
    scopes
        .described()
        .into_iter()
        .map(|d| SmartScope {
            scope: d.scope,
            resource_type: d.resource_type,
            filter: d.filter,
        })
        .collect()
}

/// A chart the patient may let the app read.
#[derive(SimpleObject)]
pub struct SmartChartChoice {
    patient_id: ID,
    given_name: String,
    family_name: String,
    /// `self`, or `proxy` for a chart shared with them.
    relationship: String,
}

/// An app's request, waiting for the patient's answer.
#[derive(SimpleObject)]
pub struct SmartAuthorizationRequest {
    id: ID,
    app_name: String,
    /// Where the patient will be sent back to (the app's registered address).
    redirect_uri: String,
    scopes: Vec<SmartScope>,
    charts: Vec<SmartChartChoice>,
    expires_at: DateTime<Utc>,
}

/// An app a patient let read a chart.
#[derive(SimpleObject)]
pub struct ConnectedApp {
    id: ID,
    app_name: String,
    /// The chart it reads.
    patient_id: ID,
    scopes: Vec<SmartScope>,
    /// Whether it keeps access while the patient is away (`offline_access`).
    offline: bool,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

impl ConnectedApp {
    fn of(grant: smart_grant::Model, app: &smart_app::Model) -> Self {
        let scopes = Scopes::parse(&grant.scopes);
        Self {
            id: global_id::encode("ConnectedApp", grant.id),
            app_name: app.name.clone(),
            patient_id: global_id::encode("Patient", grant.patient_id),
            offline: scopes.offline(),
            scopes: described(&scopes),
            created_at: grant.created_at,
            last_used_at: grant.last_used_at,
        }
    }
}

#[derive(InputObject)]
pub struct RegisterSmartAppInput {
    /// 1 to 100 characters, shown to patients on the consent page.
    name: String,
    /// Exact addresses the app may be sent back to: https, http to localhost, or the app's
    /// own scheme (`INVALID_REDIRECT_URI`).
    redirect_uris: Vec<String>,
    /// A server-side app that can keep a secret.
    confidential: bool,
}

#[derive(SimpleObject, Default)]
pub struct RegisterSmartAppPayload {
    app: Option<SmartApp>,
    /// A confidential app's secret, shown this once.
    client_secret: Option<String>,
    user_errors: Vec<UserError>,
}

refusable!(RegisterSmartAppPayload);

#[derive(InputObject)]
pub struct RegisterBackendServiceInput {
    /// 1 to 100 characters, shown in the console and the audit log.
    name: String,
    /// The service's public keys, a JSON Web Key Set (`{"keys": [...]}`): RSA keys for
    /// RS384 or P-384 keys for ES384, each with a `kid`, no private parts (`INVALID_JWKS`).
    jwks: String,
}

#[derive(SimpleObject, Default)]
pub struct RegisterBackendServicePayload {
    app: Option<SmartApp>,
    user_errors: Vec<UserError>,
}

refusable!(RegisterBackendServicePayload);

#[derive(SimpleObject)]
pub struct DisableSmartAppPayload {
    app: SmartApp,
}

#[derive(InputObject)]
pub struct ApproveSmartAuthorizationInput {
    request_id: ID,
    /// The chart the app will read (one of the request's `charts`).
    patient_id: ID,
    /// The scopes the patient allows, of those asked (at least one resource scope:
    /// `SMART_SCOPES_REQUIRED`).
    scopes: Vec<String>,
}

/// Where to send the browser: the app's redirect URI with a code (or a refusal).
#[derive(SimpleObject, Default)]
pub struct SmartAuthorizationPayload {
    redirect_url: Option<String>,
    user_errors: Vec<UserError>,
}

refusable!(SmartAuthorizationPayload);

#[derive(SimpleObject)]
pub struct RemoveConnectedAppPayload {
    connected_app: ConnectedApp,
}

#[derive(Default)]
pub struct SmartQuery;

#[Object]
impl SmartQuery {
    /// The practice's SMART apps, newest first (practice admins).
    async fn smart_apps(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SmartApp>> {
        let list = ctx
            .run(MANAGE, Access::Read, async |tx, _| apps::list(tx).await)
            .await?;
        Ok(list.into_iter().map(SmartApp::from).collect())
    }

    /// An app's request for the consent page; `SMART_REQUEST_EXPIRED` once it has been
    /// answered or ten minutes have passed.
    async fn smart_authorization_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<SmartAuthorizationRequest> {
        let id = global_id::parse("SmartAuthorizationRequest", "id", &id)?;
        let (pending, me) = ctx
            .run(OWN, Access::Read, async |tx, caller| {
                let pending = requests::pending(tx, &caller.viewer(), id).await?;
                Ok((pending, caller.principal.user_id.as_uuid()))
            })
            .await?;
        Ok(SmartAuthorizationRequest {
            id: global_id::encode("SmartAuthorizationRequest", pending.request.id),
            app_name: pending.app.name.clone(),
            redirect_uri: pending.request.redirect_uri.clone(),
            scopes: described(&pending.scopes),
            charts: pending
                .charts
                .iter()
                .map(|c| SmartChartChoice {
                    patient_id: global_id::encode("Patient", c.id),
                    given_name: c.given_name.clone(),
                    family_name: c.family_name.clone(),
                    relationship: if c.user_id == Some(me) {
                        "self"
                    } else {
                        "proxy"
                    }
                    .to_owned(),
                })
                .collect(),
            expires_at: pending.request.expires_at,
        })
    }

    /// The apps the signed-in patient let read a chart, newest first.
    async fn connected_apps(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ConnectedApp>> {
        let list = ctx
            .run(OWN, Access::Read, async |tx, caller| {
                grants::connected(tx, &caller.viewer()).await
            })
            .await?;
        Ok(list
            .into_iter()
            .map(|(grant, app)| ConnectedApp::of(grant, &app))
            .collect())
    }
}

#[derive(Default)]
pub struct SmartMutation;

#[Object]
impl SmartMutation {
    /// Registers an app (practice admins). A confidential app's secret is shown once.
    async fn register_smart_app(
        &self,
        ctx: &Context<'_>,
        input: RegisterSmartAppInput,
    ) -> async_graphql::Result<RegisterSmartAppPayload> {
        let outcome = ctx
            .mutate(MANAGE.new_work(), async |tx, caller| {
                apps::register(
                    tx,
                    &caller.actor,
                    caller.principal.user_id,
                    &input.name,
                    &input.redirect_uris,
                    input.confidential,
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|registered| RegisterSmartAppPayload {
            app: Some(registered.app.into()),
            client_secret: registered.secret,
            user_errors: Vec::new(),
        }))
    }

    /// Registers a SMART Backend Service (practice admins): it asks for tokens with a JWT
    /// signed by one of `jwks`' keys, with its `clientId` as issuer, and exports the
    /// practice's data with `$export`.
    async fn register_backend_service(
        &self,
        ctx: &Context<'_>,
        input: RegisterBackendServiceInput,
    ) -> async_graphql::Result<RegisterBackendServicePayload> {
        let outcome = ctx
            .mutate(MANAGE.new_work(), async |tx, caller| {
                backend::register(
                    tx,
                    &caller.actor,
                    caller.principal.user_id,
                    &input.name,
                    &input.jwks,
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|app| RegisterBackendServicePayload {
            app: Some(app.into()),
            user_errors: Vec::new(),
        }))
    }

    /// Turns an app off: its requests and tokens are refused from now on.
    async fn disable_smart_app(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DisableSmartAppPayload> {
        let id = global_id::parse("SmartApp", "id", &id)?;
        let app = ctx
            .run(MANAGE, Access::Write, async |tx, caller| {
                apps::disable(tx, &caller.actor, id).await
            })
            .await?;
        Ok(DisableSmartAppPayload { app: app.into() })
    }

    /// The patient lets the app read a chart with the scopes they chose.
    async fn approve_smart_authorization(
        &self,
        ctx: &Context<'_>,
        input: ApproveSmartAuthorizationInput,
    ) -> async_graphql::Result<SmartAuthorizationPayload> {
        let request =
            global_id::parse("SmartAuthorizationRequest", "requestId", &input.request_id)?;
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let outcome = ctx
            .mutate(OWN, async |tx, caller| {
                requests::approve(
                    tx,
                    &caller.actor,
                    &caller.viewer(),
                    request,
                    patient,
                    &input.scopes,
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|url| SmartAuthorizationPayload {
            redirect_url: Some(url),
            user_errors: Vec::new(),
        }))
    }

    /// The patient does not let the app in: it is told `access_denied`.
    async fn deny_smart_authorization(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
    ) -> async_graphql::Result<SmartAuthorizationPayload> {
        let request = global_id::parse("SmartAuthorizationRequest", "requestId", &request_id)?;
        let outcome = ctx
            .mutate(OWN, async |tx, caller| {
                requests::deny(tx, &caller.viewer(), request).await
            })
            .await?;
        Ok(outcome.payload(|url| SmartAuthorizationPayload {
            redirect_url: Some(url),
            user_errors: Vec::new(),
        }))
    }

    /// Removes an app the patient connected: its tokens stop working at once.
    async fn remove_connected_app(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<RemoveConnectedAppPayload> {
        let id = global_id::parse("ConnectedApp", "id", &id)?;
        let (grant, app) = ctx
            .run(OWN, Access::Write, async |tx, caller| {
                let grant = grants::revoke(tx, &caller.actor, &caller.viewer(), id).await?;
                let app = apps::find(tx, grant.app_id).await?;
                Ok((grant, app))
            })
            .await?;
        Ok(RemoveConnectedAppPayload {
            connected_app: ConnectedApp::of(grant, &app),
        })
    }
}
