//! PostgreSQL: the r2d2 pool of diesel connections and the embedded migrations.
//!
//! The pool's manager ([`Manager`]) is diesel's, plus one rule: a connection on which a query
//! failed because the connection itself is unusable (diesel's `ClosedConnection` or
//! `UnableToSendCommand`) goes back to the pool as broken and is dropped, so the next checkout
//! opens a new one. diesel alone marks a connection broken only through its transaction state,
//! which it does not update when a query fails while its statement is being prepared: after the
//! server side of a pooled connection went away, the first query on it failed in that step, the
//! connection went back to the pool, and since the statement was never cached every later
//! checkout prepared it again and libpq refused at once ("no connection to the server"),
//! forever (a multihost ws node refused every ticket with 503 `database_unavailable` for
//! minutes after its database came back: issue 20; `shared/tests/db_pool.rs`).

pub mod prepared;
pub mod schema;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::admission::Admission;

pub type PgConn = PooledConnection<Manager>;

/// The r2d2 pool (it dereferences to it) and the bounded queue in front of it
/// ([`crate::admission`]), which [`run`] passes through.
#[derive(Clone)]
pub struct PgPool {
    pool: Pool<Manager>,
    admission: Arc<Admission>,
}

impl Deref for PgPool {
    type Target = Pool<Manager>;
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
        .build_unchecked(Manager(ConnectionManager::new(url)));
    let admission = Arc::new(Admission::new("database", max_size as usize, Duration::from_millis(queue_wait_ms)));
    PgPool { pool, admission }
}

/// diesel's connection manager, which also drops connections a query found unusable.
#[derive(Debug)]
pub struct Manager(ConnectionManager<PgConnection>);

impl ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgConnection, Self::Error> {
        let mut conn = self.0.connect()?;
        conn.set_instrumentation(Health::default());
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), Self::Error> {
        self.0.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        self.0.has_broken(conn) || conn.instrumentation().downcast_ref::<Health>().is_some_and(|h| h.unusable)
    }
}

/// What a connection's queries said about the connection: set once one failed because the
/// connection cannot be used any more.
#[derive(Debug, Default)]
struct Health {
    unusable: bool,
}

impl Instrumentation for Health {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { error: Some(error), .. } = event {
            if matches!(
                error,
                DieselError::DatabaseError(
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                    _
                )
            ) {
                self.unusable = true;
            }
        }
    }
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
