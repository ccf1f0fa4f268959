//! Typing indicators: checked, rate-limited, published ephemerally to the other members
//! (`user.<peer>` for a direct chat, `group.<gid>` for a channel). Receivers expire them after
//! 5 s; the hub never delivers one to the typing user's own sessions.

use std::time::Instant;

use shared::events::{Event, RoutingKey, TypingEvent};
use shared::models::conversation::ConversationRoute;

use crate::membership;
use crate::state::AppState;
use shared::ids::{ConversationId, GroupId, UserId};

#[derive(Debug, thiserror::Error)]
pub enum TypingError {
    #[error("you are not a member of conversation {0}")]
    NotMember(ConversationId),
    #[error("a block between you and this user prevents typing in conversation {0}")]
    Blocked(ConversationId),
    #[error("cannot check the conversation: {0}")]
    Database(#[from] shared::Error),
    #[error("typing not published: {0}")]
    Publish(#[from] crate::publisher::PublishError),
}

/// Token bucket: `per_second` events per second, bursts of the same size.
#[derive(Debug)]
pub struct RateLimit {
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    pub fn per_second(n: u32) -> Self {
        let n = f64::from(n.max(1));
        Self { per_second: n, tokens: n, last: Instant::now() }
    }

    pub fn allow(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.per_second);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Where `user_id`'s typing in a conversation of `kind` goes, if they are a member.
pub fn route(
    kind: ConversationRoute,
    user_id: UserId,
    is_group_member: impl FnOnce(GroupId) -> bool,
) -> Option<String> {
    match kind {
        ConversationRoute::Direct { low, high } if user_id == low => Some(RoutingKey::User(high).to_string()),
        ConversationRoute::Direct { low, high } if user_id == high => Some(RoutingKey::User(low).to_string()),
        ConversationRoute::Channel { group_id } if is_group_member(group_id) => {
            Some(RoutingKey::Group(group_id).to_string())
        }
        _ => None,
    }
}

/// Membership of a channel is group membership (the hub's cache, kept current by membership
/// events); of a direct chat, being one of its two users. A block either way between the two
/// users of a direct chat stops typing there, as it stops messages (read at each event: a block
/// must hold at once, and the rate limit above bounds the lookups).
pub async fn publish(
    state: &AppState,
    user_id: UserId,
    conversation_id: ConversationId,
    active: bool,
) -> Result<(), TypingError> {
    let kind = state.conversations.kind(conversation_id).await?.ok_or(TypingError::NotMember(conversation_id))?;
    let key =
        route(kind, user_id, |gid| state.hub.is_member(user_id, gid)).ok_or(TypingError::NotMember(conversation_id))?;
    if let ConversationRoute::Direct { low, high } = kind {
        if membership::blocked_between(&state.pool, low, high).await? {
            return Err(TypingError::Blocked(conversation_id));
        }
    }
    let event = Event::Typing(TypingEvent { conversation_id, user_id, active });
    state.publisher.publish(key, &event).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_allows_a_burst_then_drops() {
        let mut r = RateLimit::per_second(5);
        assert_eq!((0..10).filter(|_| r.allow()).count(), 5);
    }

    #[test]
    fn typing_goes_to_the_peer_or_the_group() {
        let direct = ConversationRoute::Direct { low: UserId(1), high: UserId(2) };
        assert_eq!(route(direct, UserId(1), |_| false).as_deref(), Some("user.2"));
        assert_eq!(route(direct, UserId(2), |_| false).as_deref(), Some("user.1"));
        assert_eq!(route(direct, UserId(3), |_| true), None);
        let channel = ConversationRoute::Channel { group_id: GroupId(9) };
        assert_eq!(route(channel, UserId(1), |g| g == GroupId(9)).as_deref(), Some("group.9"));
        assert_eq!(route(channel, UserId(1), |_| false), None);
    }
}
