//! The uploads' own bounded queue. An upload's body is held in memory (up to 25 MiB), so at
//! most [`SLOTS`] are read at once; up to [`WAITING`] more wait at most [`SLOT_WAIT`] for a
//! slot; past that an upload is refused at once with 503 `uploads_busy`. Uploads do not pass
//! the `requests` queue ([`crate::admission`]): a slow upload (a big body on a slow link) or
//! one waiting for a slot would hold one of its places for up to tens of seconds, and enough
//! of them would leave no place for anything else.

use std::sync::Arc;
use std::time::Duration;

use shared::error::{ErrorCode, Kind};
use shared::Error;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Uploads read into memory at once per process.
pub const SLOTS: usize = 4;
/// Uploads waiting for a slot.
pub const WAITING: usize = 32;
/// How long an upload waits for a slot.
pub const SLOT_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct UploadQueue {
    /// `SLOTS + WAITING`: every upload past the declared-size and rate checks holds one.
    places: Arc<Semaphore>,
    slots: Arc<Semaphore>,
}

/// Held while the upload is read and checked.
#[derive(Debug)]
pub struct UploadSlot {
    _place: OwnedSemaphorePermit,
    _slot: OwnedSemaphorePermit,
}

impl Default for UploadQueue {
    fn default() -> Self {
        Self { places: Arc::new(Semaphore::new(SLOTS + WAITING)), slots: Arc::new(Semaphore::new(SLOTS)) }
    }
}

impl UploadQueue {
    pub async fn enter(&self) -> Result<UploadSlot, Error> {
        let Ok(place) = self.places.clone().try_acquire_owned() else {
            return Err(shed());
        };
        match tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => Ok(UploadSlot { _place: place, _slot: slot }),
            _ => Err(shed()),
        }
    }
}

fn shed() -> Error {
    metrics::counter!(shared::metrics::REQUESTS_SHED, "queue" => "uploads").increment(1);
    Error {
        retry_after: Some(5),
        ..Error::new(Kind::Unavailable, ErrorCode::UploadsBusy, "too many uploads at once, retry shortly")
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[tokio::test]
    async fn past_the_slots_and_the_waiting_places_an_upload_is_refused_at_once() {
        let queue = UploadQueue::default();
        let mut held = Vec::new();
        for _ in 0..SLOTS {
            held.push(queue.enter().await.expect("a slot"));
        }
        let mut waiting: Vec<_> = (0..WAITING).map(|_| Box::pin(queue.enter())).collect();
        for w in &mut waiting {
            assert!(w.now_or_never().is_none(), "waits for a slot");
        }
        let started = tokio::time::Instant::now();
        let refused = queue.enter().await.expect_err("no place to wait");
        assert!(started.elapsed() < Duration::from_millis(100), "refused at once");
        assert_eq!((refused.status(), refused.code, refused.retry_after), (503, ErrorCode::UploadsBusy, Some(5)));
        held.pop();
        assert!(waiting.remove(0).await.is_ok(), "the first waiter gets the freed slot");
    }
}
