//! Browser sessions (`X-Portico-Session: cookie`): the refresh token lives in an HttpOnly,
//! SameSite=Strict cookie per practice, never in the body; refreshing reads the cookie and
//! rotates it; signing out clears it; a page of another origin is refused; and without the
//! header nothing changes (cookies are not even read).

use portico_tests::{TestApp, error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const SIGN_IN: &str = "mutation($input: SignInInput!) { signIn(input: $input) {
    session { accessToken refreshToken refreshTokenExpiresAt } } }";
const REFRESH_FROM_COOKIE: &str =
    "mutation { refreshSession(input: {}) { session { accessToken refreshToken } } }";
const ME: &str = "{ me { email } }";

/// One `/graphql` POST as the console sends it.
struct Browser<'a> {
    app: &'a TestApp,
    slug: &'a str,
    /// `X-Portico-Session: cookie`.
    cookie_mode: bool,
    /// The refresh cookie's value to send.
    cookie: Option<&'a str>,
    origin: Option<&'a str>,
    bearer: Option<&'a str>,
}

struct Answer {
    status: u16,
    set_cookies: Vec<String>,
    body: Value,
}

impl Answer {
    /// The `Set-Cookie` of the practice's refresh cookie, if any.
    fn refresh_cookie(&self, slug: &str) -> Option<&str> {
        let prefix = format!("portico_refresh_{slug}=");
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&prefix))
            .map(String::as_str)
    }

    /// The refresh cookie's value.
    fn refresh_value(&self, slug: &str) -> String {
        let cookie = self
            .refresh_cookie(slug)
            .unwrap_or_else(|| panic!("no refresh cookie: {:?} {}", self.set_cookies, self.body));
        cookie
            .split(';')
            .next()
            .and_then(|pair| pair.split_once('='))
            .map(|(_, v)| v.to_owned())
            .unwrap()
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp, slug: &'a str) -> Self {
        Self {
            app,
            slug,
            cookie_mode: true,
            cookie: None,
            origin: None,
            bearer: None,
        }
    }

    async fn post(&self, body: Value) -> Answer {
        let mut req = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("X-Portico-Tenant", self.slug)
            .json(&body);
        if self.cookie_mode {
            req = req.header("X-Portico-Session", "cookie");
        }
        if let Some(value) = self.cookie {
            req = req.header(
                "Cookie",
                format!("theme=dark; portico_refresh_{}={value}", self.slug),
            );
        }
        if let Some(origin) = self.origin {
            req = req.header("Origin", origin);
        }
        if let Some(token) = self.bearer {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let set_cookies = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        Answer {
            status,
            set_cookies,
            body: res.json().await.unwrap(),
        }
    }

    async fn gql(&self, query: &str, variables: Value) -> Answer {
        self.post(json!({ "query": query, "variables": variables }))
            .await
    }

    async fn sign_in(&self, email: &str, password: &str) -> Answer {
        self.gql(
            SIGN_IN,
            json!({ "input": { "email": email, "password": password } }),
        )
        .await
    }
}

fn access_token(answer: &Answer, field: &str) -> String {
    answer.body["data"][field]["session"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", answer.body))
        .to_owned()
}

#[tokio::test]
async fn browser_sign_in_keeps_the_refresh_token_in_an_http_only_cookie() {
    let app = spawn_app().await;
    let admin = app.sign_up("cookie-jar").await;
    let browser = Browser {
        origin: Some(&app.base),
        ..Browser::new(&app, "cookie-jar")
    };

    let signed = browser.sign_in(&admin.email, &admin.password).await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    let session = &signed.body["data"]["signIn"]["session"];
    assert_eq!(session["refreshToken"], "", "{}", signed.body);
    assert!(!access_token(&signed, "signIn").is_empty());
    let cookie = signed.refresh_cookie("cookie-jar").unwrap();
    assert!(signed.refresh_value("cookie-jar").starts_with("prt_"));
    for attribute in ["; HttpOnly", "; SameSite=Strict", "; Path=/graphql"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    // Max-Age runs to the refresh token's expiry: the staff idle timeout (15 minutes).
    let max_age: i64 = cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("Max-Age="))
        .unwrap()
        .parse()
        .unwrap();
    assert!((880..=900).contains(&max_age), "{cookie}");
    assert_eq!(signed.set_cookies.len(), 1, "{:?}", signed.set_cookies);

    // Batched operations reach the response's headers too.
    let batch = browser
        .post(json!([
            { "query": SIGN_IN, "variables": { "input": { "email": admin.email, "password": admin.password } } },
            { "query": "{ tenantBranding { displayName } }" },
        ]))
        .await;
    assert_eq!(
        batch.body[0]["data"]["signIn"]["session"]["refreshToken"],
        ""
    );
    assert!(
        batch.refresh_cookie("cookie-jar").is_some(),
        "{}",
        batch.body
    );
}

#[tokio::test]
async fn refresh_reads_the_cookie_rotates_it_and_a_replayed_cookie_ends_the_session() {
    let app = spawn_app().await;
    let admin = app.sign_up("rotating").await;
    let browser = Browser::new(&app, "rotating");
    let signed = browser.sign_in(&admin.email, &admin.password).await;
    let first = signed.refresh_value("rotating");

    let refreshed = Browser {
        cookie: Some(&first),
        ..Browser::new(&app, "rotating")
    }
    .gql(REFRESH_FROM_COOKIE, json!({}))
    .await;
    let access = access_token(&refreshed, "refreshSession");
    assert_eq!(
        refreshed.body["data"]["refreshSession"]["session"]["refreshToken"],
        ""
    );
    let second = refreshed.refresh_value("rotating");
    assert_ne!(second, first);
    assert!(
        refreshed
            .refresh_cookie("rotating")
            .unwrap()
            .contains("; HttpOnly")
    );
    let (status, me) = app.gql_as("rotating", &access, ME, json!({})).await;
    assert_eq!(status, 200, "{me}");

    // An empty token in the input means "use the cookie" as well.
    let third = Browser {
        cookie: Some(&second),
        ..Browser::new(&app, "rotating")
    }
    .gql(
        "mutation { refreshSession(input: { refreshToken: \"\" }) { session { accessToken } } }",
        json!({}),
    )
    .await;
    let access = access_token(&third, "refreshSession");
    let latest = third.refresh_value("rotating");

    // The old cookie again: it was copied. The whole session ends, the newest cookie too.
    let replayed = Browser {
        cookie: Some(&first),
        ..Browser::new(&app, "rotating")
    }
    .gql(REFRESH_FROM_COOKIE, json!({}))
    .await;
    assert_eq!(
        error_code(&replayed.body),
        Some("UNAUTHENTICATED"),
        "{}",
        replayed.body
    );
    let after = Browser {
        cookie: Some(&latest),
        ..Browser::new(&app, "rotating")
    }
    .gql(REFRESH_FROM_COOKIE, json!({}))
    .await;
    assert_eq!(error_code(&after.body), Some("UNAUTHENTICATED"));
    let (status, _) = app.gql_as("rotating", &access, ME, json!({})).await;
    assert_eq!(status, 401);

    // No token and no cookie: as without one today.
    let none = Browser::new(&app, "rotating")
        .gql(REFRESH_FROM_COOKIE, json!({}))
        .await;
    assert_eq!(error_code(&none.body), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn sign_out_clears_the_cookie() {
    let app = spawn_app().await;
    let admin = app.sign_up("leaving").await;
    let signed = Browser::new(&app, "leaving")
        .sign_in(&admin.email, &admin.password)
        .await;
    let cookie = signed.refresh_value("leaving");
    let access = access_token(&signed, "signIn");

    let out = Browser {
        bearer: Some(&access),
        cookie: Some(&cookie),
        ..Browser::new(&app, "leaving")
    }
    .gql("mutation { signOut { signedOut } }", json!({}))
    .await;
    assert_eq!(
        out.body["data"]["signOut"]["signedOut"], true,
        "{}",
        out.body
    );
    let cleared = out.refresh_cookie("leaving").unwrap();
    assert!(
        cleared.starts_with("portico_refresh_leaving=;"),
        "{cleared}"
    );
    for attribute in ["; Max-Age=0", "; Path=/graphql", "; HttpOnly"] {
        assert!(cleared.contains(attribute), "{attribute} in {cleared}");
    }

    // The session is over on the server too, cookie or not.
    let again = Browser {
        cookie: Some(&cookie),
        ..Browser::new(&app, "leaving")
    }
    .gql(REFRESH_FROM_COOKIE, json!({}))
    .await;
    assert_eq!(error_code(&again.body), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn without_the_header_cookies_are_ignored_and_tokens_travel_in_the_body() {
    let app = spawn_app().await;
    let admin = app.sign_up("plain-api").await;
    let browser = Browser::new(&app, "plain-api");
    let cookie = browser
        .sign_in(&admin.email, &admin.password)
        .await
        .refresh_value("plain-api");

    let api = Browser {
        cookie_mode: false,
        cookie: Some(&cookie),
        ..Browser::new(&app, "plain-api")
    };
    let signed = api.sign_in(&admin.email, &admin.password).await;
    assert!(signed.set_cookies.is_empty(), "{:?}", signed.set_cookies);
    let refresh = signed.body["data"]["signIn"]["session"]["refreshToken"]
        .as_str()
        .unwrap();
    assert!(refresh.starts_with("prt_"), "{}", signed.body);

    // The cookie is not read without the header: no token, no refresh.
    let ignored = api.gql(REFRESH_FROM_COOKIE, json!({})).await;
    assert_eq!(error_code(&ignored.body), Some("UNAUTHENTICATED"));
    assert!(ignored.set_cookies.is_empty());
    // A token in the body works as before, and comes back in the body.
    let refreshed = api
        .gql(
            "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) {
                session { refreshToken } } }",
            json!({ "t": refresh }),
        )
        .await;
    assert!(
        refreshed.body["data"]["refreshSession"]["session"]["refreshToken"]
            .as_str()
            .is_some_and(|t| t.starts_with("prt_")),
        "{}",
        refreshed.body
    );
    assert!(refreshed.set_cookies.is_empty());

    // ... and the cookie the plain requests carried was left alone: it still works.
    let still = Browser {
        cookie: Some(&cookie),
        ..Browser::new(&app, "plain-api")
    }
    .gql(REFRESH_FROM_COOKIE, json!({}))
    .await;
    assert!(!access_token(&still, "refreshSession").is_empty());
}

#[tokio::test]
async fn a_browser_session_from_a_foreign_origin_is_csrf_rejected() {
    let app = spawn_app().await;
    let admin = app.sign_up("guarded").await;
    let own = Browser {
        origin: Some(&app.base),
        ..Browser::new(&app, "guarded")
    };
    let cookie = own
        .sign_in(&admin.email, &admin.password)
        .await
        .refresh_value("guarded");

    for origin in [
        "https://evil.example",
        "null",
        &app.base.replace("http:", "ftp:"),
    ] {
        let foreign = Browser {
            origin: Some(origin),
            cookie: Some(&cookie),
            ..Browser::new(&app, "guarded")
        };
        let refused = foreign.gql(REFRESH_FROM_COOKIE, json!({})).await;
        assert_eq!(
            error_code(&refused.body),
            Some("CSRF_REJECTED"),
            "{origin}: {}",
            refused.body
        );
        assert_eq!(refused.status, 403);
        assert!(refused.set_cookies.is_empty());
        let sign_in = foreign.sign_in(&admin.email, &admin.password).await;
        assert_eq!(error_code(&sign_in.body), Some("CSRF_REJECTED"));
        assert!(sign_in.set_cookies.is_empty());
    }

    // Nothing was spent: the cookie still refreshes from Portico's own origin, as from the
    // configured public URL's origin.
    let refreshed = Browser {
        origin: Some(&app.base),
        cookie: Some(&cookie),
        ..Browser::new(&app, "guarded")
    }
    .gql(REFRESH_FROM_COOKIE, json!({}))
    .await;
    let next = refreshed.refresh_value("guarded");
    let public = Browser {
        origin: Some("http://localhost:8080"),
        cookie: Some(&next),
        ..Browser::new(&app, "guarded")
    }
    .gql(REFRESH_FROM_COOKIE, json!({}))
    .await;
    assert!(!access_token(&public, "refreshSession").is_empty());

    // Without the header, Origin is not this rule's business (API clients, CORS).
    let api = Browser {
        cookie_mode: false,
        origin: Some("https://evil.example"),
        ..Browser::new(&app, "guarded")
    }
    .gql("{ tenantBranding { displayName } }", json!({}))
    .await;
    assert_eq!(api.status, 200, "{}", api.body);
}

#[tokio::test]
async fn the_cookie_is_secure_when_portico_is_served_over_https() {
    let app = spawn_app_with(|c| c.http.public_url = "https://portal.example".to_owned()).await;
    let admin = app.sign_up("tls-only").await;
    let signed = Browser {
        origin: Some("https://portal.example"),
        ..Browser::new(&app, "tls-only")
    }
    .sign_in(&admin.email, &admin.password)
    .await;
    let cookie = signed.refresh_cookie("tls-only").unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");

    let out = Browser {
        bearer: Some(&access_token(&signed, "signIn")),
        ..Browser::new(&app, "tls-only")
    }
    .gql("mutation { signOut { signedOut } }", json!({}))
    .await;
    assert!(
        out.refresh_cookie("tls-only")
            .unwrap()
            .contains("Max-Age=0; Secure")
    );
}

/// A reload while a refresh is on the wire loses the answer's cookie: the browser presents
/// the token it already used. Within the grace, while the token issued for it is unused, the
/// retry is answered and the unused token retired; once the browser has gone on with a newer
/// token, or after the grace, the old one is a replay and ends the session.
#[tokio::test]
async fn a_browser_retry_after_a_lost_answer_keeps_the_session_once() {
    let app = spawn_app().await;
    let admin = app.sign_up("reloading").await;
    let browser = Browser::new(&app, "reloading");
    let refresh_with = |cookie: String| {
        let app = &app;
        async move {
            Browser {
                cookie: Some(&cookie),
                ..Browser::new(app, "reloading")
            }
            .gql(REFRESH_FROM_COOKIE, json!({}))
            .await
        }
    };
    let first = browser
        .sign_in(&admin.email, &admin.password)
        .await
        .refresh_value("reloading");
    // The answer to this refresh never reaches the browser's cookie jar.
    let lost = refresh_with(first.clone()).await.refresh_value("reloading");
    // The reloaded page presents the first cookie again: answered, with a new token.
    let retried = refresh_with(first.clone()).await;
    let access = access_token(&retried, "refreshSession");
    let kept = retried.refresh_value("reloading");
    assert_ne!(kept, lost);
    let (status, me) = app.gql_as("reloading", &access, ME, json!({})).await;
    assert_eq!(status, 200, "{me}");
    // The session goes on from the retry's token.
    let next = refresh_with(kept).await;
    let latest = next.refresh_value("reloading");
    // The first cookie once more, after the browser went on: a replay, and the end.
    let replayed = refresh_with(first).await;
    assert_eq!(error_code(&replayed.body), Some("UNAUTHENTICATED"));
    let after = refresh_with(latest).await;
    assert_eq!(error_code(&after.body), Some("UNAUTHENTICATED"));

    // Past the grace, a retry is a replay too.
    let second = Browser::new(&app, "reloading")
        .sign_in(&admin.email, &admin.password)
        .await
        .refresh_value("reloading");
    let newer = refresh_with(second.clone())
        .await
        .refresh_value("reloading");
    let used = refresh_token_id(&app, &second).await;
    app.backdate(
        "refresh_tokens",
        "used_at",
        used,
        chrono::Utc::now() - chrono::Duration::seconds(11),
    )
    .await;
    let late = refresh_with(second).await;
    assert_eq!(error_code(&late.body), Some("UNAUTHENTICATED"));
    let gone = refresh_with(newer).await;
    assert_eq!(error_code(&gone.body), Some("UNAUTHENTICATED"));

    // A token sent in the body (an API client, not a browser) gets no grace.
    let signed = app.sign_up("api-client").await;
    let (_, rotated) = app
        .gql_status(
            Some("api-client"),
            REFRESH_BODY,
            json!({ "t": signed.refresh }),
        )
        .await;
    let fresh = rotated["data"]["refreshSession"]["session"]["refreshToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{rotated}"))
        .to_owned();
    let (_, again) = app
        .gql_status(
            Some("api-client"),
            REFRESH_BODY,
            json!({ "t": signed.refresh }),
        )
        .await;
    assert_eq!(error_code(&again), Some("UNAUTHENTICATED"));
    let (_, after) = app
        .gql_status(Some("api-client"), REFRESH_BODY, json!({ "t": fresh }))
        .await;
    assert_eq!(error_code(&after), Some("UNAUTHENTICATED"));
}

const REFRESH_BODY: &str = "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) \
    { session { refreshToken } } }";

/// The stored row of a refresh token, found by its hash as Portico stores it.
async fn refresh_token_id(app: &TestApp, token: &str) -> uuid::Uuid {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = sea_orm::Database::connect(&app.database.owner_url)
        .await
        .unwrap();
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "SELECT id FROM refresh_tokens WHERE token_hash = $1",
        _ => "SELECT id FROM refresh_tokens WHERE token_hash = ?",
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [portico_core::sessions::hash_token(token).into()],
        ))
        .await
        .unwrap()
        .expect("the token is stored");
    let id: uuid::Uuid = row.try_get("", "id").unwrap();
    conn.close().await.unwrap();
    id
}
