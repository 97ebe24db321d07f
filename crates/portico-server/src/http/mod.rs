//! The HTTP surface: routes and the layers every request passes through.

mod client_addr;
pub mod console;
mod fhir;
mod files;
pub mod graphiql;
pub mod graphql;
mod health;
mod metrics;
pub mod portal;
mod request_id;
mod security_headers;
pub mod spa;
mod stripe_webhook;
mod tenant;

use std::time::Duration;

use axum::{
    Router,
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware,
    routing::{get, post},
};
use tower_http::{
    compression::CompressionLayer, cors::CorsLayer, timeout::TimeoutLayer, trace::TraceLayer,
};

use crate::state::AppState;

pub use client_addr::ClientAddr;
pub use request_id::RequestId;

pub fn router(state: AppState, api: bool) -> Router {
    let config = state.config.clone();
    let mut router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route("/.well-known/jwks.json", get(health::jwks));
    if api {
        router = router.route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        );
        router = router.route(
            &format!(
                "{}/{{tenant}}/{{attachment}}",
                portico_graphql::DOWNLOAD_PATH
            ),
            get(files::download),
        );
        router = router.route("/webhooks/stripe", post(stripe_webhook::receive));
        router = router
            .route(console::PATH, get(console::redirect))
            .route(&format!("{}/", console::PATH), get(console::index))
            .route(&format!("{}/{{*path}}", console::PATH), get(console::file))
            .route(
                &format!("{}/{{*path}}", portal::ASSETS_PATH),
                get(portal::asset),
            )
            .route("/t/{slug}", get(portal::redirect))
            .route("/t/{slug}/", get(portal::page))
            .route("/t/{slug}/{*path}", get(portal::route))
            .fallback(portal::fallback);
        if config.graphql_limits().introspection {
            router = router
                .route("/graphiql", get(graphiql::graphiql))
                .route("/graphiql/{name}", get(graphiql::own))
                .route(
                    &format!("{}/{{version}}/{{name}}", graphiql::ASSETS_PATH),
                    get(graphiql::vendored),
                );
        }
    }
    let origins: Vec<HeaderValue> = config
        .http
        .cors_origin_list()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if !origins.is_empty() {
        router = router.layer(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([
                    header::CONTENT_TYPE,
                    header::AUTHORIZATION,
                    HeaderName::from_static(tenant::TENANT_HEADER),
                    HeaderName::from_static(graphql::CSRF_HEADER),
                    HeaderName::from_static(portico_graphql::SESSION_HEADER),
                ])
                .expose_headers([HeaderName::from_static(request_id::HEADER)])
                .max_age(Duration::from_secs(600)),
        );
    }
    // The FHIR API and SMART's endpoints answer any origin with a CORS layer of their own;
    // the practice's configured origins are for the rest.
    if api {
        router = router.merge(fhir::router());
    }
    let router = router
        .layer(middleware::from_fn(metrics::record_http))
        .layer(TraceLayer::new_for_http().make_span_with(request_id::make_span))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.http.request_timeout_secs),
        ))
        .layer(middleware::from_fn(request_id::assign))
        .layer(middleware::from_fn_with_state(
            client_addr::TrustedProxies(
                // Checked by `Config::validate` before serving; an unchecked config trusts none.
                config.http.trusted_proxy_nets().unwrap_or_default().into(),
            ),
            client_addr::resolve,
        ))
        .layer(middleware::from_fn_with_state(
            security_headers::SecurityHeaders::new(config.http.hsts_max_age_secs),
            security_headers::apply,
        ));
    router.with_state(state)
}
