//! The migrations apply to an empty database, revert completely, and apply again.
#![expect(clippy::expect_used, reason = "test helpers fail the test loudly on a broken setup")]

use diesel::prelude::*;
use shared::testing::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn table_count(conn: &mut PgConnection) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .get_result::<Count>(conn)
    .expect("count tables")
    .n
}

#[test]
fn migrations_apply_to_an_empty_database_and_round_trip() {
    let db = TestDatabase::empty();
    let mut conn = db.connect();
    assert_eq!(table_count(&mut conn), 0);

    let applied = shared::db::run_migrations(&mut conn).expect("up");
    assert!(!applied.is_empty());
    let tables = table_count(&mut conn);
    assert_eq!(
        tables, 23,
        "every table of the data model (email_tokens, oidc_logins, oidc_identities, oidc_codes, group_removals, media_trash, ws_ticket_uses included)"
    );

    shared::db::revert_all_migrations(&mut conn).expect("down");
    assert_eq!(table_count(&mut conn), 0, "down.sql removes everything");

    shared::db::run_migrations(&mut conn).expect("up again");
    assert_eq!(table_count(&mut conn), tables);
    assert!(shared::db::run_migrations(&mut conn).expect("nothing pending").is_empty());
}

#[test]
fn per_test_databases_are_isolated() {
    let a = TestDatabase::new();
    let b = TestDatabase::new();
    assert_ne!(a.name, b.name);
    let mut ca = a.connect();
    diesel::sql_query("INSERT INTO users (username, display_name, password_hash) VALUES ('alice', 'Alice', 'x')")
        .execute(&mut ca)
        .expect("insert");
    let mut cb = b.connect();
    let n = diesel::sql_query("SELECT count(*) AS n FROM users").get_result::<Count>(&mut cb).expect("count").n;
    assert_eq!(n, 0);
}

#[test]
fn schema_constraints_hold() {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    let bad_username =
        diesel::sql_query("INSERT INTO users (username, display_name, password_hash) VALUES ('A B', 'x', 'x')")
            .execute(&mut conn);
    assert!(bad_username.is_err(), "username pattern is enforced by the database too");
    diesel::sql_query("INSERT INTO users (username, display_name, password_hash) VALUES ('bob', 'Bob', 'x')")
        .execute(&mut conn)
        .expect("insert");
    // The unique index is on lower(username); the column check keeps names lower-case anyway.
    let dup =
        diesel::sql_query("INSERT INTO users (username, display_name, password_hash) VALUES ('bob', 'Bob2', 'x')")
            .execute(&mut conn);
    assert!(dup.is_err());
}
