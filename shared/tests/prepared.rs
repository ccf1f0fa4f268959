//! The statements every send runs are prepared once per connection (`shared::db::prepared`):
//! diesel alone sends its UPDATEs, its INSERTs with an optional column and every `sql_query`
//! unnamed, parsed and planned again on each call.
#![expect(clippy::expect_used, reason = "test helpers fail the test loudly on a broken setup")]

use std::sync::Arc;

use diesel::prelude::*;
use shared::enums::MessageKind;
use shared::events::{Event, RoutingKey};
use shared::ids::{ConversationId, UserId};
use shared::models::conversation::{Conversation, Member};
use shared::models::message::{Message, NewMessage};
use shared::models::outbox::{enqueue, Writer};
use shared::testing::{exec, TestDatabase};

#[derive(QueryableByName)]
struct Statement {
    #[diesel(sql_type = diesel::sql_types::Text)]
    statement: String,
}

/// The session's prepared statements that start with `prefix`.
fn prepared(conn: &mut PgConnection, prefix: &str) -> usize {
    let all: Vec<Statement> = diesel::sql_query("SELECT statement FROM pg_prepared_statements")
        .load(conn)
        .expect("read pg_prepared_statements");
    all.iter().filter(|s| s.statement.starts_with(prefix)).count()
}

fn send(conn: &mut PgConnection, me: UserId, conversation: ConversationId) -> i64 {
    let (seq, at) = Conversation::next_seq(conn, conversation).expect("next seq");
    let new = NewMessage {
        conversation_id: conversation,
        seq,
        sender_id: me,
        client_id: uuid::Uuid::new_v4(),
        kind: MessageKind::Text,
        body: "hello",
        attachment_id: None,
        reply_to_id: None,
        created_at: at,
    };
    Message::insert(conn, &new).expect("insert");
    Member::advance(conn, conversation, me, seq, seq).expect("advance");
    seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sends_statements_are_prepared_once_per_connection() {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    exec(&mut conn, "INSERT INTO users (id, username, display_name, password_hash) VALUES (1, 'alice', 'A', 'x'), (2, 'bob', 'B', 'x')");
    exec(&mut conn, "INSERT INTO conversations (id, kind, direct_low, direct_high) VALUES (1, 'direct', 1, 2)");
    exec(&mut conn, "INSERT INTO conversation_members (conversation_id, user_id) VALUES (1, 1), (1, 2)");

    let (me, conversation) = (UserId(1), ConversationId(1));
    assert_eq!((send(&mut conn, me, conversation), send(&mut conn, me, conversation)), (1, 2), "gap-free seqs");
    for writes in [r#"UPDATE "conversations""#, r#"INSERT INTO "messages""#, r#"UPDATE "conversation_members""#] {
        assert_eq!(prepared(&mut conn, writes), 1, "{writes}… is prepared once for the two sends");
    }

    // The outbox row, through the one handle that may write it.
    let pool = shared::db::build_pool(&db.url, 1, shared::config::DEFAULT_DB_QUEUE_WAIT_MS);
    let writer = Writer::new(pool, Arc::new(tokio::sync::Notify::new()));
    let event = Event::Ready { session_id: "s".into(), heartbeat_ms: 1 };
    let outbox = writer
        .write(move |out| {
            for _ in 0..2 {
                enqueue(out, RoutingKey::User(me), &[], &event)?;
            }
            Ok(prepared(out, r#"INSERT INTO "outbox""#))
        })
        .await
        .expect("enqueue");
    assert_eq!(outbox, 1, "the outbox insert is prepared once for the two rows");
}
