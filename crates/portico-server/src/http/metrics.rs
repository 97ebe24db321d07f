//! `/metrics` in Prometheus text format, and the middleware that counts requests. Labels are
//! routes, methods, status codes and operation names: nothing that identifies a person.

use std::time::{Duration, Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use portico_core::ports::Queue;

use crate::state::AppState;

pub async fn record_http(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("portico_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("portico_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    if let Some(runtime) = state.runtime() {
        let s = &runtime.services;
        let pool = s.db.pool_stats();
        metrics::gauge!("portico_db_pool_connections", "state" => "open").set(f64::from(pool.size));
        metrics::gauge!("portico_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
        metrics::gauge!("portico_db_pool_max_connections").set(f64::from(pool.max));
        for queue in Queue::ALL {
            if let Ok(Ok(depth)) =
                tokio::time::timeout(Duration::from_secs(2), s.queue.queue_depth(queue)).await
            {
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "queue depths are far below 2^52"
                )]
                metrics::gauge!("portico_queue_depth", "queue" => queue.name()).set(depth as f64);
            }
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
