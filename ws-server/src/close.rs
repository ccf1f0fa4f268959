//! Why a socket closes, and the one-shot signal that tells its tasks.
//!
//! Close codes sent by this server:
//! 1000 answer to the client's own close · 1003 binary frame · 1008 protocol error ·
//! 1009 frame too large · 1011 internal error while setting up · 1012 server restarting
//! (SIGTERM) · 1013 broker unavailable while setting up (retry) · 4000 heartbeat timeout ·
//! 4001 session revoked (suspension: do not reconnect with the same session) · 4008 slow
//! consumer (outbound queue full; reconnect and catch up through REST).

use std::sync::Arc;

use actix_ws::{CloseCode, CloseReason};
use tokio::sync::watch;

pub const SLOW_CONSUMER: u16 = 4008;
pub const HEARTBEAT_TIMEOUT: u16 = 4000;
pub const SESSION_REVOKED: u16 = 4001;

pub fn reason(code: CloseCode, description: &str) -> CloseReason {
    CloseReason { code, description: Some(description.to_owned()) }
}

/// Shared by a session's reader, writer and the hub: the first close reason wins, and every
/// holder can await it.
#[derive(Clone)]
pub struct Closer(Arc<watch::Sender<Option<CloseReason>>>);

impl Default for Closer {
    fn default() -> Self {
        Self(Arc::new(watch::channel(None).0))
    }
}

impl Closer {
    /// `true` when this call decided the close (later calls keep the first reason).
    pub fn close(&self, code: CloseCode, description: &str) -> bool {
        self.0.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(reason(code, description));
            true
        })
    }

    pub fn is_closed(&self) -> bool {
        self.0.borrow().is_some()
    }

    pub async fn closed(&self) -> CloseReason {
        let mut rx = self.0.subscribe();
        // Err is unreachable: `self` keeps the sender alive.
        let found = rx.wait_for(Option::is_some).await.ok().and_then(|r| r.clone());
        found.unwrap_or_else(|| reason(CloseCode::Normal, ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_reason_wins() {
        let c = Closer::default();
        assert!(!c.is_closed());
        assert!(c.close(CloseCode::Other(SLOW_CONSUMER), "slow"));
        assert!(!c.close(CloseCode::Restart, "later"));
        let r = c.clone().closed().await;
        assert_eq!(r.code, CloseCode::Other(SLOW_CONSUMER));
    }
}
