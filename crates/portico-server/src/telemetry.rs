//! Logging and metrics set-up, once per process.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

const QUIET_STRIPE_SDK: &str = "stripe_webhook=off";

use crate::config::{Config, LogFormat};

/// Installs the tracing subscriber. Safe to call more than once (tests): later calls keep the
/// first subscriber.
pub fn init_tracing(config: &Config) {
    // The Stripe SDK logs an error for every event it cannot type for its own API version;
    // the adapter reads those itself once the signature is checked, so they are noise.
    let filter = EnvFilter::try_new(&config.runtime.log)
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive(QUIET_STRIPE_SDK.parse().unwrap_or_default());
    let json = match config.runtime.log_format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !config.is_development(),
    };
    let registry = tracing_subscriber::registry().with(filter);
    let _already_set = if json {
        registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init()
    } else {
        registry.with(fmt::layer().compact()).try_init()
    };
}

/// The process-wide Prometheus recorder; every app in the process renders from it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".to_owned()),
                    &[
                        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed; the handle still renders ours.
            let _installed = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
