//! `/console/`: the built console (here a stand-in folder through `PORTICO_CONSOLE_DIR`, so
//! no test needs npm): files with their types, hashed assets cached for good, the page for
//! every client-side route, its own Content-Security-Policy, and a plain 503 when there is
//! no console to serve.

use std::path::Path;

use portico_tests::{TestApp, spawn_app_with};

const INDEX: &str = "<!doctype html><html><head>\
    <script type=\"module\" src=\"/console/assets/app-abc123.js\"></script></head>\
    <body><div id=\"root\"></div></body></html>";
const APP_JS: &str = "console.log('portico console');";

/// Portico serving the console from a folder (in the test's own, removed with it) that
/// `fill` prepares.
async fn serve_console(fill: impl FnOnce(&Path)) -> TestApp {
    spawn_app_with(|c| {
        let dir = Path::new(&c.notify.outbox_dir)
            .parent()
            .expect("the outbox is in the test's folder")
            .join("console");
        fill(&dir);
        c.http.console_dir = Some(dir.display().to_string());
    })
    .await
}

fn built(dir: &Path) {
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(dir.join("assets/app-abc123.js"), APP_JS).unwrap();
    std::fs::write(dir.join("favicon.svg"), "<svg/>").unwrap();
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn the_console_page_has_its_own_policy_and_is_revalidated() {
    let app = serve_console(built).await;
    let res = get(&app, "/console/").await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("text/html"));
    assert_eq!(header(&res, "cache-control"), "no-cache");
    assert_eq!(
        header(&res, "content-security-policy"),
        "default-src 'none'; script-src 'self'; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data: blob: https:; font-src 'self'; \
         connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    assert_eq!(header(&res, "x-frame-options"), "DENY");
    assert_eq!(header(&res, "referrer-policy"), "no-referrer");
    assert_eq!(res.text().await.unwrap(), INDEX);

    // GraphiQL keeps its own policy.
    let graphiql = get(&app, "/graphiql").await;
    let csp = header(&graphiql, "content-security-policy");
    assert!(csp.contains("style-src 'self' 'unsafe-inline'"), "{csp}");

    // Other files at the top are served as they are, revalidated too.
    let icon = get(&app, "/console/favicon.svg").await;
    assert_eq!(icon.status(), 200);
    assert!(header(&icon, "content-type").starts_with("image/svg+xml"));
    assert_eq!(header(&icon, "cache-control"), "no-cache");
}

#[tokio::test]
async fn hashed_assets_are_cached_for_good_with_their_type() {
    let app = serve_console(built).await;
    let res = get(&app, "/console/assets/app-abc123.js").await;
    assert_eq!(res.status(), 200);
    assert!(
        header(&res, "content-type").contains("javascript"),
        "{}",
        header(&res, "content-type")
    );
    assert_eq!(
        header(&res, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(res.text().await.unwrap(), APP_JS);

    // A bundle that is not there is a 404, never the page.
    let missing = get(&app, "/console/assets/missing.js").await;
    assert_eq!(missing.status(), 404);
    assert!(!header(&missing, "content-type").starts_with("text/html"));
    // Nor does a path climb out of the folder.
    let climbing = get(&app, "/console/assets/..%2F..%2Fetc%2Fpasswd").await;
    assert_eq!(climbing.status(), 404);
}

#[tokio::test]
async fn client_side_routes_get_the_page() {
    let app = serve_console(built).await;
    for path in ["/console/schedule/today", "/console/inbox/abc"] {
        let res = get(&app, path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(header(&res, "content-type").starts_with("text/html"));
        assert_eq!(header(&res, "cache-control"), "no-cache");
        assert!(header(&res, "content-security-policy").contains("style-src-attr"));
        assert_eq!(res.text().await.unwrap(), INDEX);
    }
}

#[tokio::test]
async fn console_without_a_slash_redirects() {
    let app = serve_console(built).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(app.url("/console")).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(header(&res, "location"), "/console/");
}

#[tokio::test]
async fn an_unbuilt_console_says_so() {
    // An empty folder, and none at all.
    let empty = serve_console(|dir| std::fs::create_dir_all(dir).unwrap()).await;
    let missing = serve_console(|_| {}).await;
    for app in [&empty, &missing] {
        for path in ["/console/", "/console/inbox"] {
            let res = get(app, path).await;
            assert_eq!(res.status(), 503, "{path}");
            assert!(header(&res, "content-type").starts_with("text/plain"));
            let text = res.text().await.unwrap();
            assert!(text.contains("not built"), "{text}");
            assert!(text.contains("make run"), "{text}");
        }
    }
}
