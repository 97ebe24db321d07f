//! Which practice a request is addressed to: the `X-Portico-Tenant` header (a slug, for local
//! use and for API clients) or the `Host` (a `{slug}.` subdomain or a custom domain).

use axum::http::{HeaderMap, header};
use portico_core::{
    CoreResult, Db,
    tenants::{self, Addressed},
};

pub const TENANT_HEADER: &str = "x-portico-tenant";

pub async fn resolve(db: &Db, headers: &HeaderMap, base_domain: &str) -> CoreResult<Addressed> {
    if let Some(slug) = headers.get(TENANT_HEADER) {
        let Ok(slug) = slug.to_str() else {
            return Ok(Addressed::Unknown);
        };
        return Ok(match tenants::find_by_slug(db, slug).await? {
            Some(t) => Addressed::Tenant(Box::new(t)),
            None => Addressed::Unknown,
        });
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return Ok(Addressed::Platform);
    };
    tenants::find_by_host(db, host, base_domain).await
}
