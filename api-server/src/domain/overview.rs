//! The admin overview: users (total, active today and this week), messages per day over the
//! last 30 days, storage used by media, open reports and flood flags, and each node's health
//! (the answering api-server itself, and every `CLUSTER_NODES` entry through its `/readyz` and
//! `/metrics`).

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use diesel::PgConnection;
use serde::Serialize;
use serde_json::Value;
use shared::config::ClusterNode;
use shared::metrics::{MESSAGES_SENT, OUTBOX_PENDING, WS_CONNECTIONS, WS_DELIVERIES, WS_DROPPED};
use shared::models::stats;
use shared::Error;
use utoipa::ToSchema;

use crate::domain::admin::require_admin;

/// Days in the messages-per-day series (today included).
pub const DAYS: i64 = 30;
/// How long the overview waits for a node's `/readyz` or `/metrics`.
const NODE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct DayCountDto {
    /// UTC day, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserCounts {
    pub total: i64,
    /// Seen connected, or sent a message, in the last 24 hours.
    pub active_today: i64,
    /// The same over the last 7 days.
    pub active_week: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediaCounts {
    /// Sum of the stored uploads' sizes (thumbnails not counted).
    pub bytes: i64,
    pub uploads: i64,
    /// `MEDIA_QUOTA_BYTES_PER_USER`; absent: no quota.
    pub quota_bytes_per_user: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationCounts {
    pub open_reports: i64,
    /// Flood-control send limits still running.
    pub flags_active: i64,
    /// Flood-control flags recorded in the last 7 days.
    pub flags_week: i64,
}

/// One process of the cluster, as its `/readyz` and `/metrics` describe it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeHealthDto {
    /// `NODE_ID` of the answering api-server, or the `CLUSTER_NODES` name.
    pub name: String,
    /// `api-server` or `ws-server` (from the metrics' `service` label); absent: unknown.
    pub service: Option<String>,
    /// `ready`, `degraded`, `unavailable` (its /readyz) or `unreachable` (no answer in 2 s).
    pub status: String,
    /// Each dependency as the node sees it: `{"postgres": "up", "rabbitmq": "down", ...}`.
    #[schema(value_type = Object)]
    pub checks: Value,
    /// Open WebSockets (ws-server).
    pub connections: Option<i64>,
    /// Events written to sockets since start (ws-server).
    pub deliveries: Option<i64>,
    /// Events dropped since start (ws-server).
    pub dropped: Option<i64>,
    /// Outbox rows not yet published (api-server).
    pub outbox_pending: Option<i64>,
    /// Messages sent through this node since start (api-server).
    pub messages_sent: Option<i64>,
    /// Set when this entry is the api-server that answered.
    pub this_node: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminOverview {
    pub users: UserCounts,
    /// Oldest first, one entry per UTC day (days without messages count 0).
    pub messages_per_day: Vec<DayCountDto>,
    pub media: MediaCounts,
    pub moderation: ModerationCounts,
    pub nodes: Vec<NodeHealthDto>,
}

/// Everything but the nodes (admins; 403 `admin_only` first for everyone else). Blocking.
pub fn counts(conn: &mut PgConnection, me: shared::ids::UserId, quota: u64) -> Result<AdminOverview, Error> {
    require_admin(conn, me)?;
    let now = Utc::now();
    let users = UserCounts {
        total: stats::users_total(conn)?,
        active_today: stats::users_active_since(conn, now - chrono::Duration::days(1))?,
        active_week: stats::users_active_since(conn, now - chrono::Duration::days(7))?,
    };
    let messages_per_day =
        stats::messages_per_day(conn, DAYS)?.into_iter().map(|d| DayCountDto { day: d.day, count: d.count }).collect();
    let (bytes, uploads) = stats::media_totals(conn)?;
    let (flags_active, flags_week) = stats::flood_flags(conn, now, now - chrono::Duration::days(7))?;
    Ok(AdminOverview {
        users,
        messages_per_day,
        media: MediaCounts {
            bytes,
            uploads,
            quota_bytes_per_user: (quota > 0).then(|| i64::try_from(quota).unwrap_or(i64::MAX)),
        },
        moderation: ModerationCounts { open_reports: stats::open_reports(conn)?, flags_active, flags_week },
        nodes: Vec::new(),
    })
}

/// The sum of every series of `name` in a Prometheus text exposition; `None`: no such series.
pub fn metric_sum(text: &str, name: &str) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(name) else { continue };
        let value = match rest.chars().next() {
            Some('{') => rest.rsplit_once('}').map(|(_, v)| v),
            Some(' ') => Some(rest),
            _ => None,
        };
        if let Some(v) = value.and_then(|v| v.split_whitespace().next()).and_then(|v| v.parse::<f64>().ok()) {
            found = Some(found.unwrap_or(0.0) + v);
        }
    }
    found
}

/// The `service` label of the exposition's first labelled series.
pub fn service_label(text: &str) -> Option<String> {
    let start = text.find("service=\"")? + "service=\"".len();
    let rest = text.get(start..)?;
    Some(rest.get(..rest.find('"')?)?.to_owned())
}

/// Counters and gauges of counts: whole numbers well inside i64.
#[expect(clippy::cast_possible_truncation, reason = "counts of events and sockets, rounded")]
fn whole(v: Option<f64>) -> Option<i64> {
    v.map(|v| v.round() as i64)
}

/// A node's health from its readiness answer (`None`: unreachable) and metrics text.
pub fn node_health(name: &str, ready: Option<&Value>, metrics: &str, this_node: bool) -> NodeHealthDto {
    let status = ready.and_then(|r| r.get("status")).and_then(Value::as_str).unwrap_or("unreachable").to_owned();
    NodeHealthDto {
        name: name.to_owned(),
        service: service_label(metrics),
        status,
        checks: ready.and_then(|r| r.get("checks")).cloned().unwrap_or_else(|| Value::Object(Default::default())),
        connections: whole(metric_sum(metrics, WS_CONNECTIONS)),
        deliveries: whole(metric_sum(metrics, WS_DELIVERIES)),
        dropped: whole(metric_sum(metrics, WS_DROPPED)),
        outbox_pending: whole(metric_sum(metrics, OUTBOX_PENDING)),
        messages_sent: whole(metric_sum(metrics, MESSAGES_SENT)),
        this_node,
    }
}

async fn fetch(http: &reqwest::Client, url: &str) -> Option<reqwest::Response> {
    tokio::time::timeout(NODE_TIMEOUT, http.get(url).send()).await.ok()?.ok()
}

/// Asks one node for `/readyz` (any status: 503 carries the checks too) and `/metrics`.
async fn ask(http: &reqwest::Client, node: &ClusterNode) -> NodeHealthDto {
    let (ready_url, metrics_url) = (format!("{}/readyz", node.url), format!("{}/metrics", node.url));
    let (ready, metrics) = tokio::join!(fetch(http, &ready_url), async {
        match fetch(http, &metrics_url).await {
            Some(r) => tokio::time::timeout(NODE_TIMEOUT, r.text()).await.ok().and_then(Result::ok),
            None => None,
        }
    });
    let ready: Option<Value> = match ready {
        Some(r) => tokio::time::timeout(NODE_TIMEOUT, r.json::<Value>()).await.ok().and_then(Result::ok),
        None => None,
    };
    node_health(&node.name, ready.as_ref(), metrics.as_deref().unwrap_or_default(), false)
}

/// The other nodes' health, asked at once (each bounded to 2 s), in `CLUSTER_NODES` order.
pub async fn cluster_nodes(nodes: &[ClusterNode], own_name: &str) -> Vec<NodeHealthDto> {
    let Ok(http) = reqwest::Client::builder().timeout(NODE_TIMEOUT).redirect(reqwest::redirect::Policy::none()).build()
    else {
        return nodes.iter().map(|n| node_health(&n.name, None, "", false)).collect();
    };
    let asks = nodes.iter().filter(|n| n.name != own_name).map(|n| ask(&http, n));
    futures_util::future::join_all(asks).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE chat_ws_connections gauge\n\
        chat_ws_connections{service=\"ws-server\",node=\"ws-1\"} 3\n\
        chat_ws_deliveries_total{service=\"ws-server\",node=\"ws-1\",kind=\"message\"} 10\n\
        chat_ws_deliveries_total{service=\"ws-server\",node=\"ws-1\",kind=\"receipt\"} 5\n\
        chat_ws_connections_peak 9\n";

    #[test]
    fn metrics_are_summed_by_exact_name() {
        assert_eq!(metric_sum(TEXT, WS_CONNECTIONS), Some(3.0));
        assert_eq!(metric_sum(TEXT, WS_DELIVERIES), Some(15.0));
        assert_eq!(metric_sum(TEXT, OUTBOX_PENDING), None);
        assert_eq!(service_label(TEXT).as_deref(), Some("ws-server"));
        assert_eq!(service_label(""), None);
    }

    #[test]
    fn a_node_without_an_answer_is_unreachable() {
        let n = node_health("ws-9", None, "", false);
        assert_eq!((n.status.as_str(), n.connections, n.service), ("unreachable", None, None));
        let ready = serde_json::json!({"status": "degraded", "checks": {"memcached": "down"}});
        let n = node_health("ws-1", Some(&ready), TEXT, false);
        assert_eq!((n.status.as_str(), n.connections, n.deliveries), ("degraded", Some(3), Some(15)));
        assert_eq!(n.checks["memcached"], "down");
    }
}
