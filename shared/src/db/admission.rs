//! The bounded queue in front of the database: at most as many tasks as the pool has
//! connections hold or wait for one; a task that finds no place within `DB_QUEUE_WAIT_MS` is
//! refused at once with 503 `overloaded` and `Retry-After`, and counted in
//! `chat_requests_shed_total{queue="database"}`.
//!
//! Why: without it an overloaded process queued every request (on the blocking pool, then on
//! the connection pool for up to its 3 s timeout), so *every* answer became slow and the work
//! done for requests whose callers had given up was wasted. Refusing the excess early keeps the
//! latency of what is accepted near the service time and lets clients back off (issue 18,
//! BENCHMARKS.md "overload").

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, ErrorCode, Kind};

/// Seconds a refused caller is told to wait.
const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug)]
pub struct Admission {
    places: Arc<Semaphore>,
    max_wait: Duration,
}

impl Admission {
    pub fn new(places: usize, max_wait: Duration) -> Self {
        Self { places: Arc::new(Semaphore::new(places.max(1))), max_wait }
    }

    /// A place in front of the database, held until the permit drops; waiters are served in
    /// arrival order.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, Error> {
        match tokio::time::timeout(self.max_wait, self.places.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                metrics::counter!(crate::metrics::REQUESTS_SHED, "queue" => "database").increment(1);
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
        let gate = Admission::new(1, Duration::from_millis(20));
        let held = gate.enter().await.expect("the one place");
        let refused = gate.enter().await.expect_err("no place within 20 ms");
        assert_eq!((refused.status(), refused.code, refused.retry_after), (503, ErrorCode::Overloaded, Some(1)));
        drop(held);
        assert!(gate.enter().await.is_ok(), "the place is free again");
    }
}
