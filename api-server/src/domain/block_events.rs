//! A block or unblock changes what both members of the pair's direct chat may do: both are told
//! (`conversation.updated`, reason `blocked`) so their clients swap the composer for the notice,
//! or back, at once instead of at their next sidebar fetch.

use shared::events::UpdateReason;
use shared::ids::UserId;
use shared::models::conversation::Conversation;
use shared::models::outbox::Outbox;
use shared::Error;

use crate::domain::events;

pub fn tell_direct_chat(conn: &mut Outbox<'_>, me: UserId, other: UserId) -> Result<(), Error> {
    let Some(chat) = Conversation::direct_between(conn, me, other)? else { return Ok(()) };
    let event = events::updated(Some(chat.id), None, UpdateReason::Blocked, None);
    events::to_conversation(conn, &chat, &event)
}
