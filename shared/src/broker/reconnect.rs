//! The one reconnect loop every owner of a broker connection runs (the outbox relay, the ws
//! node's consumer and its publisher): set up with a timeout, serve until the connection is
//! lost, close it, wait out a backoff, again.
//!
//! # Lifecycle
//! [`run_connected`] calls the owner's [`Connected::connect`] (bounded by `setup_timeout`,
//! raced with shutdown); on success it raises the [`BrokerStatus`] flag, counts a reconnect
//! (`chat_broker_reconnects_total`, from the second connection on), calls
//! [`Connected::on_connected`] and resets the backoff, then [`Connected::serve`]s. When serving
//! ends it lowers the flag, calls [`Connected::on_lost`], closes the connection (at most 1 s)
//! and, unless shutting down, waits out the next [`Backoff`] delay. A failed setup waits too.
//! Every step logs with the connection's name, so the owners log nothing of their own about it.

use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lapin::Connection;
use tokio::sync::watch;

use super::backoff::Backoff;

/// How long closing a connection that is being given up may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether the owner of a broker connection is currently connected (for /readyz).
#[derive(Debug, Clone, Default)]
pub struct BrokerStatus(Arc<AtomicBool>);

impl BrokerStatus {
    pub fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why serving a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Shutdown was asked: the loop ends.
    Shutdown,
    /// The connection (or something on it) failed: reconnect.
    Lost(String),
}

/// An owner of a broker connection: what it sets up on each connection and how it serves one.
pub trait Connected: Sync {
    /// What one connection carries: the connection itself, its channels, consumers.
    type Link: Send;
    type Error: Display;

    /// Connects and sets everything up (declarations, bindings, consumers).
    fn connect(&self) -> impl Future<Output = Result<Self::Link, Self::Error>> + Send;

    /// Works on the connection until it is lost or `shutdown` changes.
    fn serve(&self, link: &mut Self::Link, shutdown: &mut watch::Receiver<bool>) -> impl Future<Output = Ended> + Send;

    /// The connection to close when serving ended.
    fn connection(link: &Self::Link) -> &Connection;

    /// After a successful setup, before serving; `again`: an earlier connection was lost.
    fn on_connected(&self, _link: &Self::Link, _again: bool) {}

    /// After serving ended, before the connection is closed.
    fn on_lost(&self) {}
}

/// How [`run_connected`] runs one owner.
#[derive(Debug, Clone)]
pub struct Reconnect {
    /// Names the connection in logs (e.g. its AMQP connection name).
    pub name: String,
    /// Up while connected and set up.
    pub status: BrokerStatus,
    pub backoff: Backoff,
    /// A setup that takes longer is abandoned and retried.
    pub setup_timeout: Duration,
    /// Counts reconnects in `chat_broker_reconnects_total` (one owner per process does, so the
    /// metric counts outages of that process, not connections).
    pub counted: bool,
}

impl Reconnect {
    /// Counted, with a backoff from 200 ms to 10 s.
    pub fn new(name: impl Into<String>, status: BrokerStatus, setup_timeout: Duration) -> Self {
        let backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        Self { name: name.into(), status, backoff, setup_timeout, counted: true }
    }
}

/// Keeps `owner` connected until `shutdown` says so.
pub async fn run_connected<C: Connected>(owner: &C, reconnect: Reconnect, mut shutdown: watch::Receiver<bool>) {
    let Reconnect { name, status, mut backoff, setup_timeout, counted } = reconnect;
    let name = name.as_str();
    let mut connected_before = false;
    while !*shutdown.borrow() {
        let mut link = match attempt(owner, setup_timeout, &mut shutdown).await {
            None => return,
            Some(Ok(link)) => link,
            Some(Err(error)) => {
                tracing::warn!(connection = name, error, "cannot connect to RabbitMQ, retrying");
                if !backoff.pause(&mut shutdown).await {
                    return;
                }
                continue;
            }
        };
        status.set(true);
        if connected_before && counted {
            metrics::counter!(crate::metrics::BROKER_RECONNECTS).increment(1);
        }
        tracing::info!(connection = name, again = connected_before, "connected to RabbitMQ");
        owner.on_connected(&link, connected_before);
        connected_before = true;
        backoff.reset();
        let ended = owner.serve(&mut link, &mut shutdown).await;
        status.set(false);
        owner.on_lost();
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, C::connection(&link).close(200, "bye".into())).await;
        let Ended::Lost(reason) = ended else { return };
        tracing::warn!(connection = name, reason, "lost RabbitMQ, reconnecting");
        if !backoff.pause(&mut shutdown).await {
            return;
        }
    }
}

/// One setup, at most `timeout`; `None` when shutdown came first.
async fn attempt<C: Connected>(
    owner: &C,
    timeout: Duration,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<Result<C::Link, String>> {
    tokio::select! {
        r = tokio::time::timeout(timeout, owner.connect()) => Some(match r {
            Ok(Ok(link)) => Ok(link),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".into()),
        }),
        _ = shutdown.changed() => None,
    }
}
