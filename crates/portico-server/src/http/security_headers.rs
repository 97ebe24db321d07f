//! Headers that keep browsers from misusing Portico's answers: nothing is sniffed into another
//! type, GraphQL answers (patient data) are never cached, HTML pages run only Portico's own
//! scripts and are never framed (clickjacking), and behind TLS, HSTS when configured. The two
//! web apps' pages (console and portal) get a policy of their own, stricter on styles than
//! GraphiQL's.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// For HTML pages (GraphiQL today). GraphiQL sets inline `style` attributes, hence
/// `'unsafe-inline'` for styles only; scripts come from Portico alone.
pub const HTML_CSP: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// For the web apps (the console at `/console/`, the portal at `/t/{slug}/` and on practice
/// hosts): Vite builds with no inline script or style element. Chart libraries set `style`
/// attributes, hence `style-src-attr 'unsafe-inline'` alone. A practice's logo is an https
/// address of its own, hence `img-src https:` (images only: nothing that runs).
pub const APP_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    style-src-attr 'unsafe-inline'; img-src 'self' data: blob: https:; font-src 'self'; \
    connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// What every response gets, decided once from the configuration.
#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    /// `hsts_max_age_secs` 0 leaves HSTS off (a deployment without TLS must not send it).
    pub fn new(hsts_max_age_secs: u64) -> Self {
        let hsts = (hsts_max_age_secs > 0).then(|| {
            HeaderValue::from_str(&format!("max-age={hsts_max_age_secs}; includeSubDomains"))
                .unwrap_or_else(|_| HeaderValue::from_static("max-age=31536000"))
        });
        Self { hsts }
    }
}

fn set_if_absent(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    headers.entry(name).or_insert(value);
}

pub async fn apply(
    State(config): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let graphql = request.uri().path() == "/graphql";
    // Every HTML page is one of the two apps' but GraphiQL's.
    let app = !request.uri().path().starts_with("/graphiql");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set_if_absent(
        headers,
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if graphql {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if app { APP_CSP } else { HTML_CSP }),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    if let Some(hsts) = &config.hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
}
