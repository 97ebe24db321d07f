//! Browser-facing headers: GraphQL answers are never cached or sniffed, HTML pages carry a
//! strict Content-Security-Policy and cannot be framed, GraphiQL runs from Portico's own
//! files (offline), and HSTS is sent only when configured.

use portico_tests::{spawn_app, spawn_app_with};
use reqwest::header::HeaderMap;
use serde_json::json;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// No page or asset points at a CDN (GraphiQL's bundle mentions them only in prose).
fn assert_no_external_host(what: &str, text: &str) {
    for host in [
        "//unpkg.com",
        "//cdn.jsdelivr.net",
        "//cdnjs.cloudflare.com",
        "//fonts.googleapis.com",
        "//esm.sh",
    ] {
        assert!(!text.contains(host), "{what} names {host}");
    }
}

#[tokio::test]
async fn graphql_answers_are_not_cached_nor_sniffed() {
    let app = spawn_app().await;
    app.create_tenant("hdr").await;
    let post = app
        .client
        .post(app.url("/graphql"))
        .header("X-Portico-Tenant", "hdr")
        .json(&json!({ "query": "{ tenantBranding { displayName } }" }))
        .send()
        .await
        .unwrap();
    let get = app
        .client
        .get(app.url("/graphql?query=%7B__typename%7D"))
        .header("X-Portico-Tenant", "hdr")
        .send()
        .await
        .unwrap();
    // A refusal before the schema runs too.
    let refused = app
        .client
        .post(app.url("/graphql"))
        .header("X-Portico-Tenant", "nobody-here")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    for res in [&post, &get, &refused] {
        assert_eq!(header(res.headers(), "cache-control"), "no-store");
        assert_eq!(header(res.headers(), "x-content-type-options"), "nosniff");
        assert!(res.headers().get("strict-transport-security").is_none());
    }
}

#[tokio::test]
async fn graphiql_is_served_from_portico_under_a_strict_policy() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert!(header(&headers, "content-type").starts_with("text/html"));
    let csp = header(&headers, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert_eq!(header(&headers, "x-frame-options"), "DENY");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    let html = page.text().await.unwrap();
    assert!(!html.contains("http:") && !html.contains("https:") && !html.contains("//"));
    assert!(!html.contains("<script>"), "no inline script");
    assert!(html.contains("data-endpoint=\"/graphql\""));

    // Every script and stylesheet the page names is Portico's own, with its type.
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let url = part.split('"').next().unwrap();
            if !url.starts_with("data:") {
                assets.push(url.to_owned());
            }
        }
    }
    assert_eq!(assets.len(), 6, "{assets:?}");
    for path in &assets {
        assert!(path.starts_with("/graphiql/"), "{path}");
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let content_type = header(res.headers(), "content-type").to_owned();
        let cache = header(res.headers(), "cache-control").to_owned();
        assert_eq!(header(res.headers(), "x-content-type-options"), "nosniff");
        let text = res.text().await.unwrap();
        if path.ends_with(".js") {
            assert!(content_type.starts_with("text/javascript"), "{path}");
        } else {
            assert!(content_type.starts_with("text/css"), "{path}");
            assert!(
                !text.contains("url(http") && !text.contains("@import"),
                "{path}"
            );
        }
        if path.starts_with("/graphiql/assets/") {
            assert!(cache.contains("max-age=31536000"), "{path}: {cache}");
            assert!(text.len() > 1000, "{path}");
        } else {
            assert_eq!(cache, "no-cache", "{path}");
        }
        assert_no_external_host(path, &text);
    }
    let missing = app
        .client
        .get(app.url("/graphiql/assets/0.0.0/graphiql.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn hsts_is_sent_only_when_configured() {
    let app = spawn_app_with(|c| c.http.hsts_max_age_secs = 31_536_000).await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(
        header(res.headers(), "strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
    let plain = spawn_app().await;
    let res = plain
        .client
        .get(plain.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());
}
