//! Why a socket closes, and the one-shot signal that tells its task.
//!
//! Close codes sent by this server:
//! 1000 answer to the client's own close · 1003 binary frame · 1008 protocol error ·
//! 1009 frame too large · 1011 internal error while setting up · 1012 server restarting
//! (SIGTERM) · 1013 broker unavailable while setting up (retry) · 4000 heartbeat timeout ·
//! 4001 session revoked (suspension: do not reconnect with the same session) · 4008 slow
//! consumer (outbound queue full, or a write still waiting at the heartbeat deadline; reconnect
//! and catch up through REST).

use std::sync::{Arc, OnceLock};

use actix_ws::{CloseCode, CloseReason};
use tokio::sync::Notify;

pub const SLOW_CONSUMER: u16 = 4008;
pub const HEARTBEAT_TIMEOUT: u16 = 4000;
pub const SESSION_REVOKED: u16 = 4001;

pub fn reason(code: CloseCode, description: &str) -> CloseReason {
    CloseReason { code, description: Some(description.to_owned()) }
}

/// Shared by a socket's task and the hub: the first close reason wins, and every
/// holder can await it. One small allocation per socket (a watch channel was 360 bytes).
#[derive(Clone, Default)]
pub struct Closer(Arc<Closing>);

#[derive(Default)]
struct Closing {
    reason: OnceLock<CloseReason>,
    closed: Notify,
}

impl Closer {
    /// `true` when this call decided the close (later calls keep the first reason).
    pub fn close(&self, code: CloseCode, description: &str) -> bool {
        let decided = self.0.reason.set(reason(code, description)).is_ok();
        if decided {
            self.0.closed.notify_waiters();
        }
        decided
    }

    pub fn is_closed(&self) -> bool {
        self.0.reason.get().is_some()
    }

    /// The reason, once decided.
    pub fn reason(&self) -> Option<CloseReason> {
        self.0.reason.get().cloned()
    }

    pub async fn closed(&self) -> CloseReason {
        loop {
            // Created before the check: `notify_waiters` wakes a `Notified` from its creation on.
            let notified = self.0.closed.notified();
            if let Some(reason) = self.0.reason.get() {
                return reason.clone();
            }
            notified.await;
        }
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

    #[tokio::test]
    async fn every_waiter_hears_the_close() {
        let c = Closer::default();
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                tokio::spawn({
                    let c = c.clone();
                    async move { c.closed().await.code }
                })
            })
            .collect();
        tokio::task::yield_now().await;
        c.close(CloseCode::Away, "bye");
        for w in waiters {
            assert_eq!(w.await.expect("joined"), CloseCode::Away);
        }
    }
}
