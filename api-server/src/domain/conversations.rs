//! Conversations: access checks, direct chats, the sidebar, and per-user chat management
//! (pin, archive, mute, clear history, delete for me).

use chrono::{DateTime, TimeZone, Utc};
use diesel::PgConnection;
use shared::api::ConversationDto;
use shared::error::ErrorCode;
use shared::events::UpdateReason;
use shared::ids::{ConversationId, UserId};
use shared::models::contact::Block;
use shared::models::conversation::{Conversation, FlagChanges, Member};
use shared::models::outbox::Outbox;
use shared::models::privacy::Approach;
use shared::models::sidebar;
use shared::num::len_i64;
use shared::Error;

use crate::domain::users::{active_user, user_not_found};
use crate::domain::{events, flood, privacy};

pub fn not_found() -> Error {
    Error::not_found(ErrorCode::ConversationNotFound, "no such conversation")
}

/// The conversation and my membership in it; 404 when I am not a member (whether or not it
/// exists: non-members learn nothing).
pub fn require_member(
    conn: &mut PgConnection,
    conversation_id: ConversationId,
    user_id: UserId,
) -> Result<(Conversation, Member), Error> {
    Member::find_with_conversation(conn, conversation_id, user_id)?.ok_or_else(not_found)
}

pub fn blocked() -> Error {
    Error::forbidden(ErrorCode::Blocked, "a block between you and this user prevents direct messages")
}

/// In a direct chat, a block either way stops everything that reaches the other user: sends,
/// edits, reactions (typing: ws-server). Channels are the group's business, not the pair's.
pub fn require_no_block(conn: &mut PgConnection, conversation: &Conversation, me: UserId) -> Result<(), Error> {
    match conversation.peer_of(me) {
        Some(peer) if Block::between(conn, me, peer)? => Err(blocked()),
        _ => Ok(()),
    }
}

/// `POST /conversations/direct`: the one direct chat with `peer`, created when missing.
pub fn open_direct(conn: &mut Outbox<'_>, me: UserId, peer: UserId) -> Result<(ConversationDto, bool), Error> {
    if peer == me {
        return Err(Error::invalid("user_id", "cannot be yourself"));
    }
    conn.transaction(|conn| {
        let user = active_user(conn, peer)?.ok_or_else(user_not_found)?;
        flood::check(conn, me)?;
        if Block::between(conn, me, peer)? {
            return Err(blocked());
        }
        let (conversation, created) = Conversation::direct_get_or_create(conn, me, peer)?;
        if created {
            // Only starting a chat is guarded: an existing one goes on (the insert rolls back).
            privacy::require(conn, &user, me, Approach::DirectMessage)?;
            let event = events::updated(Some(conversation.id), None, UpdateReason::Created, None);
            events::to_conversation(conn, &conversation, &event)?;
        }
        Ok((get(conn, me, conversation.id)?, created))
    })
}

/// One conversation as the sidebar shows it (also when hidden).
pub fn get(conn: &mut PgConnection, me: UserId, conversation_id: ConversationId) -> Result<ConversationDto, Error> {
    sidebar::load(conn, me, Some(conversation_id), 1, 0)?.into_iter().next().ok_or_else(not_found)
}

/// `GET /conversations`: pinned first, then by last activity; `cursor` is an offset.
pub fn list(
    conn: &mut PgConnection,
    me: UserId,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<shared::api::Page<ConversationDto>, Error> {
    let limit = crate::domain::validate::limit(limit, 200).map_err(|e| Error::validation(vec![e]))?;
    let offset = match cursor {
        None => 0,
        Some(c) => {
            c.parse::<i64>().ok().filter(|o| *o >= 0).ok_or_else(|| Error::invalid("cursor", "invalid cursor"))?
        }
    };
    let items = sidebar::load(conn, me, None, limit, offset)?;
    let next_cursor = (len_i64(items.len()) == limit).then(|| (offset + limit).to_string());
    Ok(shared::api::Page { items, next_cursor })
}

/// A per-user chat management action.
#[derive(Debug, Clone, Copy)]
pub enum Flag {
    Pin(bool),
    Archive(bool),
    /// `Some(until)`; `None` unmutes. "Forever" is [`forever`].
    Mute(Option<DateTime<Utc>>),
    /// Messages up to the current seq disappear for me.
    Clear,
    /// Delete the chat for me: history cleared and hidden until a new message arrives.
    Hide,
}

/// Far in the future; PostgreSQL's `infinity` does not map to chrono.
pub fn forever() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).single().unwrap_or_else(Utc::now)
}

pub fn set_flag(
    conn: &mut Outbox<'_>,
    me: UserId,
    conversation_id: ConversationId,
    flag: Flag,
) -> Result<ConversationDto, Error> {
    conn.transaction(|conn| {
        let (conversation, member) = require_member(conn, conversation_id, me)?;
        let now = Some(Utc::now());
        let changes = match flag {
            Flag::Pin(on) => FlagChanges { pinned_at: Some(if on { now } else { None }), ..Default::default() },
            Flag::Archive(on) => FlagChanges { archived_at: Some(if on { now } else { None }), ..Default::default() },
            Flag::Mute(until) => FlagChanges { muted_until: Some(until), ..Default::default() },
            Flag::Clear => FlagChanges { cleared_seq: Some(conversation.last_seq), ..Default::default() },
            Flag::Hide => {
                FlagChanges { cleared_seq: Some(conversation.last_seq), hidden_at: Some(now), ..Default::default() }
            }
        };
        Member::set_flags(conn, conversation_id, me, &changes)?;
        if matches!(flag, Flag::Clear | Flag::Hide) && member.last_read_seq < conversation.last_seq {
            // Nothing stays unread in history I removed.
            Member::advance(conn, conversation_id, me, conversation.last_seq, conversation.last_seq)?;
        }
        // My other devices update their sidebar.
        events::to_user(
            conn,
            me,
            &events::updated(Some(conversation_id), conversation.group_id, UpdateReason::Flags, Some(me)),
        )?;
        get(conn, me, conversation_id)
    })
}
