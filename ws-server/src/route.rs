//! One event from the broker -> the local sessions it is for, and what it says about the node's
//! own state (memberships, revoked sessions, privacy). Called by [`crate::consumer`] for each
//! delivery, in queue order; never awaits.

use std::sync::Arc;

use actix_web::web::Bytes;
use actix_ws::CloseCode;
use bytestring::ByteString;
use lapin::types::AMQPValue;
use lapin::BasicProperties;
use shared::api::ReceiptDto;
use shared::broker;
use shared::db::PgPool;
use shared::events::{ConversationUpdated, Event, RoutingKey, UpdateReason};
use shared::metrics::WS_DROPPED;

use crate::close;
use crate::hub::{Audience, Frame, Hub};
use crate::membership::{self, Conversations};
use crate::presence::Presence;
use shared::ids::{GroupId, UserId};

pub struct Router {
    pub hub: Arc<Hub>,
    pub conversations: Arc<Conversations>,
    pub pool: PgPool,
    pub presence: Presence,
}

impl Router {
    /// Fans one event out to the local sessions it is for, then applies what it says about
    /// membership. Unknown event types are forwarded unchanged.
    pub fn route(&self, routing_key: &str, properties: &BasicProperties, data: Vec<u8>) {
        let Ok(text) = ByteString::try_from(Bytes::from(data)) else {
            tracing::warn!(routing_key, "dropped a non-UTF-8 event");
            return;
        };
        let event: Option<Event> = serde_json::from_str(&text).ok();
        let Some(frame) = Frame::received(text, broker::published_at_ms(properties)) else {
            metrics::counter!(WS_DROPPED, "reason" => "empty_event").increment(1);
            tracing::warn!(routing_key, "dropped an empty event");
            return;
        };
        let audiences: Vec<Audience> =
            std::iter::once(routing_key.to_owned()).chain(cc_keys(properties)).filter_map(|k| audience(&k)).collect();
        match &event {
            Some(Event::Presence(p)) => {
                self.hub.deliver_presence(p.user_id, p.online, || Some(frame.clone()));
            }
            Some(Event::Typing(t)) => {
                self.hub.deliver(&audiences, &frame, Some(t.user_id));
            }
            Some(Event::Receipt(r)) => {
                self.hub.deliver_receipt(&audiences, &frame, r.user_id, || {
                    let without_read = Event::Receipt(ReceiptDto { read_seq: 0, ..r.clone() });
                    Some(Frame::from_event(&without_read)?.published_at(frame.published_at_ms()))
                });
            }
            // For the nodes only.
            Some(Event::PrivacyUpdated { .. }) => {}
            _ => {
                self.hub.deliver(&audiences, &frame, None);
            }
        }
        match &event {
            Some(Event::ConversationUpdated(update)) => self.on_conversation_updated(update),
            Some(Event::SessionRevoked { user_id, sessions, .. }) => {
                let code = CloseCode::Other(close::SESSION_REVOKED);
                let closed = self.hub.close_user(*user_id, sessions.as_deref(), code, "session revoked");
                tracing::info!(user_id = user_id.0, closed, "sessions revoked: sockets closed");
            }
            Some(Event::PrivacyUpdated { user_id, read_receipts }) => {
                self.hub.set_hides_reads(*user_id, !read_receipts);
                self.presence.visibility_changed(*user_id);
            }
            _ => {}
        }
    }

    /// Delivered first, applied second: a removed member still hears of its own removal.
    fn on_conversation_updated(&self, u: &ConversationUpdated) {
        match (u.reason, u.group_id, u.user_id, u.conversation_id) {
            (UpdateReason::MemberAdded, Some(gid), Some(uid), _) => self.membership_changed(gid, uid, true),
            (UpdateReason::MemberRemoved, Some(gid), Some(uid), _) => self.membership_changed(gid, uid, false),
            (UpdateReason::Deleted, Some(gid), _, None) => {
                self.hub.drop_group(gid);
                self.conversations.forget_group(gid);
            }
            (UpdateReason::Deleted, _, _, Some(cid)) => self.conversations.forget(cid),
            _ => {}
        }
    }

    /// Applied at once (a removed member stops receiving with the next event), then re-read
    /// from PostgreSQL in the background to correct any reordering of events.
    fn membership_changed(&self, group_id: GroupId, user_id: UserId, member: bool) {
        if !self.hub.apply_membership(group_id, user_id, member) {
            return;
        }
        let (hub, pool) = (self.hub.clone(), self.pool.clone());
        tokio::spawn(async move {
            if let Err(e) = membership::load_groups(&hub, &pool, user_id).await {
                tracing::warn!(user_id = user_id.0, error = %e, "cannot re-read group memberships");
            }
        });
    }
}

fn audience(key: &str) -> Option<Audience> {
    Some(match RoutingKey::parse(key)? {
        RoutingKey::User(id) => Audience::User(id),
        RoutingKey::Group(id) => Audience::Group(id),
        RoutingKey::Presence(id) => Audience::Watchers(id),
    })
}

/// RabbitMQ's `CC` header: the extra routing keys of a direct-chat event (`user.<b>`).
fn cc_keys(properties: &BasicProperties) -> Vec<String> {
    let Some(AMQPValue::FieldArray(cc)) = properties.headers().as_ref().and_then(|h| h.inner().get("CC")) else {
        return Vec::new();
    };
    cc.as_slice()
        .iter()
        .filter_map(|v| match v {
            AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
            AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::types::{FieldArray, FieldTable};

    #[test]
    fn cc_header_adds_audiences() {
        let mut headers = FieldTable::default();
        let cc = vec![AMQPValue::LongString("user.7".into())];
        headers.insert("CC".into(), AMQPValue::FieldArray(FieldArray::from(cc)));
        let props = BasicProperties::default().with_headers(headers);
        assert_eq!(cc_keys(&props), vec!["user.7".to_owned()]);
        assert_eq!(audience("user.7"), Some(Audience::User(UserId(7))));
        assert_eq!(audience("group.3"), Some(Audience::Group(GroupId(3))));
        assert_eq!(audience("presence.*"), None);
    }
}
