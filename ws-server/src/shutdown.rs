//! Graceful stop. actix's own signal handling is off: on SIGTERM/SIGINT (or a
//! [`ShutdownHandle`]) the node first refuses new sockets and closes every open one with 1012
//! (clients move to another replica), then stops the HTTP server (no new connections, the
//! closing ones get up to 5 s), then the consumer and the presence task.

use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Notify;

/// Triggers the same stop as SIGTERM (tests, embedding).
#[derive(Clone, Default)]
pub struct ShutdownHandle(Arc<Notify>);

impl ShutdownHandle {
    pub fn trigger(&self) {
        self.0.notify_one();
    }
}

/// Resolves with what asked for the stop.
pub async fn requested(handle: &ShutdownHandle) -> &'static str {
    let mut term = signal(SignalKind::terminate()).ok();
    let sigterm = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = sigterm => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = handle.0.notified() => "requested",
    }
}
