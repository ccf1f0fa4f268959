//! Bounded queues that refuse instead of growing: at most `places` callers are inside; a
//! caller that finds no place within `max_wait` is refused at once with 503 `overloaded` and
//! `Retry-After`, and counted in `chat_requests_shed_total{queue=…}`.
//!
//! Two of them guard a process: `requests` (api-server: every `/api/` request, in front of all
//! its work: token check, rate limit, database) and `database` (every [`crate::db::run`]: one
//! place per pooled connection). Without them an overloaded api-server queued every request, on
//! the blocking pool and then for up to 3 s on the connection pool, so every answer became slow
//! together and work was done for callers who had given up. Refusing the excess early keeps the
//! latency of what is accepted near its service time, and clients back off (issue 18,
//! BENCHMARKS.md "overload", OPERATIONS.md "Overload: every queue and its bound").

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, ErrorCode, Kind};

/// Seconds a refused caller is told to wait.
const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug)]
pub struct Admission {
    /// The `queue` label of the shed counter.
    queue: &'static str,
    places: Arc<Semaphore>,
    max_wait: Duration,
}

impl Admission {
    pub fn new(queue: &'static str, places: usize, max_wait: Duration) -> Self {
        Self { queue, places: Arc::new(Semaphore::new(places.max(1))), max_wait }
    }

    /// A place, held until the permit drops; waiters are served in arrival order.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, Error> {
        match tokio::time::timeout(self.max_wait, self.places.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                metrics::counter!(crate::metrics::REQUESTS_SHED, "queue" => self.queue).increment(1);
                Err(overloaded())
            }
        }
    }
}

pub fn overloaded() -> Error {
    Error {
        retry_after: Some(RETRY_AFTER_SECS),
        ..Error::new(Kind::Unavailable, ErrorCode::Overloaded, "the server is overloaded, retry shortly")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_caller_that_finds_no_place_in_time_is_refused_and_the_next_place_is_served() {
        let gate = Admission::new("test", 1, Duration::from_millis(20));
        let held = gate.enter().await.expect("the one place");
        let refused = gate.enter().await.expect_err("no place within 20 ms");
        assert_eq!((refused.status(), refused.code, refused.retry_after), (503, ErrorCode::Overloaded, Some(1)));
        drop(held);
        assert!(gate.enter().await.is_ok(), "the place is free again");
    }
}
