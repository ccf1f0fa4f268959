//! PostgreSQL: the r2d2 pool of diesel connections and the embedded migrations.

pub mod schema;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::admission::Admission;

pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

/// The r2d2 pool (it dereferences to it) and the bounded queue in front of it
/// ([`crate::admission`]), which [`run`] passes through.
#[derive(Clone)]
pub struct PgPool {
    pool: Pool<ConnectionManager<PgConnection>>,
    admission: Arc<Admission>,
}

impl Deref for PgPool {
    type Target = Pool<ConnectionManager<PgConnection>>;
    fn deref(&self) -> &Self::Target {
        &self.pool
    }
}

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Builds the pool without connecting: a server starts (and answers /readyz with the database
/// named as down) while PostgreSQL is away, and recovers by itself when it is back.
/// `queue_wait_ms` bounds the wait of [`run`]'s callers for a place (see [`crate::admission`]).
pub fn build_pool(url: &str, max_size: u32, queue_wait_ms: u64) -> PgPool {
    let pool = Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(3))
        .test_on_check_out(false)
        .build_unchecked(ConnectionManager::<PgConnection>::new(url));
    let admission = Arc::new(Admission::new("database", max_size as usize, Duration::from_millis(queue_wait_ms)));
    PgPool { pool, admission }
}

/// Applies every pending migration; returns the versions applied.
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let applied =
        conn.run_pending_migrations(MIGRATIONS).map_err(|e| anyhow::anyhow!("applying migrations failed: {e}"))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration (tests check that `down.sql` works).
pub fn revert_all_migrations(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.revert_all_migrations(MIGRATIONS).map(|_| ()).map_err(|e| anyhow::anyhow!("reverting migrations failed: {e}"))
}

/// Runs blocking diesel work off the async workers (diesel is synchronous), in the caller's
/// span (its log lines keep the request's fields), once it has a place in the pool's queue
/// (503 `overloaded` when none frees up in time: [`crate::admission`]).
pub async fn run<T, F>(pool: &PgPool, f: F) -> crate::error::Result<T>
where
    F: FnOnce(&mut PgConnection) -> crate::error::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let place = pool.admission.enter().await?;
    let pool = pool.clone();
    crate::telemetry::spawn_blocking(move || {
        let _place = place;
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| crate::error::Error::internal(anyhow::anyhow!("database task panicked: {e}")))?
}
