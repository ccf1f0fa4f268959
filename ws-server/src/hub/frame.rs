//! What the hub queues for a session's writer: events serialized once and shared by every
//! recipient (`ByteString` clones are reference counts), and pongs.

use actix_web::web::Bytes;
use bytestring::ByteString;
use shared::events::Event;

/// One serialized event, shared by every recipient.
#[derive(Debug, Clone)]
pub struct Frame {
    pub text: ByteString,
    /// When the event was published (for the delivery latency metric), if it came from the broker.
    pub published_at_ms: Option<i64>,
}

impl Frame {
    pub fn from_event(event: &Event) -> Self {
        // An `Event` is plain data: serializing it cannot fail.
        let json = serde_json::to_string(event).unwrap_or_default();
        Self { text: ByteString::from(json), published_at_ms: None }
    }
}

/// What a session's writer sends.
#[derive(Debug)]
pub enum Outbound {
    Event(Frame),
    Pong(Bytes),
}
