//! The stepped search (the newest messages first, in growing ranges of ids) answers exactly
//! what the plain GIN plan answers, for frequent, medium and rare words, with filters and
//! cursors, when the ranges are far smaller than the table.
#![expect(clippy::cast_possible_wrap, clippy::cast_possible_truncation, reason = "counts in tests are small")]

use diesel::prelude::*;
use shared::ids::{ConversationId, UserId};
use shared::models::search::{
    all_matching_ids, explain_all_matching, matching_ids_stepped, Filters, Has, SearchQuery, Steps,
};
use shared::testing::{exec, TestDatabase};

#[test]
fn stepped_search_matches_the_gin_plan_exactly() {
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
    for text in
        ["often", "sometimes", "rarely", "often sometimes", "often -sometimes", "nothing", "some", "rarely or often"]
    {
        let q = &SearchQuery::compile(&mut conn, text).expect("compile").expect("a word to find");
        for (first_range, few_matches) in [(1, 0), (3, 0), (8, 0), (30, 0), (1000, 0), (3, 1_000_000), (8, 20)] {
            let steps = Steps { first_range, few_matches };
            for limit in [1, 5, 21] {
                for conversation_id in [None, Some(ConversationId(1)), Some(ConversationId(3))] {
                    let mut f = Filters { conversation_id, ..Filters::default() };
                    // Walk every page with the cursor, comparing each.
                    loop {
                        let fast = matching_ids_stepped(&mut conn, UserId(1), q, &f, limit, steps).expect("stepped");
                        let plain = all_matching_ids(&mut conn, UserId(1), q, &f, limit).expect("gin");
                        assert_eq!(
                            fast, plain,
                            "{text:?} {steps:?} limit {limit} chat {conversation_id:?} before {:?}",
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

/// A database with one direct chat (1) between the reader (1) and the writer (2).
fn reader_and_writer() -> (TestDatabase, PgConnection) {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    exec(&mut conn, "INSERT INTO users (id, username, display_name, password_hash) VALUES (1, 'reader', 'R', 'x'), (2, 'writer', 'W', 'x')");
    exec(&mut conn, "INSERT INTO conversations (id, kind, direct_low, direct_high) VALUES (1, 'direct', 1, 2)");
    exec(&mut conn, "INSERT INTO conversation_members (conversation_id, user_id) VALUES (1, 1), (1, 2)");
    (db, conn)
}

/// Rows of `messages` each plan reads, from `EXPLAIN ANALYZE`: a query with a word to find reads
/// about its matches; one of only excluded words (refused by the API) reads every message.
#[test]
fn a_query_with_a_word_to_find_reads_only_its_matches() {
    let (_db, mut conn) = reader_and_writer();
    exec(
        &mut conn,
        "INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body) \
         SELECT 1, i, 2, gen_random_uuid(), 'text', CASE WHEN i % 1000 = 0 THEN 'common rare' ELSE 'common words' END \
         FROM generate_series(1, 5000) i",
    );
    // VACUUM as autovacuum would: it moves the fresh rows from the GIN index's pending list
    // into the index (with 5,000 rows all pending, the planner rightly prefers a sequential
    // scan, which says nothing about the plan on a real table).
    exec(&mut conn, "VACUUM ANALYZE messages");
    let rare = SearchQuery::compile(&mut conn, "rare -words").expect("compile").expect("a word to find");
    assert_eq!(SearchQuery::compile(&mut conn, "-zz").expect("compile"), None, "nothing to find");
    let read = |conn: &mut PgConnection, q: &SearchQuery| -> i64 {
        let plans = explain_all_matching(conn, UserId(1), q, &Filters::default(), 51).expect("explain");
        messages_rows_read(&plans)
    };
    assert_eq!(all_matching_ids(&mut conn, UserId(1), &rare, &Filters::default(), 51).expect("search").len(), 5);
    let bounded = read(&mut conn, &rare);
    assert!(bounded <= 5, "a word to find reads its 5 matches, read {bounded}");
    // What the API refuses to run: a query of excluded words only (built here by hand).
    let only_excluded = SearchQuery::compile(&mut conn, "zz").expect("compile").expect("a word").negated_for_tests();
    let unbounded = read(&mut conn, &only_excluded);
    assert!(unbounded >= 5000, "only an excluded word reads everything ({unbounded}): why the API refuses it");
}

/// `has=links` is answered by the GIN index (the `has link` lexeme of a document with a link):
/// it reads the rows with both the word and a link, not every row with the word. Nobody can
/// type the lexeme, and an edit that removes the link removes it.
#[test]
fn links_come_from_the_index_and_no_typed_word_is_the_marker() {
    let (_db, mut conn) = reader_and_writer();
    // 3,000 with the word, 30 of them with a link; 'has link' written out in 10 without one.
    exec(
        &mut conn,
        "INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body) \
         SELECT 1, i, 2, gen_random_uuid(), 'text', \
                CASE WHEN i % 100 = 0 THEN 'common see https://example.com/' || i \
                     WHEN i % 300 = 1 THEN 'common has link' ELSE 'common words' END \
         FROM generate_series(1, 3000) i",
    );
    exec(&mut conn, "VACUUM ANALYZE messages");
    let common = SearchQuery::compile(&mut conn, "common").expect("compile").expect("a word to find");
    let links = Filters { has: Some(Has::Links), ..Filters::default() };
    assert_eq!(all_matching_ids(&mut conn, UserId(1), &common, &links, 100).expect("search").len(), 30);
    let plans = explain_all_matching(&mut conn, UserId(1), &common, &links, 100).expect("explain");
    let read = messages_rows_read(&plans);
    assert!(read <= 30, "has=links reads the 30 rows with a link, read {read}");
    // The words 'has link' typed: the 10 that say so, no message with a link.
    let typed = SearchQuery::compile(&mut conn, "\"has link\"").expect("compile").expect("words");
    assert_eq!(all_matching_ids(&mut conn, UserId(1), &typed, &Filters::default(), 100).expect("search").len(), 10);
    // An edit that removes the link removes the marker.
    exec(&mut conn, "UPDATE messages SET body = 'common no more' WHERE seq = 100");
    assert_eq!(all_matching_ids(&mut conn, UserId(1), &common, &links, 100).expect("search").len(), 29);
}

/// Rows of every scan node on `messages` (with their loops) in an `EXPLAIN (ANALYZE, FORMAT JSON)`.
fn messages_rows_read(plan: &serde_json::Value) -> i64 {
    let own = if plan["Relation Name"] == "messages" {
        plan["Actual Rows"].as_f64().unwrap_or(0.0) as i64 * plan["Actual Loops"].as_i64().unwrap_or(1)
            + plan["Rows Removed by Filter"].as_i64().unwrap_or(0)
            + plan["Rows Removed by Index Recheck"].as_i64().unwrap_or(0)
    } else {
        0
    };
    let children: i64 = match (plan.as_array(), plan["Plans"].as_array(), plan.get("Plan")) {
        (Some(list), _, _) => list.iter().map(messages_rows_read).sum(),
        (_, _, Some(root)) => messages_rows_read(root),
        (_, Some(list), _) => list.iter().map(messages_rows_read).sum(),
        _ => 0,
    };
    own + children
}

#[derive(QueryableByName)]
struct Same {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rows: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    same: i64,
}

/// The document the trigger writes on insert and on edit is the one the search was built for:
/// words as written plus English stems, the file name whole and split at punctuation, and the
/// `has link` marker. Spelled out here without the functions, so a rewrite of them (migration
/// `000520_search_document_plpgsql`) cannot change what is found.
#[test]
fn the_trigger_writes_the_document_the_search_expects() {
    let (_db, mut conn) = reader_and_writer();
    exec(
        &mut conn,
        "INSERT INTO attachments (id, owner_id, content_type, size, storage_key, file_name) \
         VALUES (1, 2, 'application/pdf', 10, 'k1', 'Q3-budget_final.pdf')",
    );
    exec(
        &mut conn,
        "INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body, attachment_id) VALUES \
         (1, 1, 2, gen_random_uuid(), 'text', 'Meetings moved, see https://example.com/x', NULL), \
         (1, 2, 2, gen_random_uuid(), 'file', '', 1), \
         (1, 3, 2, gen_random_uuid(), 'file', 'the running numbers www.example.org', 1), \
         (1, 4, 2, gen_random_uuid(), 'text', 'has link, but no link', NULL)",
    );
    exec(&mut conn, "UPDATE messages SET body = 'edited: http://a.example and Café' WHERE seq = 4");
    let same: Same = diesel::sql_query(
        "SELECT count(*) AS rows, count(*) FILTER (WHERE m.search_tsv = \
             to_tsvector('simple', d.d) || to_tsvector('english', d.d) \
             || CASE WHEN m.body ~* '(https?://|www\\.)[^[:space:]]' THEN $$'has link'$$::tsvector ELSE ''::tsvector END \
         ) AS same \
         FROM messages m LEFT JOIN attachments a ON a.id = m.attachment_id, \
         LATERAL (SELECT concat_ws(' ', m.body, a.file_name, regexp_replace(a.file_name, '[[:punct:]]+', ' ', 'g')) AS d) d",
    )
    .get_result(&mut conn)
    .expect("compare documents");
    assert_eq!((same.rows, same.same), (4, 4), "every stored document is the expected one");
}

#[derive(QueryableByName)]
struct Language {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    language: String,
}

/// The functions every stored message runs through (the `messages_search_tsv` trigger) are
/// PL/pgSQL. A SQL-language function that PostgreSQL cannot inline is read from the catalog,
/// parsed and planned again in each transaction that fires the trigger: measured at ~0.2 ms of
/// database CPU per message, a fifth of a send's (BENCHMARKS.md, "Change 5").
#[test]
fn the_functions_every_stored_message_runs_keep_their_plans() {
    let (_db, mut conn) = reader_and_writer();
    let languages: Vec<Language> = diesel::sql_query(
        "SELECT p.proname::text AS name, l.lanname::text AS language FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang \
         WHERE p.proname IN ('messages_search_tsv', 'chat_search_document', 'chat_attachment_file_name') ORDER BY 1",
    )
    .load(&mut conn)
    .expect("read pg_proc");
    let found: Vec<(String, String)> = languages.into_iter().map(|l| (l.name, l.language)).collect();
    let plpgsql = |name: &str| (name.to_owned(), "plpgsql".to_owned());
    assert_eq!(
        found,
        vec![plpgsql("chat_attachment_file_name"), plpgsql("chat_search_document"), plpgsql("messages_search_tsv")]
    );
}
