//! Change versions: how a client that was away learns what changed in the messages it holds.
//!
//! `conversations.change_version` counts the changes to a conversation's existing messages (an
//! edit, a deletion by anyone, a reaction added or removed); each change stamps its message with
//! the new value (`messages.change_version`, 0 = never changed), so "what changed since `v`" is
//! the messages stamped above `v`. A message changed twice shows once, with its latest state.
//!
//! Concurrency model: the counter is bumped by an UPDATE of the conversation row, whose lock is
//! held until commit, so the versions of one conversation commit in version order: a reader
//! that sees version `v` sees every version below it, and a client may move its watermark to
//! the highest version an answer reflects without skipping one that commits later (numbers
//! from a sequence would not do: taken in one order, they commit in another). Lock order:
//! the conversation row before the message row, as a send (see `api-server`'s
//! `domain::messages`).

use diesel::prelude::*;

use crate::db::schema::{conversations, messages};
use crate::ids::ConversationId;
use crate::models::message::Message;

/// Bumps the message's conversation's change version and stamps the message with it; returns
/// the new version. Call inside the transaction of the change, before the message's row is
/// changed (the conversation row is locked first, as by a send).
pub fn record(conn: &mut PgConnection, message: &Message) -> QueryResult<i64> {
    let version: i64 = diesel::update(conversations::table.find(message.conversation_id))
        .set(conversations::change_version.eq(conversations::change_version + 1))
        .returning(conversations::change_version)
        .get_result(conn)?;
    diesel::update(messages::table.find(message.id)).set(messages::change_version.eq(version)).execute(conn)?;
    Ok(version)
}

/// Up to `limit` messages of a conversation changed after version `since` and above
/// `cleared_seq` (tombstones included), ascending by change version.
pub fn changed_since(
    conn: &mut PgConnection,
    conversation_id: ConversationId,
    cleared_seq: i64,
    since: i64,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    messages::table
        .filter(messages::conversation_id.eq(conversation_id))
        .filter(messages::change_version.gt(since))
        // The partial index's own predicate, as a literal: a bound `$since` does not prove it
        // to a generic plan.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("messages.change_version > 0"))
        .filter(messages::seq.gt(cleared_seq))
        .order(messages::change_version.asc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)
}
