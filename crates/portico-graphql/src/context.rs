//! What resolvers can reach: the shared services and the per-request context.

use std::sync::Arc;

use async_graphql::Context;
use portico_core::{
    Db, TenantTx,
    ports::{JobQueue, PubSub},
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
}

/// Per-request facts established by the HTTP layer before the operation runs.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    pub request_id: String,
    /// The tenant named by the host or the `X-Portico-Tenant` header, if any.
    pub tenant: Option<ResolvedTenant>,
}

/// The HTTP method the operation arrived with; mutations are refused over GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestMethod {
    Get,
    Post,
    WebSocket,
}

pub(crate) trait ContextExt {
    fn services(&self) -> Result<&Services, ApiError>;
    fn request(&self) -> Result<&RequestContext, ApiError>;
    /// A transaction scoped to the request's tenant, or `TENANT_NOT_FOUND`.
    #[expect(
        dead_code,
        reason = "the first tenant-data resolvers arrive with identity"
    )]
    async fn tenant_tx(&self, access: Access) -> Result<TenantTx, ApiError>;
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
        let tenant = request.tenant.as_ref().ok_or(ApiError::TenantNotFound)?;
        TenantTx::begin(&services.db, &tenant.scope(), access)
            .await
            .map_err(|e| ApiError::from_core(e, &request.request_id))
    }
}
