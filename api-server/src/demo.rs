//! Demo data for a newcomer's first minute (`DEMO_DATA=true`, on in `make run`; refused in
//! production by `shared::config`): a database without users gets alice, bob and carol, a
//! direct chat between alice and bob and the group "Demo group" with a few messages each.
//!
//! *Once*: it runs in one transaction under an advisory lock and only while `users` is empty,
//! so replicas starting together seed once, and a database with any account (even one whose
//! demo users were deleted) is never touched again. Everything goes through the same domain
//! functions as the API (seqs, watermarks, outbox events), so the data is ordinary data.

use diesel::RunQueryDsl;
use shared::models::outbox::Outbox;
use shared::models::user::{NewUser, User};
use shared::{auth, Error};
use uuid::Uuid;

use crate::domain::conversations;
use crate::domain::groups::{self, NewGroup};
use crate::domain::messages::{self, SendInput};
use shared::ids::{ConversationId, GroupId, UserId};

/// The demo users' password (printed by `make run` and in the README; never logged).
pub const PASSWORD: &str = "password123";
pub const USERS: [(&str, &str); 3] = [("alice", "Alice Example"), ("bob", "Bob Example"), ("carol", "Carol Example")];

/// Any number: the key of the transaction-scoped lock that serializes seeding replicas.
const LOCK_KEY: i64 = 0x6465_6d6f;

const DIRECT: [(usize, &str); 3] = [
    (0, "Hi Bob! Welcome to the chat cluster."),
    (1, "Hey Alice, messages arrive in real time here."),
    (0, "Try killing a ws-server replica: nothing gets lost."),
];
const GROUP: [(usize, &str); 3] = [
    (0, "Hello everyone, this is the demo group."),
    (2, "Hi all! Carol here."),
    (1, "Group messages fan out to every member's socket, on whichever replica it is."),
];

/// What was created (None: the database already had users).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub users: Vec<UserId>,
    pub direct_conversation: ConversationId,
    pub group: GroupId,
}

/// Seeds an empty database. `password_hash` is the argon2 hash of [`PASSWORD`] (hashed by the
/// caller off the async workers). Blocking.
pub fn seed_if_empty(conn: &mut Outbox<'_>, password_hash: &str) -> Result<Option<Seeded>, Error> {
    conn.transaction(|conn| {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({LOCK_KEY})")).execute(&mut **conn)?;
        if User::any(conn)? {
            return Ok(None);
        }
        let mut users = Vec::with_capacity(USERS.len());
        for (username, display_name) in USERS {
            let new = NewUser { username, display_name, password_hash, email: None };
            users.push(User::insert(conn, &new)?.id);
        }
        let (direct, _) = conversations::open_direct(conn, users[0], users[1])?;
        for (i, (from, text)) in DIRECT.iter().enumerate() {
            send(conn, users[*from], direct.id, &format!("direct:{i}"), text)?;
        }
        let group = groups::create(
            conn,
            users[0],
            NewGroup { name: "Demo group".into(), description: None, member_ids: users[1..].to_vec() },
        )?;
        let general = group
            .channels
            .first()
            .map(|c| c.id)
            .ok_or_else(|| Error::internal(anyhow::anyhow!("a new group has its general channel")))?;
        for (i, (from, text)) in GROUP.iter().enumerate() {
            send(conn, users[*from], general, &format!("group:{i}"), text)?;
        }
        Ok(Some(Seeded { users, direct_conversation: direct.id, group: group.id }))
    })
}

fn send(
    conn: &mut Outbox<'_>,
    from: UserId,
    conversation_id: ConversationId,
    key: &str,
    text: &str,
) -> Result<(), Error> {
    let input = SendInput {
        // Fixed ids: the same demo message is never stored twice.
        client_id: Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("chat-demo:{key}").as_bytes()),
        kind: "text".into(),
        body: text.into(),
        reply_to_id: None,
        attachment_id: None,
    };
    messages::send(conn, from, conversation_id, input).map(|_| ())
}

/// The hash of [`PASSWORD`], made on the blocking pool (argon2 takes ~0.1 s).
pub async fn password_hash() -> Result<String, Error> {
    shared::telemetry::spawn_blocking(|| auth::hash_password(PASSWORD))
        .await
        .map_err(|e| Error::internal(anyhow::anyhow!("hash task: {e}")))?
        .map_err(Error::internal)
}
