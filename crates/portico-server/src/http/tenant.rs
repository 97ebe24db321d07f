//! Which practice a request is addressed to: the `X-Portico-Tenant` header (a slug, for local
//! use and for API clients) or the `Host` (a `{slug}.` subdomain or a custom domain).

use axum::http::{HeaderMap, header};
use portico_core::{
    CoreResult, Db,
    tenants::{self, HostMatch, ResolvedTenant},
};

pub const TENANT_HEADER: &str = "x-portico-tenant";

pub enum Addressed {
    /// The platform itself (no practice named).
    Platform,
    Tenant(ResolvedTenant),
    /// A practice was named that does not exist.
    Unknown,
}

pub async fn resolve(db: &Db, headers: &HeaderMap, base_domain: &str) -> CoreResult<Addressed> {
    if let Some(slug) = headers.get(TENANT_HEADER) {
        let Ok(slug) = slug.to_str() else {
            return Ok(Addressed::Unknown);
        };
        return Ok(match tenants::find_by_slug(db, slug).await? {
            Some(t) => Addressed::Tenant(t),
            None => Addressed::Unknown,
        });
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return Ok(Addressed::Platform);
    };
    Ok(match tenants::find_by_host(db, host, base_domain).await? {
        HostMatch::Platform => Addressed::Platform,
        HostMatch::Tenant(t) => Addressed::Tenant(t),
        HostMatch::Unknown => Addressed::Unknown,
    })
}
