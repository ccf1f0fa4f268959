//! Where an event goes: outbox rows with the design's routing keys. The only place that picks
//! routing keys for outbox rows. Call only inside the transaction of the change the event
//! announces (an [`Outbox`] handle: only `AppState::write` hands one out).

use shared::events::{ConversationUpdated, Event, RoutingKey, UpdateReason, UserUpdated};
use shared::ids::{ConversationId, GroupId, UserId};
use shared::models::conversation::Conversation;
use shared::models::outbox::{enqueue, Outbox};
use shared::models::user::User;
use shared::Error;

/// To every member of a conversation: a direct chat is `user.<low>` with CC `user.<high>` (one
/// publish reaches both), a channel is `group.<gid>`.
pub fn to_conversation(conn: &mut Outbox<'_>, conversation: &Conversation, event: &Event) -> Result<(), Error> {
    match (conversation.direct_low, conversation.direct_high, conversation.group_id) {
        (Some(low), Some(high), _) => enqueue(conn, RoutingKey::User(low), &[RoutingKey::User(high)], event)?,
        (_, _, Some(group_id)) => enqueue(conn, RoutingKey::Group(group_id), &[], event)?,
        _ => {
            return Err(Error::internal(anyhow::anyhow!("conversation {} has no members to route to", conversation.id)))
        }
    }
    Ok(())
}

pub fn to_user(conn: &mut Outbox<'_>, user_id: UserId, event: &Event) -> Result<(), Error> {
    enqueue(conn, RoutingKey::User(user_id), &[], event)?;
    Ok(())
}

pub fn to_group(conn: &mut Outbox<'_>, group_id: GroupId, event: &Event) -> Result<(), Error> {
    enqueue(conn, RoutingKey::Group(group_id), &[], event)?;
    Ok(())
}

/// To every ws node (each binds `presence.*`): a change of who may see `user_id`'s presence
/// or reads.
pub fn to_presence_watchers(conn: &mut Outbox<'_>, user_id: UserId, event: &Event) -> Result<(), Error> {
    enqueue(conn, RoutingKey::Presence(user_id), &[], event)?;
    Ok(())
}

pub fn updated(
    conversation_id: Option<ConversationId>,
    group_id: Option<GroupId>,
    reason: UpdateReason,
    user_id: Option<UserId>,
) -> Event {
    Event::ConversationUpdated(ConversationUpdated { conversation_id, group_id, reason, user_id })
}

/// A group membership change: the member concerned hears it on `user.<uid>` (so their ws nodes
/// bind or unbind `group.<gid>`), everyone else on `group.<gid>`.
pub fn membership_changed(
    conn: &mut Outbox<'_>,
    group_id: GroupId,
    user_id: UserId,
    reason: UpdateReason,
) -> Result<(), Error> {
    let event = updated(None, Some(group_id), reason, Some(user_id));
    to_user(conn, user_id, &event)?;
    to_group(conn, group_id, &event)
}

/// Most routing keys one outbox row carries (its own and the `CC` list): a user with many
/// contacts and groups gets several rows.
const KEYS_PER_ROW: usize = 200;

/// `user.updated` with what others see of `user`, to everyone who should hear of it.
pub fn user_updated(conn: &mut Outbox<'_>, user: &User) -> Result<(), Error> {
    let event = Event::UserUpdated(UserUpdated {
        user_id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        bio: user.bio.clone(),
        avatar_id: user.avatar_id,
        status_text: user.status_text.clone(),
        status_emoji: user.status_emoji.clone(),
    });
    to_profile_audience(conn, user.id, &event)
}

/// `user.updated` (or any event about `user_id` for the same people): to the user's own
/// sessions, contacts either way, direct-chat peers (`user.<id>` keys) and groups
/// (`group.<gid>`). A ws node delivers one publish once per session whatever the number of
/// keys that match it.
pub fn to_profile_audience(conn: &mut Outbox<'_>, user_id: UserId, event: &Event) -> Result<(), Error> {
    let audience = User::profile_audience(conn, user_id)?;
    let keys: Vec<RoutingKey> = std::iter::once(RoutingKey::User(user_id))
        .chain(audience.users.into_iter().map(RoutingKey::User))
        .chain(audience.groups.into_iter().map(RoutingKey::Group))
        .collect();
    for row in keys.chunks(KEYS_PER_ROW) {
        if let Some((first, cc)) = row.split_first() {
            enqueue(conn, *first, cc, event)?;
        }
    }
    Ok(())
}
