//! The public face of a practice: what a portal needs before anyone signs in.

use async_graphql::{Context, Object, SimpleObject};
use portico_core::tenants::{self, Addressed, ResolvedTenant};

use crate::{ApiError, context::ContextExt, run::Run};

/// How a practice's portal looks.
#[derive(SimpleObject)]
pub struct TenantBranding {
    /// The practice's short name, as in `{slug}.portico.health`.
    slug: String,
    display_name: String,
    logo_url: Option<String>,
    /// `#rrggbb`.
    primary_color: String,
    /// The practice's phone number as it writes it (`(555) 010-0199`), for the portal to
    /// show ("call us to cancel"); null when not set.
    phone: Option<String>,
    /// IANA time zone of the practice, e.g. `America/Chicago`.
    time_zone: String,
    /// `trial`, `active`, `suspended` or `closed`: a portal shows a notice when suspended.
    status: String,
}

impl From<&ResolvedTenant> for TenantBranding {
    fn from(t: &ResolvedTenant) -> Self {
        let b = t.branding();
        Self {
            slug: t.tenant.slug.clone(),
            display_name: b.display_name,
            logo_url: b.logo_url,
            primary_color: b.primary_color,
            phone: b.phone,
            time_zone: t.tenant.time_zone.clone(),
            status: t.tenant.status.clone(),
        }
    }
}

#[derive(Default)]
pub struct TenantsQuery;

#[Object]
impl TenantsQuery {
    /// A practice's branding, public so the portal can render its sign-in page. Looks the
    /// practice up by `slug`, else by `host` (a `{slug}.` subdomain or a custom domain), else
    /// uses the practice this request was addressed to.
    async fn tenant_branding(
        &self,
        ctx: &Context<'_>,
        slug: Option<String>,
        host: Option<String>,
    ) -> async_graphql::Result<TenantBranding> {
        let services = ctx.services()?;
        let request = ctx.request()?;
        let map = |e| ctx.fail(e);
        let found = match (slug, host) {
            (Some(slug), _) => tenants::find_by_slug(&services.db, &slug)
                .await
                .map_err(map)?,
            (None, Some(host)) => {
                match tenants::find_by_host(&services.db, &host, &services.base_domain)
                    .await
                    .map_err(map)?
                {
                    Addressed::Tenant(t) => Some(*t),
                    Addressed::Platform | Addressed::Unknown => None,
                }
            }
            (None, None) => request.tenant.clone(),
        };
        found
            .as_ref()
            .map(TenantBranding::from)
            .ok_or_else(|| ApiError::TenantNotFound.into())
    }
}
