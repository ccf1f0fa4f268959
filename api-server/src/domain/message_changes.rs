//! `GET /conversations/{id}/messages?changed_since=v`: the messages of a conversation edited,
//! deleted (by anyone) or re-reacted after change version `v`, for a client that was away and
//! holds the conversation's changes up to `v` (`shared::models::change_version`). New messages
//! are not changes: `after_seq` brings those; a retention deletion is not one either: it moves
//! every member's `cleared_seq`, which the conversation answer carries.

use diesel::PgConnection;
use shared::api::MessageDto;
use shared::models::change_version;
use shared::Error;

use crate::domain::conversations::require_member;
use crate::domain::message_view::decorate;
use crate::domain::messages::{MessagesPage, HISTORY_MAX};
use crate::domain::validate;
use shared::ids::{ConversationId, UserId};

/// Up to `limit` changed messages above `since`, ascending by change version, never what I
/// cleared; `change_version` of the page is where the next call continues.
pub fn since(
    conn: &mut PgConnection,
    me: UserId,
    conversation_id: ConversationId,
    since: i64,
    limit: Option<i64>,
) -> Result<MessagesPage, Error> {
    let limit = validate::limit(limit, HISTORY_MAX).map_err(|e| Error::validation(vec![e]))?;
    if since < 0 {
        return Err(Error::invalid("changed_since", "must not be negative"));
    }
    // Read before the messages: every version up to the conversation's has committed by then
    // (versions commit in order), so the next read sees them all.
    let (conversation, member) = require_member(conn, conversation_id, me)?;
    let mut rows = change_version::changed_since(conn, conversation_id, member.cleared_seq, since, limit + 1)?;
    let has_more = shared::num::len_i64(rows.len()) > limit;
    rows.truncate(shared::num::limit_usize(limit));
    let last = rows.last().map_or(0, |m| m.change_version);
    // A full page continues after its last item; the last page reaches the conversation's
    // version (changes to what I cleared are skipped, not missing).
    let change_version = if has_more { last } else { last.max(conversation.change_version) };
    let mut items: Vec<MessageDto> = rows.iter().map(MessageDto::from).collect();
    decorate(conn, &mut items, me)?;
    Ok(MessagesPage { items, has_more, has_more_after: None, change_version })
}

/// `changed_since` with `before_seq` or `after_seq`.
pub fn not_with_a_window() -> Error {
    Error::invalid("changed_since", "give changed_since, or before_seq / after_seq, not both")
}
