//! Emoji reactions on messages: add / remove mine, aggregated per emoji, pushed to the
//! conversation as `message.updated`.

use shared::api::MessageDto;
use shared::error::ErrorCode;
use shared::events::Event;
use shared::ids::{MessageId, UserId};
use shared::models::outbox::Outbox;
use shared::models::{change_version, reaction};
use shared::Error;

use crate::domain::message_view::{decorate, for_everyone, visible_message};
use crate::domain::{conversations, events, validate};

/// Distinct emoji one message may carry.
pub const MAX_EMOJI_PER_MESSAGE: usize = 20;

/// Adds (`on`) or removes my `emoji` on a message I can see; idempotent. Returns the message
/// with its reactions (with my `me` flags); announces a change to the conversation.
pub fn react(
    conn: &mut Outbox<'_>,
    me: UserId,
    message_id: MessageId,
    emoji: &str,
    on: bool,
) -> Result<MessageDto, Error> {
    validate::emoji("emoji", emoji).map_err(|e| Error::validation(vec![e]))?;
    conn.transaction(|conn| {
        let (message, conversation) = visible_message(conn, me, message_id)?;
        if message.deleted_at.is_some() {
            return Err(Error::conflict(ErrorCode::MessageDeleted, "a deleted message takes no reactions"));
        }
        let changed = if on {
            conversations::require_no_block(conn, &conversation, me)?;
            let (present, distinct) = reaction::emoji_in_use(conn, message_id, emoji)?;
            if !present && distinct >= MAX_EMOJI_PER_MESSAGE {
                return Err(Error::invalid("emoji", "this message carries the most different reactions allowed (20)"));
            }
            reaction::add(conn, message_id, me, emoji)?
        } else {
            reaction::remove(conn, message_id, me, emoji)?
        };
        let mut dto = MessageDto::from(&message);
        if changed {
            dto.change_version = change_version::record(conn, &message)?;
        }
        decorate(conn, std::slice::from_mut(&mut dto), me)?;
        if changed {
            events::to_conversation(conn, &conversation, &Event::MessageUpdated(for_everyone(&dto)))?;
        }
        Ok(dto)
    })
}
