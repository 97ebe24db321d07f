//! Shared state of the HTTP app. The runtime (database, queue, pub/sub, schema) is filled in
//! once start-up has reached the database, so the process can answer `/healthz` and a 503
//! `/readyz` while it is still connecting.

use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::PrometheusHandle;
use portico_graphql::{PorticoSchema, Services};

use crate::config::Config;

pub struct Runtime {
    pub services: Services,
    pub schema: PorticoSchema,
}

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub runtime: Arc<OnceLock<Runtime>>,
    pub metrics: PrometheusHandle,
    /// The GraphiQL page, rendered once.
    pub graphiql: Arc<str>,
    /// Where the console's files come from (`PORTICO_CONSOLE_DIR` or the built-in copy).
    pub console: crate::http::spa::SpaFiles,
    /// Where the patient portal's files come from (`PORTICO_PORTAL_DIR` or the built-in copy).
    pub portal: crate::http::spa::SpaFiles,
    /// The demo admin's TOTP secret, for the start-up banner (`serve --demo` only).
    pub demo_totp_secret: Arc<OnceLock<String>>,
    /// Flips to `true` once the runtime is set.
    pub ready: tokio::sync::watch::Sender<bool>,
    /// Cancelled when the process is asked to stop: `/readyz` answers 503 from then on, so a
    /// load balancer sends no new requests, and open graphql-ws sessions are closed with a
    /// reconnect code.
    pub stopping: tokio_util::sync::CancellationToken,
    /// The open graphql-ws sessions, which outlive the HTTP server's own drain (an upgraded
    /// connection is no longer its request): the process waits for them to close.
    pub sessions: tokio_util::task::TaskTracker,
}

impl AppState {
    pub fn runtime(&self) -> Option<&Runtime> {
        self.runtime.get()
    }
}
