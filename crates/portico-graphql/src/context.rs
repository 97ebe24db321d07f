//! What resolvers can reach: the shared services and the per-request context.

use std::sync::Arc;

use async_graphql::Context;
use std::time::Duration;

use portico_core::{
    Db, TenantTx,
    identity::{MfaState, Role, SessionClaims},
    ports::{
        AttachmentStore, Authorizer, Credentials, JobQueue, Mailer, PortError, PubSub, RateLimiter,
        Revocations, Throttle, TokenService,
    },
    sessions::SessionPolicy,
    tenancy::Access,
    tenants::ResolvedTenant,
};

use crate::ApiError;

/// Shared by every request; built once at start-up with the profile's adapters.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub queue: Arc<dyn JobQueue>,
    pub pubsub: Arc<dyn PubSub>,
    /// `{slug}.{base_domain}` hosts name a tenant.
    pub base_domain: String,
    pub passwords: Arc<dyn Credentials>,
    /// WebAuthn ceremonies for passkeys.
    pub passkeys: Arc<dyn portico_core::ports::PasskeyCeremonies>,
    pub tokens: Arc<dyn TokenService>,
    pub throttle: Arc<dyn Throttle>,
    pub revocations: Arc<dyn Revocations>,
    pub authorizer: Arc<dyn Authorizer>,
    pub sessions: SessionSettings,
    pub mailer: Arc<dyn Mailer>,
    /// Where people open Portico, for links in emails (no trailing slash).
    pub public_url: String,
    pub invitation_ttl: Duration,
    pub activation_ttl: Duration,
    pub password_reset_ttl: Duration,
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Requests per minute one API key may make.
    pub api_key_rate_per_minute: u32,
    /// Refused activation codes that lock the step for an address or a practice.
    pub activation_limits: crate::ActivationLimits,
    /// How long a break-glass access stays open.
    pub break_glass_ttl: Duration,
    /// Where message attachments are kept.
    pub attachments: Arc<dyn AttachmentStore>,
    /// How long a signed attachment download link works.
    pub attachment_link_ttl: Duration,
    /// Opens practices' EHRs (connection tests, URL checks).
    pub ehr: Arc<dyn portico_core::ehr::gateway::EhrConnector>,
    /// Seals the EHR credentials practices give.
    pub sealer: Arc<dyn portico_core::ports::SecretSealer>,
    /// Billing through the payment provider; `None` when billing is off.
    pub billing: Option<portico_core::billing::Billing>,
    /// Posts webhooks and decides which endpoint addresses may be registered.
    pub webhooks: Arc<dyn portico_core::ports::WebhookSender>,
}

/// Session lifetimes (automatic log-off) by kind of user.
#[derive(Clone, Copy, Debug)]
pub struct SessionSettings {
    pub staff_idle: Duration,
    pub patient_idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            staff_idle: Duration::from_secs(15 * 60),
            patient_idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
        }
    }
}

impl SessionSettings {
    /// The practice's own automatic log-off where it set one, else the platform default.
    pub fn policy(
        &self,
        tenant: &portico_core::entities::tenant::Model,
        role: Role,
    ) -> SessionPolicy {
        let (own, default) = if role == Role::Patient {
            (tenant.patient_idle_minutes, self.patient_idle)
        } else {
            (tenant.staff_idle_minutes, self.staff_idle)
        };
        let idle_timeout = own
            .and_then(|m| u64::try_from(m).ok())
            .map_or(default, |m| Duration::from_secs(m * 60));
        SessionPolicy {
            idle_timeout,
            absolute: self.absolute,
        }
    }
}

/// Per-request facts established by the HTTP layer before the operation runs.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    pub request_id: String,
    /// The tenant named by the host or the `X-Portico-Tenant` header, if any.
    pub tenant: Option<ResolvedTenant>,
    /// The verified bearer token's claims; always for `tenant`.
    pub principal: Option<SessionClaims>,
    /// The client's address, for per-IP sign-in limits.
    pub client_ip: Option<std::net::IpAddr>,
    /// Set when the request asked for a browser session (`X-Portico-Session: cookie`).
    pub browser: Option<crate::BrowserSession>,
    /// The request's `Origin` header, as sent: passkeys are bound to the page's origin.
    pub origin: Option<String>,
    /// The request's `User-Agent`, for the coarse device name of a session started by it.
    pub user_agent: Option<String>,
}

/// The HTTP method the operation arrived with; mutations are refused over GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestMethod {
    Get,
    Post,
    WebSocket,
}

/// Only a practice admin hands out the practice-admin role: a role delegated `staff/manage`
/// or `api_keys/manage` cannot raise anyone (itself included) above its own role.
pub(crate) fn may_grant_role(principal: &SessionClaims, role: Role) -> Result<(), ApiError> {
    if role == Role::PracticeAdmin && principal.role != Role::PracticeAdmin {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

pub(crate) trait ContextExt {
    fn services(&self) -> Result<&Services, ApiError>;
    fn request(&self) -> Result<&RequestContext, ApiError>;
    /// A transaction scoped to the request's tenant, or `TENANT_NOT_FOUND`.
    async fn tenant_tx(&self, access: Access) -> Result<TenantTx, ApiError>;
    /// The tenant the request is addressed to, or `TENANT_NOT_FOUND`.
    fn tenant(&self) -> Result<&ResolvedTenant, ApiError>;
    /// The signed-in principal, if allowed `action` on `object` by the tenant's policies.
    async fn authorize(&self, object: &str, action: &str) -> Result<&SessionClaims, ApiError>;
    /// The signed-in principal, whatever the policies (sign-out, enrolment).
    fn principal(&self) -> Result<&SessionClaims, ApiError>;
    /// `TENANT_SUSPENDED` when the practice is suspended (for new activity).
    fn require_active_tenant(&self) -> Result<(), ApiError>;
    /// Who to name in the audit log for this principal (the API key, or the user), with the
    /// request's id and the client's address.
    fn actor(&self, principal: &SessionClaims) -> portico_core::audit::Actor;
}

impl ContextExt for Context<'_> {
    fn services(&self) -> Result<&Services, ApiError> {
        self.data_opt::<Services>().ok_or(ApiError::Unavailable)
    }

    fn request(&self) -> Result<&RequestContext, ApiError> {
        self.data_opt::<RequestContext>()
            .ok_or(ApiError::Internal { request_id: None })
    }

    async fn tenant_tx(&self, access: Access) -> Result<TenantTx, ApiError> {
        let services = self.services()?;
        let request = self.request()?;
        let tenant = self.tenant()?;
        TenantTx::begin(&services.db, &tenant.scope(), access)
            .await
            .map_err(|e| ApiError::from_core(e, &request.request_id))
    }

    fn tenant(&self) -> Result<&ResolvedTenant, ApiError> {
        self.request()?
            .tenant
            .as_ref()
            .ok_or(ApiError::TenantNotFound)
    }

    fn actor(&self, principal: &SessionClaims) -> portico_core::audit::Actor {
        match self.request() {
            Ok(request) => actor_of(principal, request),
            Err(_) => actor_of_principal(principal),
        }
    }

    fn require_active_tenant(&self) -> Result<(), ApiError> {
        if self.tenant()?.refuses_new_work() {
            Err(ApiError::TenantSuspended)
        } else {
            Ok(())
        }
    }

    fn principal(&self) -> Result<&SessionClaims, ApiError> {
        let principal = self
            .request()?
            .principal
            .as_ref()
            .ok_or(ApiError::Unauthenticated)?;
        // A SMART app's token reads through the FHIR API only.
        if principal.smart.is_some() {
            return Err(ApiError::Unauthenticated);
        }
        // A WebSocket outlives the token it opened with: its operations stop when it expires.
        if self.data_opt::<RequestMethod>() == Some(&RequestMethod::WebSocket)
            && principal.api_key_id.is_none()
            && principal.expires_at < chrono::Utc::now().timestamp()
        {
            return Err(ApiError::Unauthenticated);
        }
        Ok(principal)
    }

    async fn authorize(&self, object: &str, action: &str) -> Result<&SessionClaims, ApiError> {
        let principal = self.principal()?;
        // ... and after a sign-out, revocation or role change.
        if self.data_opt::<RequestMethod>() == Some(&RequestMethod::WebSocket) {
            let revoked = self
                .services()?
                .revocations
                .is_revoked(principal.session_id)
                .await;
            // A store that cannot answer fails closed, and says so.
            let revoked = match revoked {
                Ok(revoked) => revoked,
                Err(e) => {
                    let request_id = &self.request()?.request_id;
                    revocation_check_failed(&e, request_id, principal.session_id);
                    true
                }
            };
            if revoked {
                return Err(ApiError::Unauthenticated);
            }
        }
        permits(self.services()?, self.request()?, principal, object, action).await?;
        Ok(principal)
    }
}

/// Whether `principal` may do `action` on `object` by the practice's policies (and within
/// its key's scopes), outside a GraphQL operation too (the FHIR API): `FORBIDDEN`, or
/// `MFA_ENROLMENT_REQUIRED` for staff who have not enrolled a second factor.
pub async fn permits(
    services: &Services,
    request: &RequestContext,
    principal: &SessionClaims,
    object: &str,
    action: &str,
) -> Result<(), ApiError> {
    // A staff member who has not enrolled a second factor may only see who they are.
    if principal.mfa == MfaState::EnrolmentRequired && object != "me" {
        return Err(ApiError::MfaEnrolmentRequired);
    }
    // A key limited to scopes: within its role, only what they name.
    if let Some(scopes) = &principal.key_scopes
        && !portico_core::api_keys::permits(scopes, object, action)
    {
        return Err(ApiError::Forbidden);
    }
    if decide(
        services,
        request,
        principal.role.as_str(),
        principal.tenant_id,
        object,
        action,
    )
    .await?
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

fn actor_of_principal(principal: &SessionClaims) -> portico_core::audit::Actor {
    let actor = match principal.api_key_id {
        Some(key) => portico_core::audit::Actor {
            kind: "api_key",
            id: Some(key),
            ..portico_core::audit::Actor::system()
        },
        None => portico_core::audit::Actor::user(principal.user_id.as_uuid()),
    };
    actor.with_role(principal.role)
}

/// Who the audit log names for `principal` in `request` (the API key, or the user), with
/// the request's id and the client's address; for the FHIR API too.
pub fn actor_of(principal: &SessionClaims, request: &RequestContext) -> portico_core::audit::Actor {
    actor_of_principal(principal)
        .with_client(request.client_ip)
        .with_request(&request.request_id)
}

/// casbin's decision for a practice, its rules read first when they are not loaded (on
/// its first request, and after a change of rules); a change of rules while they are read
/// makes the read stale, and they are read again.
pub(crate) async fn decide(
    services: &Services,
    request: &RequestContext,
    role: &str,
    tenant: portico_core::TenantId,
    object: &str,
    action: &str,
) -> Result<bool, ApiError> {
    let authorizer = &services.authorizer;
    for _ in 0..RULE_READS {
        if let Some(allowed) = authorizer.decide(role, tenant, object, action).await {
            return Ok(allowed);
        }
        load_rules(services, request, tenant).await?;
    }
    Err(ApiError::Unavailable)
}

/// Times a request reads its practice's rules before giving up (each retry follows a change
/// of some practice's rules while it read).
const RULE_READS: usize = 3;

/// Reads a practice's rules and loads them; `false` when rules changed while they were
/// read (nothing loaded).
async fn load_rules(
    services: &Services,
    request: &RequestContext,
    tenant: portico_core::TenantId,
) -> Result<bool, ApiError> {
    let request_id = &request.request_id;
    let generation = services.authorizer.generation();
    let scope = request
        .tenant
        .as_ref()
        .ok_or(ApiError::TenantNotFound)?
        .scope();
    let tx = TenantTx::begin(&services.db, &scope, Access::Read)
        .await
        .map_err(|e| ApiError::from_core(e, request_id))?;
    let rules = portico_core::permissions::rules(&tx)
        .await
        .map_err(|e| ApiError::from_core(e, request_id))?;
    tx.rollback()
        .await
        .map_err(|e| ApiError::from_core(e, request_id))?;
    services
        .authorizer
        .load_tenant(tenant, &rules, generation)
        .await
        .map_err(|e| {
            metrics::counter!("portico_authz_failures_total", "op" => "load").increment(1);
            ApiError::from_core(e.into(), request_id)
        })
}

/// A revocation check the store could not answer: logged (ids only) and counted. The caller
/// refuses the request.
pub fn revocation_check_failed(err: &PortError, request_id: &str, session_id: uuid::Uuid) {
    metrics::counter!("portico_revocation_failures_total", "op" => "check").increment(1);
    tracing::error!(
        request_id,
        %session_id,
        error = %portico_core::error::chain(err),
        "revocation check failed; refused"
    );
}
