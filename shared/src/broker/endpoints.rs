//! `AMQP_URL` may list the nodes of a RabbitMQ cluster, comma-separated
//! (`amqp://u:p@mq1:5672/%2f,amqp://u:p@mq2:5672/%2f`): a connect tries them in turn and takes
//! the first that answers, so an owner whose node died comes back on a surviving one through
//! the usual reconnect loop ([`super::run_connected`]), which then declares its queues there.
//!
//! Which node a connect tries first: the one that worked last (connections of one process stay
//! together), moved on to the next *before* each attempt, so an attempt that hangs (a node cut
//! off without a reset) and is dropped by the caller's setup timeout leaves the next connect
//! starting with the following node instead of the stuck one again. With several nodes each
//! attempt is bounded too: by the URL's `connection_timeout` (ms), else [`NODE_TIMEOUT`]
//! (lapin's own connect does not apply `connection_timeout`, and a dropped SYN would otherwise
//! hold the attempt until the owner's whole setup timeout, leaving no time for the next node).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lapin::uri::AMQPUri;
use lapin::{Connection, ConnectionProperties};

/// How long one node of several may take to connect when its URL does not say.
pub const NODE_TIMEOUT: Duration = Duration::from_secs(5);

/// The node the next connect tries first, an index into the list (modulo its length). One per
/// process: every owner connects to the same `AMQP_URL`.
static PREFERRED: AtomicUsize = AtomicUsize::new(0);

/// The URLs of a comma-separated `AMQP_URL`, in order, blanks skipped.
pub fn endpoints(urls: &str) -> Vec<&str> {
    urls.split(',').map(str::trim).filter(|u| !u.is_empty()).collect()
}

/// Connects to the first node of `urls` that answers, starting with the preferred one.
pub async fn connect_any(urls: &str, props: ConnectionProperties) -> lapin::Result<Connection> {
    let list = endpoints(urls);
    let count = list.len().max(1);
    let start = PREFERRED.load(Ordering::Relaxed) % count;
    let mut last = None;
    for step in 0..count {
        let index = (start + step) % count;
        let Some(url) = list.get(index) else { break };
        PREFERRED.store(index + 1, Ordering::Relaxed);
        let attempt = Connection::connect(url, props.clone());
        let connected = if count > 1 {
            let bound = node_timeout(url);
            tokio::time::timeout(bound, attempt).await.unwrap_or_else(|_| Err(timed_out(bound)))
        } else {
            attempt.await
        };
        match connected {
            Ok(conn) => {
                PREFERRED.store(index, Ordering::Relaxed);
                if count > 1 {
                    tracing::info!(node = index + 1, of = count, "connected to a RabbitMQ node of AMQP_URL");
                }
                return Ok(conn);
            }
            Err(e) => {
                if count > 1 {
                    tracing::warn!(node = index + 1, of = count, error = %e, "RabbitMQ node of AMQP_URL unreachable, trying the next");
                }
                last = Some(e);
            }
        }
    }
    match last {
        Some(e) => Err(e),
        // An empty list: lapin says what is wrong with it.
        None => Connection::connect(urls, props).await,
    }
}

/// The URL's `connection_timeout`, else [`NODE_TIMEOUT`] (an unparsable URL fails in connect).
fn node_timeout(url: &str) -> Duration {
    url.parse::<AMQPUri>().ok().and_then(|u| u.query.connection_timeout).map_or(NODE_TIMEOUT, Duration::from_millis)
}

fn timed_out(after: Duration) -> lapin::Error {
    let message = format!("no connection within {} ms", after.as_millis());
    lapin::Error::from(std::io::Error::new(std::io::ErrorKind::TimedOut, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_splits_on_commas_and_skips_blanks() {
        assert_eq!(endpoints("amqp://a/%2f, amqp://b/%2f ,,"), vec!["amqp://a/%2f", "amqp://b/%2f"]);
        assert_eq!(endpoints("amqp://a/%2f"), vec!["amqp://a/%2f"]);
    }

    #[test]
    fn each_node_is_bounded_by_its_connection_timeout_or_the_default() {
        assert_eq!(node_timeout("amqp://a/%2f?connection_timeout=1500"), Duration::from_millis(1500));
        assert_eq!(node_timeout("amqp://a/%2f"), NODE_TIMEOUT);
    }
}
