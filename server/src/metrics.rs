//! Prometheus metrics, recorded through the `metrics` facade.
//!
//! The first server built in a process installs a Prometheus recorder as the global
//! `metrics` recorder and `/metrics` renders it; no HTTP listener of the exporter's own
//! is started. When the application already installed a global recorder of its own,
//! the server's metrics go to that recorder and `/metrics` answers 404.
//!
//! Counters and gauges are global to the process: two servers in one process (as in
//! tests) add up.

use std::sync::OnceLock;

use metrics::{counter, describe_counter, describe_gauge, gauge, Counter, Gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder once per process; `None` if another global recorder
/// was installed first.
pub(crate) fn prometheus_handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new().install_recorder().ok();
            describe();
            handle
        })
        .clone()
}

fn describe() {
    describe_gauge!("resocket_connections", "Open WebSocket connections.");
    describe_counter!(
        "resocket_connections_total",
        "WebSocket connections accepted."
    );
    describe_gauge!("resocket_subscriptions", "Active channel subscriptions.");
    describe_counter!(
        "resocket_messages_in_total",
        "Protocol frames received from clients."
    );
    describe_counter!(
        "resocket_messages_out_total",
        "Protocol frames written to clients."
    );
    describe_counter!(
        "resocket_publishes_total",
        "Messages published (duplicates excluded)."
    );
    describe_counter!("resocket_calls_total", "RPC calls received.");
    describe_counter!(
        "resocket_errors_total",
        "Error frames and error replies sent, by code."
    );
    describe_counter!(
        "resocket_disconnects_total",
        "Server-initiated closes, by close code."
    );
}

/// Handles to the server's metrics, looked up once.
#[derive(Clone)]
pub(crate) struct ServerMetrics {
    pub(crate) connections: Gauge,
    pub(crate) connections_total: Counter,
    pub(crate) subscriptions: Gauge,
    pub(crate) messages_in: Counter,
    pub(crate) messages_out: Counter,
    pub(crate) publishes: Counter,
    pub(crate) calls: Counter,
}

impl ServerMetrics {
    pub(crate) fn new() -> Self {
        Self {
            connections: gauge!("resocket_connections"),
            connections_total: counter!("resocket_connections_total"),
            subscriptions: gauge!("resocket_subscriptions"),
            messages_in: counter!("resocket_messages_in_total"),
            messages_out: counter!("resocket_messages_out_total"),
            publishes: counter!("resocket_publishes_total"),
            calls: counter!("resocket_calls_total"),
        }
    }

    /// An error frame or error reply with `code` was sent.
    pub(crate) fn error(&self, code: u16) {
        counter!("resocket_errors_total", "code" => code.to_string()).increment(1);
    }

    /// The server closed a connection with `code`.
    pub(crate) fn disconnect(&self, code: u16) {
        counter!("resocket_disconnects_total", "code" => code.to_string()).increment(1);
    }
}
