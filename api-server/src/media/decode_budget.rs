//! The memory image decoding may use in one process, shared by every concurrent upload.
//!
//! Each decode first reserves what its canvas needs (read from the image header, see
//! `images::decode_need`) and holds it until the decode is done; the decoder is limited to what
//! was reserved. Several large images therefore wait for each other instead of decoding side by
//! side, and the process's decode memory stays under the budget whatever arrives at once.
//!
//! Backpressure: a reservation waits up to the caller's timeout (then the upload is answered
//! 503 `uploads_busy`); one larger than the whole budget can never succeed and is refused.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const MIB: u64 = 1024 * 1024;

pub struct DecodeBudget {
    /// One permit per MiB.
    permits: Arc<Semaphore>,
    total_mib: u32,
}

/// Memory reserved for one decode; released on drop.
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
    /// What the decoder may allocate.
    pub bytes: u64,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error("decoding needs {need_mib} MiB, more than the {total_mib} MiB this server decodes at once")]
    TooLarge { need_mib: u64, total_mib: u32 },
    #[error("the decode memory stayed busy")]
    Busy,
}

impl DecodeBudget {
    pub fn new(total_mib: u64) -> Self {
        let total_mib = u32::try_from(total_mib.clamp(1, u64::from(u32::MAX >> 4))).unwrap_or(1);
        Self { permits: Arc::new(Semaphore::new(total_mib as usize)), total_mib }
    }

    /// Reserves `bytes` (rounded up to whole MiB), waiting up to `wait` for others to finish.
    pub async fn reserve(&self, bytes: u64, wait: Duration) -> Result<Reservation, BudgetError> {
        let need_mib = bytes.div_ceil(MIB).max(1);
        if need_mib > u64::from(self.total_mib) {
            return Err(BudgetError::TooLarge { need_mib, total_mib: self.total_mib });
        }
        let permits = self.permits.clone().acquire_many_owned(u32::try_from(need_mib).unwrap_or(self.total_mib));
        match tokio::time::timeout(wait, permits).await {
            Ok(Ok(permit)) => Ok(Reservation { _permit: permit, bytes: need_mib * MIB }),
            _ => Err(BudgetError::Busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn decodes_wait_for_each_other_within_the_budget() {
        let budget = DecodeBudget::new(8);
        let first = budget.reserve(6 * MIB, Duration::from_millis(10)).await.expect("fits");
        assert_eq!(first.bytes, 6 * MIB);
        let small = budget.reserve(MIB + 1, Duration::from_millis(10)).await.expect("2 MiB left");
        assert_eq!(small.bytes, 2 * MIB);
        assert_eq!(budget.reserve(MIB, Duration::from_millis(50)).await.err(), Some(BudgetError::Busy));
        drop(first);
        assert!(budget.reserve(6 * MIB, Duration::from_millis(50)).await.is_ok(), "released on drop");
        assert_eq!(
            budget.reserve(9 * MIB, Duration::from_secs(5)).await.err(),
            Some(BudgetError::TooLarge { need_mib: 9, total_mib: 8 }),
            "never fits: refused at once"
        );
    }
}
