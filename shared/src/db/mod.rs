//! PostgreSQL: the r2d2 pool of diesel connections and the embedded migrations.

pub mod schema;

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Builds the pool without connecting: a server starts (and answers /readyz with the database
/// named as down) while PostgreSQL is away, and recovers by itself when it is back.
pub fn build_pool(url: &str, max_size: u32) -> PgPool {
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(3))
        .test_on_check_out(false)
        .build_unchecked(ConnectionManager::<PgConnection>::new(url))
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
/// span (its log lines keep the request's fields).
pub async fn run<T, F>(pool: &PgPool, f: F) -> crate::error::Result<T>
where
    F: FnOnce(&mut PgConnection) -> crate::error::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    crate::telemetry::spawn_blocking(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| crate::error::Error::internal(anyhow::anyhow!("database task panicked: {e}")))?
}
