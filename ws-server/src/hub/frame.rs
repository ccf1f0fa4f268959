//! What the hub queues for a socket's task to write: events serialized once and shared by every
//! recipient (`ByteString` clones are reference counts), and pongs.
//!
//! A [`Frame`] is never empty: its only constructors refuse to make one. An event that cannot
//! be serialized (a bug: events are plain data) is logged, counted in
//! `chat_ws_dropped_total{reason="unserializable_event"}` and not sent; an empty message from
//! the broker is refused by [`Frame::received`] (the caller counts it as `empty_event`).

use std::sync::Arc;

use actix_web::web::Bytes;
use bytestring::ByteString;
use serde::Serialize;
use shared::events::Event;
use shared::metrics::WS_DROPPED;

/// One serialized event, shared by every recipient; never empty. One pointer wide, so a queued
/// item is two words: every socket with queued events pays for its queue's room
/// (`socket_queue`; BENCHMARKS.md, idle memory).
#[derive(Debug, Clone)]
pub struct Frame(Arc<Serialized>);

#[derive(Debug)]
struct Serialized {
    text: ByteString,
    /// When the event was published (for the delivery latency metric), if it came from the broker.
    published_at_ms: Option<i64>,
}

impl Frame {
    /// The event serialized; `None` (logged and counted) if it cannot be.
    pub fn from_event(event: &Event) -> Option<Self> {
        Self::encode(event)
    }

    /// An event from the broker as it was published; `None` when it is empty.
    pub fn received(text: ByteString, published_at_ms: Option<i64>) -> Option<Self> {
        (!text.is_empty()).then(|| Self(Arc::new(Serialized { text, published_at_ms })))
    }

    /// The same text, timed as published at `published_at_ms`.
    pub fn published_at(self, published_at_ms: Option<i64>) -> Self {
        Self(Arc::new(Serialized { text: self.0.text.clone(), published_at_ms }))
    }

    pub fn text(&self) -> &ByteString {
        &self.0.text
    }

    pub fn published_at_ms(&self) -> Option<i64> {
        self.0.published_at_ms
    }

    pub fn into_text(self) -> ByteString {
        self.0.text.clone()
    }

    fn encode(value: &impl Serialize) -> Option<Self> {
        match serde_json::to_string(value) {
            Ok(json) => Self::received(json.into(), None),
            Err(e) => {
                metrics::counter!(WS_DROPPED, "reason" => "unserializable_event").increment(1);
                tracing::error!(error = %e, "an event could not be serialized: not sent");
                None
            }
        }
    }
}

/// What a socket's task writes: two words (the pong's payload, rare, is boxed to keep it so).
#[derive(Debug)]
pub enum Outbound {
    Event(Frame),
    /// An answer to the client's own frame (the heartbeat's): sent like an event, not counted
    /// as a delivery.
    Answer(Frame),
    Pong(Box<Bytes>),
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn a_queued_item_is_two_words() {
        assert_eq!(std::mem::size_of::<Outbound>(), 2 * std::mem::size_of::<usize>());
    }

    #[test]
    fn a_frame_is_never_empty() {
        // JSON object keys must be strings: serializing this fails.
        let unserializable = BTreeMap::from([(vec![1u8], 1)]);
        assert!(Frame::encode(&unserializable).is_none(), "no frame instead of an empty one");
        assert!(Frame::received(ByteString::new(), Some(1)).is_none());
        let resync = Frame::from_event(&Event::Resync { reason: "x".into() }).expect("an event serializes");
        assert!(resync.text().starts_with(r#"{"type":"resync""#));
    }
}
