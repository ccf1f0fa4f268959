//! `GET /conversations/{id}/messages?around=<seq>`: the history around one message (a search
//! result opened in its chat): up to half the page before it, the message and what follows.

use diesel::PgConnection;
use shared::api::MessageDto;
use shared::ids::{ConversationId, UserId};
use shared::models::message::{Message, Window};
use shared::Error;

use crate::domain::conversations::require_member;
use crate::domain::message_view::decorate;
use crate::domain::messages::{MessagesPage, HISTORY_MAX};
use crate::domain::validate;

/// Ascending by seq: the `limit / 2` messages before `seq` (never what I cleared), then `seq`
/// and the ones after it up to `limit`. `has_more`: older messages exist; `has_more_after`:
/// newer ones do (load them with `after_seq`). A `seq` that is gone (cleared, or past the end)
/// still answers with its neighbours.
pub fn around(
    conn: &mut PgConnection,
    me: UserId,
    conversation_id: ConversationId,
    seq: i64,
    limit: Option<i64>,
) -> Result<MessagesPage, Error> {
    let limit = validate::limit(limit, HISTORY_MAX).map_err(|e| Error::validation(vec![e]))?;
    if seq < 1 {
        return Err(Error::invalid("around", "must be at least 1"));
    }
    let (conversation, member) = require_member(conn, conversation_id, me)?;
    let (before_n, after_n) = (limit / 2, limit - limit / 2);
    let mut before = Message::page(conn, conversation_id, member.cleared_seq, Window::Before(seq), before_n + 1)?;
    let mut after = Message::page(conn, conversation_id, member.cleared_seq, Window::After(seq - 1), after_n + 1)?;
    let has_more = shared::num::len_i64(before.len()) > before_n;
    if has_more {
        before.remove(0);
    }
    let has_more_after = shared::num::len_i64(after.len()) > after_n;
    if has_more_after {
        after.pop();
    }
    before.append(&mut after);
    let mut items: Vec<MessageDto> = before.iter().map(MessageDto::from).collect();
    decorate(conn, &mut items, me)?;
    Ok(MessagesPage {
        items,
        has_more,
        has_more_after: Some(has_more_after),
        change_version: conversation.change_version,
    })
}

/// `around` with another window (`before_seq`, `after_seq`, `changed_since`).
pub fn not_alone() -> Error {
    Error::invalid("around", "give around alone, without before_seq, after_seq or changed_since")
}
