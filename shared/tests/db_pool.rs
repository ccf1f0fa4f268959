//! The connection pool against the real PostgreSQL: a connection a query found unusable is
//! dropped, never handed out again.

use diesel::prelude::*;
use diesel::sql_types::Integer;
use shared::db;
use shared::testing::{host_port, TcpProxy, TestDatabase};

/// Before: after the server side of a pooled connection went away (the multihost database
/// door restarted), the first query on it failed while preparing its statement, and diesel
/// does not mark a connection broken for an error there (only for errors that leave its
/// transaction state broken). The connection went back to the pool, libpq refused every
/// later prepare on it at once ("no connection to the server"), and the statement was never
/// cached, so the same query failed on every checkout, instantly, until the process
/// restarted: a ws node refused every ticket with 503 `database_unavailable` for minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_whose_server_went_away_is_replaced_not_handed_out_again() {
    let database = TestDatabase::new();
    let upstream = host_port(&database.url, "127.0.0.1:5432");
    let proxy = TcpProxy::start(upstream.clone()).await;
    let url = database.url.replacen(&upstream, &format!("127.0.0.1:{}", proxy.port), 1);
    let sep = if url.contains('?') { '&' } else { '?' };
    let pool = db::build_pool(&format!("{url}{sep}sslmode=disable"), 1, shared::config::DEFAULT_DB_QUEUE_WAIT_MS);

    // The pool's one connection, up (a plain statement: nothing prepared on it yet).
    let p = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = p.get().expect("a connection");
        diesel::sql_query("SELECT 1").execute(&mut *conn).expect("the database answers");
    })
    .await
    .expect("blocking");

    // The server side goes away and comes back; the pooled connection is now dead.
    proxy.set_up(false);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    proxy.set_up(true);

    let p = pool.clone();
    let answers: Vec<Result<i32, String>> = tokio::task::spawn_blocking(move || {
        (0..4)
            .map(|_| {
                let mut conn = p.get().map_err(|e| e.to_string())?;
                diesel::select(1.into_sql::<Integer>()).get_result::<i32>(&mut *conn).map_err(|e| e.to_string())
            })
            .collect()
    })
    .await
    .expect("blocking");
    assert!(answers[0].is_err(), "the dead connection fails its first query: {answers:?}");
    assert!(answers[1..].iter().all(|a| a == &Ok(1)), "then a new connection answers every query: {answers:?}");
}
