//! The two-plan search answers exactly what the plain GIN plan answers, for frequent, medium
//! and rare words, with filters and cursors, when windows are far smaller than conversations.

use diesel::prelude::*;
use shared::models::search::{all_matching_ids, matching_ids_windowed, Filters};
use shared::testing::TestDatabase;

fn exec(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[test]
fn windowed_search_matches_the_gin_plan_exactly() {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    exec(&mut conn, "INSERT INTO users (id, username, display_name, password_hash) SELECT i, 'user' || i, 'U', 'x' FROM generate_series(1, 5) i");
    // Me (1) in chats with 2, 3, 4; one chat (4-5) without me; chat 3 cleared up to seq 10.
    exec(
        &mut conn,
        "INSERT INTO conversations (id, kind, direct_low, direct_high) VALUES (1, 'direct', 1, 2), (2, 'direct', 1, 3), (3, 'direct', 1, 4), (4, 'direct', 4, 5)",
    );
    exec(
        &mut conn,
        "INSERT INTO conversation_members (conversation_id, user_id, cleared_seq) VALUES \
         (1, 1, 0), (1, 2, 0), (2, 1, 0), (2, 3, 0), (3, 1, 10), (3, 4, 0), (4, 4, 0), (4, 5, 0)",
    );
    // 240 messages interleaved over the chats, uneven in time: chat 1 gets the newest burst.
    // 'often' in every 2nd message, 'sometimes' in every 7th, 'rarely' in every 37th.
    exec(
        &mut conn,
        "INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body, deleted_at, created_at) \
         SELECT c, row_number() OVER (PARTITION BY c ORDER BY i), CASE WHEN c = 4 THEN 4 ELSE 1 END, gen_random_uuid(), 'text', \
                concat_ws(' ', 'msg', i, CASE WHEN i % 2 = 0 THEN 'often' END, CASE WHEN i % 7 = 0 THEN 'sometimes' END, \
                          CASE WHEN i % 37 = 0 THEN 'rarely' END), \
                CASE WHEN i % 11 = 0 THEN now() END, now() - (240 - i) * interval '1 minute' \
         FROM (SELECT i, CASE WHEN i > 200 THEN 1 ELSE 1 + i % 4 END AS c FROM generate_series(1, 240) i) x \
         ORDER BY i",
    );
    let mut checked = 0;
    for q in ["often", "sometimes", "rarely", "often sometimes", "often -sometimes", "nothing"] {
        for window in [3, 8, 30, 1000] {
            for limit in [1, 5, 21] {
                for conversation_id in [None, Some(1), Some(3)] {
                    let mut f = Filters { conversation_id, ..Filters::default() };
                    // Walk every page with the cursor, comparing each.
                    loop {
                        let fast = matching_ids_windowed(&mut conn, 1, q, &f, limit, window).expect("windowed");
                        let plain = all_matching_ids(&mut conn, 1, q, &f, limit).expect("gin");
                        assert_eq!(
                            fast, plain,
                            "{q:?} window {window} limit {limit} chat {conversation_id:?} before {:?}",
                            f.before_id
                        );
                        checked += 1;
                        match fast.last() {
                            Some(&last) if fast.len() as i64 == limit => f.before_id = Some(last),
                            _ => break,
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} pages compared");
}
