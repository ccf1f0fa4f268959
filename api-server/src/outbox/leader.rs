//! Relay leadership: a session-level advisory lock held on a PostgreSQL connection of its own.
//!
//! The lock lives as long as that session: a leader that dies (process killed, connection
//! lost) frees it at once, and a standby's next try takes over. The leader reads and marks
//! outbox rows on the same connection, so a leader whose session is gone fails its next
//! statement and steps down instead of publishing beside its successor.

use std::sync::{Arc, Mutex};

use diesel::sql_types::Bool;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use shared::models::outbox::OutboxRow;

use super::error::RelayError;

/// Names "the outbox relay" among the advisory locks of a database ("outbox" in ASCII).
const RELAY_LOCK: i64 = 0x6f75_7462_6f78;

/// A dedicated connection; leading while it holds the relay lock.
pub struct Session {
    conn: Arc<Mutex<PgConnection>>,
}

impl Session {
    pub async fn open(database_url: String) -> Result<Self, RelayError> {
        let conn = blocking(move || {
            let mut conn = PgConnection::establish(&database_url)?;
            // The pending rows are read through `outbox_pending_idx` in id order, an index scan
            // that marks the entries of deleted rows dead as it passes them, so each is visited
            // once. The planner's statistics of a queue table that empties every few
            // milliseconds are always stale, and it may pick a bitmap or sequential scan
            // instead, which visits every deleted row again on every read until VACUUM. This
            // session runs nothing else.
            diesel::sql_query("SET enable_bitmapscan = off").execute(&mut conn)?;
            diesel::sql_query("SET enable_seqscan = off").execute(&mut conn)?;
            // What this session writes may be lost in a crash without harm: a deleted
            // (published) row comes back and is published again, at least once, and a row set
            // aside is found again. So its commits do not wait for the WAL flush, and each
            // delete is one statement, not a transaction of four (BEGIN, SET LOCAL, DELETE,
            // COMMIT) as when the setting was per transaction.
            diesel::sql_query("SET synchronous_commit = off").execute(&mut conn)?;
            Ok(conn)
        })
        .await?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Takes the relay lock if nobody holds it; `true` when this session leads (again).
    pub async fn try_lead(&self) -> Result<bool, RelayError> {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = Bool)]
            locked: bool,
        }
        self.with(|conn| {
            let row: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
                .bind::<diesel::sql_types::BigInt, _>(RELAY_LOCK)
                .get_result(conn)?;
            Ok(row.locked)
        })
        .await
    }

    pub async fn pending(&self, limit: i64) -> Result<Vec<OutboxRow>, RelayError> {
        self.with(move |conn| Ok(OutboxRow::pending(conn, limit)?)).await
    }

    pub async fn mark_failed(&self, id: i64, failure: String) -> Result<(), RelayError> {
        self.with(move |conn| Ok(OutboxRow::mark_failed(conn, id, &failure).map(drop)?)).await
    }

    pub async fn remove_published(&self, ids: Vec<i64>) -> Result<(), RelayError> {
        self.with(move |conn| Ok(OutboxRow::remove_published(conn, &ids).map(drop)?)).await
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PgConnection) -> Result<T, RelayError> + Send + 'static,
    ) -> Result<T, RelayError> {
        let conn = self.conn.clone();
        blocking(move || {
            // A panic cannot happen while holding it (diesel returns errors); if it did, the
            // connection is still a connection.
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RelayError> + Send + 'static,
) -> Result<T, RelayError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| RelayError::Join(e.to_string()))?
}
