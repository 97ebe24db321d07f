//! Which practice a request is addressed to: the `X-Portico-Tenant` header (a slug, for local
//! use and for API clients) or the `Host` (a `{slug}.` subdomain or a custom domain).

use axum::http::{HeaderMap, HeaderValue, header};
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

/// Browsers cannot set headers on a WebSocket, so on a shared host (localhost) the console
/// names its practice in the graphql-ws URL, `/graphql?tenant={slug}`, as it would in
/// `X-Portico-Tenant`. A header already present wins; a slug is not a secret.
pub fn with_query_tenant(headers: &HeaderMap, query: Option<&str>) -> HeaderMap {
    let mut headers = headers.clone();
    if headers.contains_key(TENANT_HEADER) {
        return headers;
    }
    let slug = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("tenant="));
    if let Some(value) = slug.and_then(|s| HeaderValue::from_str(s).ok()) {
        headers.insert(TENANT_HEADER, value);
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_the_practice_only_when_no_header_does() {
        let none = HeaderMap::new();
        let named = with_query_tenant(&none, Some("a=1&tenant=lakeside"));
        assert_eq!(named.get(TENANT_HEADER).unwrap(), "lakeside");
        assert!(
            with_query_tenant(&none, Some("a=1"))
                .get(TENANT_HEADER)
                .is_none()
        );
        assert!(with_query_tenant(&none, None).get(TENANT_HEADER).is_none());
        let mut header = HeaderMap::new();
        header.insert(TENANT_HEADER, HeaderValue::from_static("harbor"));
        let kept = with_query_tenant(&header, Some("tenant=lakeside"));
        assert_eq!(kept.get(TENANT_HEADER).unwrap(), "harbor");
    }
}
