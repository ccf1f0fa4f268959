//! Media nobody needs any more, removed in the background by every api-server (at start and
//! every `MEDIA_SWEEP_MS`): the bytes of uploads whose rows are gone (`media_trash`, filled in
//! the transactions that deleted the rows, e.g. a deleted message's upload) and `.part` files
//! that a crash in the middle of a write left behind.
//!
//! Concurrency: several replicas may sweep at once; each claims trash keys with
//! `FOR UPDATE SKIP LOCKED`, and deleting a file twice is harmless.

use std::time::Duration;

use diesel::{Connection, PgConnection};
use shared::models::media_trash;
use shared::Error;

use crate::media::storage::MediaStore;

/// A `.part` file older than this belongs to no write still going on (a write takes seconds).
pub const PARTIAL_MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// Trash keys handled per transaction.
const BATCH: i64 = 500;

/// Deletes the `.part` files older than [`PARTIAL_MAX_AGE`]. Blocking (file system).
pub fn sweep_partial(store: &dyn MediaStore) -> usize {
    match store.sweep_partial(PARTIAL_MAX_AGE) {
        Ok(n) => {
            if n > 0 {
                tracing::info!(files = n, "media sweep: stale .part files removed");
            }
            n
        }
        Err(e) => {
            tracing::warn!(error = %e, "media sweep: cannot list the media directory");
            0
        }
    }
}

/// Deletes the bytes of every trashed key, then the keys. Returns how many keys.
pub fn empty_trash(conn: &mut PgConnection, store: &dyn MediaStore) -> Result<usize, Error> {
    let mut total = 0;
    loop {
        let done = conn.transaction(|conn| {
            let keys = media_trash::claim(conn, BATCH)?;
            // A key whose file cannot be deleted stays for the next sweep.
            let deleted: Vec<String> = keys
                .into_iter()
                .filter(|key| match store.delete(key) {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!(storage_key = %key, error = %e, "media sweep: file not deleted");
                        false
                    }
                })
                .collect();
            media_trash::remove(conn, &deleted)?;
            Ok::<_, Error>(deleted.len())
        })?;
        total += done;
        if shared::num::len_i64(done) < BATCH {
            return Ok(total);
        }
    }
}
