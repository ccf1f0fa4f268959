//! The connection pool against the real PostgreSQL: a connection a query found unusable is
//! dropped, never handed out again.

use diesel::dsl::sql;
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Integer;
use shared::db;
use shared::testing::TestDatabase;

/// Before: diesel's manager counts a connection as broken only by its transaction state, so a
/// connection libpq no longer sends on (a command it never finished; here a row-by-row read
/// left unfinished, in the multihost run a database outage) went back to the pool and failed every query of
/// every later checkout, instantly and forever: a ws node refused all tickets with 503 until
/// it was restarted.
#[test]
fn a_connection_that_cannot_send_a_query_is_replaced_not_handed_out_again() {
    let database = TestDatabase::new();
    let pool = db::build_pool(&database.url, 1);
    {
        // A command libpq never finishes: a row-by-row read stopped after one row, its cursor
        // leaked (not dropped, so nothing drains the rest).
        let mut conn = pool.get().expect("a connection");
        let mut rows = diesel::select(sql::<Integer>("generate_series(1, 100000)"))
            .load_iter::<i32, PgRowByRowLoadingMode>(&mut *conn)
            .expect("the query starts");
        assert_eq!(rows.next().map(|r| r.expect("a row")), Some(1));
        std::mem::forget(rows);
    }
    let select_one = || -> QueryResult<i32> {
        let mut conn = pool.get().expect("a connection");
        diesel::select(1.into_sql::<Integer>()).get_result(&mut *conn)
    };
    let first = select_one();
    assert!(
        matches!(first, Err(DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _))),
        "the stuck connection fails its next query: {first:?}"
    );
    for attempt in 0..3 {
        assert_eq!(select_one().ok(), Some(1), "attempt {attempt}: a new connection answers");
    }
}
