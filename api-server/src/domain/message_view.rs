//! What a stored message shows besides its row (reactions with my `me` flags, media), and
//! which messages a user may see. Read by sending, history, reactions, reports and search.

use diesel::{OptionalExtension, PgConnection};
use shared::api::MessageDto;
use shared::error::ErrorCode;
use shared::ids::{MessageId, UserId};
use shared::models::conversation::{Conversation, Member};
use shared::models::message::Message;
use shared::models::reaction;
use shared::Error;

use crate::domain::media;

/// What a stored message shows besides its row: reactions (with my `me` flags) and media.
pub fn decorate(conn: &mut PgConnection, items: &mut [MessageDto], me: UserId) -> Result<(), Error> {
    attach_reactions(conn, items, Some(me))?;
    media::attach(conn, items)
}

pub fn message_not_found() -> Error {
    Error::not_found(ErrorCode::MessageNotFound, "no such message")
}

/// The message and its conversation, when I am a member of it (404 otherwise). Inside a
/// transaction, the conversation is held ([`Conversation::hold`]) before membership is read:
/// an edit, deletion or reaction commits wholly before or after a membership change of the
/// group and the other changes and sends of the conversation, and its `message.updated` takes
/// its outbox id in that order. The message is read again under the hold: no other change of
/// it is in flight then, so what the caller checks (deleted?) stays true until it commits.
pub fn visible_message(
    conn: &mut PgConnection,
    me: UserId,
    message_id: MessageId,
) -> Result<(Message, Conversation), Error> {
    let found = Message::find(conn, message_id).optional()?.ok_or_else(message_not_found)?;
    Conversation::hold(conn, found.conversation_id)?.ok_or_else(message_not_found)?;
    let message = Message::find(conn, message_id).optional()?.ok_or_else(message_not_found)?;
    let (conversation, member) =
        Member::find_with_conversation(conn, message.conversation_id, me)?.ok_or_else(message_not_found)?;
    if message.seq <= member.cleared_seq {
        return Err(message_not_found());
    }
    Ok((message, conversation))
}

/// Fills `reactions` of these messages (`viewer` sets the `me` flags; None for events).
pub fn attach_reactions(
    conn: &mut PgConnection,
    messages: &mut [MessageDto],
    viewer: Option<UserId>,
) -> Result<(), Error> {
    let ids: Vec<MessageId> = messages.iter().map(|m| m.id).collect();
    let mut found = reaction::for_messages(conn, &ids, viewer)?;
    for m in messages {
        m.reactions = found.remove(&m.id).unwrap_or_default();
    }
    Ok(())
}

/// The copy of a message announced to the whole conversation: one event serves every member,
/// so it carries no per-viewer `me` flags.
pub fn for_everyone(message: &MessageDto) -> MessageDto {
    let mut copy = message.clone();
    copy.reactions.iter_mut().for_each(|r| r.me = None);
    copy
}
