//! The ONE event type that crosses RabbitMQ and the WebSocket: `{"type": "...", "data": {...}}`.
//! api-server writes these into the outbox; ws-server consumes and forwards them unchanged.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{MessageDto, ReceiptDto};
use crate::ids::{AttachmentId, ConversationId, GroupId, UserId};

/// Server -> client events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// First event on a socket, sent once its bindings are in place.
    #[serde(rename = "ready")]
    Ready { session_id: String, heartbeat_ms: u64 },
    #[serde(rename = "message.new")]
    MessageNew(MessageDto),
    /// Edit, delete (tombstone) or reaction change.
    #[serde(rename = "message.updated")]
    MessageUpdated(MessageDto),
    #[serde(rename = "receipt")]
    Receipt(ReceiptDto),
    #[serde(rename = "typing")]
    Typing(TypingEvent),
    #[serde(rename = "presence")]
    Presence(PresenceEvent),
    #[serde(rename = "conversation.updated")]
    ConversationUpdated(ConversationUpdated),
    /// Sessions of the user were ended (`reason`: `suspended`, `signed_out` — a device signed
    /// out from another —, `password_reset`): the sockets of those sessions (all when
    /// `sessions` is absent) are closed right after this event with close code 4001; their REST
    /// calls answer 401 `session_revoked`.
    #[serde(rename = "session.revoked")]
    SessionRevoked {
        #[schema(value_type = i64)]
        user_id: UserId,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sessions: Option<Vec<uuid::Uuid>>,
    },
    /// A user's privacy settings (or their contacts or blocks, which the settings refer to)
    /// changed. Routed as `presence.<uid>` so every ws node hears it; nodes apply it to the
    /// presence watchers and receipt filters of their sessions and never forward it.
    #[serde(rename = "privacy.updated")]
    PrivacyUpdated {
        #[schema(value_type = i64)]
        user_id: UserId,
        read_receipts: bool,
    },
    /// The answer to each client `heartbeat`, at once (`{"type":"heartbeat"}`, no data): a
    /// client that hears nothing for a few heartbeats knows the socket is dead (its host cut off
    /// without a reset) and reconnects instead of waiting for TCP to give up.
    #[serde(rename = "heartbeat")]
    Heartbeat,
    /// A user's display name, bio, avatar or status changed: to the user's own sessions, their
    /// contacts (either way), the peers of their direct chats and the members of their groups.
    #[serde(rename = "user.updated")]
    UserUpdated(UserUpdated),
    /// The client must catch up through REST (e.g. after the node lost the broker).
    #[serde(rename = "resync")]
    Resync { reason: String },
    #[serde(rename = "error")]
    Error { code: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TypingEvent {
    #[schema(value_type = i64)]
    pub conversation_id: ConversationId,
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub active: bool,
}

/// What everyone who may see a user sees of them (last seen is not here: it follows the
/// privacy settings, per viewer, through `presence`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserUpdated {
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    #[schema(value_type = Option<i64>)]
    pub avatar_id: Option<AttachmentId>,
    pub status_text: Option<String>,
    pub status_emoji: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PresenceEvent {
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub online: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// Something about a conversation or group changed; clients refetch it through REST.
/// `user_id` is the member concerned (added, removed, role changed), when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConversationUpdated {
    #[schema(value_type = Option<i64>)]
    pub conversation_id: Option<ConversationId>,
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<GroupId>,
    pub reason: UpdateReason,
    #[schema(value_type = Option<i64>)]
    pub user_id: Option<UserId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateReason {
    Created,
    Renamed,
    Deleted,
    MemberAdded,
    MemberRemoved,
    RoleChanged,
    /// My per-user flags: pin, archive, mute, clear, hide.
    Flags,
    /// The retention setting changed, or old messages disappeared under it (members' views
    /// now start after `cleared_seq`).
    Retention,
    /// One member of a direct chat blocked or unblocked the other (`peer.blocked`,
    /// `peer.messaging_blocked` changed).
    Blocked,
}

/// Client -> server messages on the socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum ClientEvent {
    #[serde(rename = "heartbeat")]
    Heartbeat,
    #[serde(rename = "typing")]
    Typing {
        #[schema(value_type = i64)]
        conversation_id: ConversationId,
        active: bool,
    },
    /// Replaces the set of users whose presence this connection follows.
    #[serde(rename = "presence.subscribe")]
    PresenceSubscribe {
        #[schema(value_type = Vec<i64>)]
        user_ids: Vec<UserId>,
    },
}

/// A routing key of the `chat.events` topic exchange: who an event is for. Picked by api-server's
/// `domain/events.rs` (outbox rows) and ws-server (typing, presence); read back by ws-server's
/// consumer and hub. On the wire and in the outbox it is its text form (`user.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoutingKey {
    /// Everything addressed to one user (direct chats: `user.<a>` with CC `user.<b>`).
    User(UserId),
    /// Events of any channel of a group.
    Group(GroupId),
    /// A user's presence and privacy changes (every node binds [`PRESENCE_ALL`]).
    Presence(UserId),
}

/// The binding that matches every `presence.<uid>` key.
pub const PRESENCE_ALL: &str = "presence.*";

impl RoutingKey {
    /// `user.<id>`, `group.<id>` or `presence.<id>`; anything else is `None`.
    pub fn parse(key: &str) -> Option<Self> {
        let (kind, id) = key.split_once('.')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "user" => Some(RoutingKey::User(UserId(id))),
            "group" => Some(RoutingKey::Group(GroupId(id))),
            "presence" => Some(RoutingKey::Presence(UserId(id))),
            _ => None,
        }
    }
}

impl std::fmt::Display for RoutingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoutingKey::User(id) => write!(f, "user.{id}"),
            RoutingKey::Group(id) => write!(f, "group.{id}"),
            RoutingKey::Presence(id) => write!(f, "presence.{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_is_type_and_data() {
        let e = Event::Resync { reason: "broker_reconnected".into() };
        assert_eq!(
            serde_json::to_value(&e).expect("serializes"),
            serde_json::json!({"type": "resync", "data": {"reason": "broker_reconnected"}})
        );
        let c: ClientEvent =
            serde_json::from_str(r#"{"type":"typing","data":{"conversation_id":3,"active":true}}"#).expect("parses");
        assert_eq!(c, ClientEvent::Typing { conversation_id: ConversationId(3), active: true });
        let hb: ClientEvent = serde_json::from_str(r#"{"type":"heartbeat"}"#).expect("heartbeat without data");
        assert_eq!(hb, ClientEvent::Heartbeat);
    }

    #[test]
    fn routing_keys_round_trip() {
        for key in [RoutingKey::User(UserId(7)), RoutingKey::Group(GroupId(12)), RoutingKey::Presence(UserId(3))] {
            assert_eq!(RoutingKey::parse(&key.to_string()), Some(key));
        }
        assert_eq!(RoutingKey::Group(GroupId(12)).to_string(), "group.12");
        for bad in ["presence.x", "user", "team.1", PRESENCE_ALL, "user.1.2"] {
            assert_eq!(RoutingKey::parse(bad), None, "{bad}");
        }
    }
}
