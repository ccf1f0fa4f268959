//! Prometheus metrics: one recorder per process, every series labelled with `service` and
//! `node` (NODE_ID). Names are the contract with the dashboards and alerts (see ARCHITECTURE.md).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
pub const MESSAGES_SENT: &str = "chat_messages_sent_total";
pub const OUTBOX_PENDING: &str = "chat_outbox_pending";
/// Outbox rows set aside because they do not decode (never published; see `models::outbox`).
pub const OUTBOX_FAILED: &str = "chat_outbox_failed_total";
pub const BROKER_RECONNECTS: &str = "chat_broker_reconnects_total";
/// Verification and reset mails, by `kind` and `outcome` (sent, failed, dropped).
pub const MAIL_SENT: &str = "chat_mail_sent_total";
pub const WS_CONNECTIONS: &str = "chat_ws_connections";
pub const WS_DELIVERIES: &str = "chat_ws_deliveries_total";
pub const WS_DROPPED: &str = "chat_ws_dropped_total";
pub const WS_DELIVERY_LATENCY: &str = "chat_ws_delivery_latency_seconds";
pub const PRESENCE_ONLINE: &str = "chat_presence_online";
/// Requests refused at once because a bounded queue was full, by `queue` (`requests`,
/// `database`: see `admission`).
pub const REQUESTS_SHED: &str = "chat_requests_shed_total";

const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Installs the recorder (once per process; later calls return the first handle).
pub fn install(service: &'static str, node_id: &str) -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .add_global_label("service", service)
                .add_global_label("node", node_id)
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder is installed (not ours): render an empty registry.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Registers every metric of `service` at zero, so dashboards and alerts find each series as
/// soon as the process is up (not only after the first event).
pub fn describe(service: &str) {
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests by route and status");
    metrics::describe_histogram!(HTTP_DURATION, metrics::Unit::Seconds, "HTTP request duration by route");
    metrics::describe_counter!(BROKER_RECONNECTS, "Reconnections to RabbitMQ");
    metrics::counter!(BROKER_RECONNECTS).absolute(0);
    metrics::describe_counter!(REQUESTS_SHED, "Requests refused at once because a bounded queue was full, by queue");
    metrics::counter!(REQUESTS_SHED, "queue" => "database").absolute(0);
    if service == "api-server" {
        metrics::counter!(REQUESTS_SHED, "queue" => "requests").absolute(0);
        metrics::counter!(REQUESTS_SHED, "queue" => "uploads").absolute(0);
    }
    if service == "api-server" {
        metrics::describe_counter!(MESSAGES_SENT, "Messages persisted");
        metrics::describe_gauge!(OUTBOX_PENDING, "Outbox rows not yet published");
        metrics::describe_counter!(OUTBOX_FAILED, "Outbox rows set aside because they do not decode");
        metrics::counter!(OUTBOX_FAILED).absolute(0);
        metrics::counter!(MESSAGES_SENT).absolute(0);
        metrics::gauge!(OUTBOX_PENDING).set(0.0);
    } else {
        metrics::describe_gauge!(WS_CONNECTIONS, "Open WebSocket connections on this node");
        metrics::describe_counter!(WS_DELIVERIES, "Events written to sockets");
        metrics::describe_counter!(WS_DROPPED, "Events or connections dropped, by reason");
        metrics::describe_histogram!(WS_DELIVERY_LATENCY, metrics::Unit::Seconds, "Publish to socket write");
        metrics::describe_gauge!(PRESENCE_ONLINE, "Users online with a connection on this node");
        metrics::gauge!(WS_CONNECTIONS).set(0.0);
        metrics::counter!(WS_DELIVERIES).absolute(0);
        metrics::counter!(WS_DROPPED, "reason" => "slow_consumer").absolute(0);
        metrics::gauge!(PRESENCE_ONLINE).set(0.0);
    }
}
