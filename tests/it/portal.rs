//! The patient portal's pages (here a stand-in build through `PORTICO_PORTAL_DIR`, so no
//! test needs npm): at `/t/{slug}/` on any host, at `/` and every client-side route on a
//! practice's own host (subdomain or custom domain), its files under `/portal/` alone, the
//! apps' Content-Security-Policy, and nothing at all on a host that names no practice.

use std::path::Path;

use portico_tests::{TestApp, spawn_app_with};

const INDEX: &str = "<!doctype html><html><head>\
    <script type=\"module\" src=\"/portal/assets/portal-abc123.js\"></script></head>\
    <body><div id=\"root\"></div></body></html>";
const APP_JS: &str = "console.log('portico portal');";

async fn serve_portal() -> TestApp {
    spawn_app_with(|c| {
        let dir = Path::new(&c.notify.outbox_dir)
            .parent()
            .expect("the outbox is in the test's folder")
            .join("portal");
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), INDEX).unwrap();
        std::fs::write(dir.join("assets/portal-abc123.js"), APP_JS).unwrap();
        c.http.portal_dir = Some(dir.display().to_string());
    })
    .await
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn get_at(app: &TestApp, host: Option<&str>, path: &str) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.get(app.url(path));
    if let Some(host) = host {
        request = request.header("host", host);
    }
    request.send().await.unwrap()
}

async fn assert_page(res: reqwest::Response, what: &str) {
    assert_eq!(res.status(), 200, "{what}");
    assert!(
        header(&res, "content-type").starts_with("text/html"),
        "{what}"
    );
    assert_eq!(header(&res, "cache-control"), "no-cache", "{what}");
    let csp = header(&res, "content-security-policy");
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    // Inline styles only as attributes (charts), never a `<style>` or a script.
    assert!(csp.contains("style-src 'self';"), "{what}: {csp}");
    assert_eq!(res.text().await.unwrap(), INDEX, "{what}");
}

#[tokio::test]
async fn the_portal_answers_at_t_slug_on_any_host() {
    let app = serve_portal().await;
    app.ready().await;
    for path in [
        "/t/lakeside/",
        "/t/lakeside/book",
        "/t/lakeside/messages/abc",
    ] {
        assert_page(get_at(&app, None, path).await, path).await;
    }
    let bare = get_at(&app, None, "/t/lakeside").await;
    assert!(bare.status().is_redirection(), "{}", bare.status());
    assert_eq!(header(&bare, "location"), "/t/lakeside/");
    // Nothing but a plain slug is ever put into a redirect.
    let odd = get_at(&app, None, "/t/%2F%2Fevil.example").await;
    assert_eq!(odd.status(), 404);
}

#[tokio::test]
async fn a_practice_host_gets_the_portal_at_every_route_and_other_hosts_do_not() {
    let app = serve_portal().await;
    app.ready().await;
    app.create_tenant("harbor").await;
    app.create_tenant_with_domain("bayview", Some("portal.bayview.example"))
        .await;
    for (host, path) in [
        ("harbor.localhost", "/"),
        ("harbor.localhost", "/book/first-available"),
        ("portal.bayview.example", "/"),
        ("portal.bayview.example", "/records/results"),
    ] {
        assert_page(get_at(&app, Some(host), path).await, host).await;
    }
    // A host that names no practice, and the platform's own host, have no portal at `/`.
    for host in ["nowhere.localhost", "localhost", "portal.unknown.example"] {
        let res = get_at(&app, Some(host), "/").await;
        assert_eq!(res.status(), 404, "{host}");
    }
    // The API's own routes stay theirs on a practice's host.
    let health = get_at(&app, Some("harbor.localhost"), "/healthz").await;
    assert_eq!(health.status(), 200);
    assert!(!header(&health, "content-type").starts_with("text/html"));
}

#[tokio::test]
async fn the_portals_files_live_under_portal_and_a_missing_one_is_not_the_page() {
    let app = serve_portal().await;
    let js = get_at(&app, None, "/portal/assets/portal-abc123.js").await;
    assert_eq!(js.status(), 200);
    assert!(header(&js, "content-type").contains("javascript"));
    assert_eq!(
        header(&js, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(js.text().await.unwrap(), APP_JS);
    for path in [
        "/portal/assets/missing.js",
        "/portal/book",
        "/portal/assets/..%2F..%2Fetc%2Fpasswd",
    ] {
        let res = get_at(&app, None, path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(
            !header(&res, "content-type").starts_with("text/html"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn only_reads_reach_the_portal_on_a_practice_host() {
    let app = serve_portal().await;
    app.ready().await;
    app.create_tenant("harbor").await;
    let client = reqwest::Client::new();
    let res = client
        .post(app.url("/anything"))
        .header("host", "harbor.localhost")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
}
