//! The node's queues on the broker.
//!
//! `ws.<node_id>` is exclusive and auto-delete (it dies with the connection; a reconnect declares
//! it again) and bounded: `x-max-length` events, `x-overflow: drop-head`. What it drops is
//! dead-lettered through the default exchange to `ws.<node_id>.overflow`, a queue of the same
//! kind that keeps the last few drop notices. The consumer reads both: a notice means events for
//! this node's sockets were lost, so every ready socket is told to `resync` (coalesced, see
//! [`OverflowResync`]). A node far enough behind to fill its queue is behind for all its users
//! (one FIFO queue), and the newest notice always survives, so no loss is ever silent.
//!
//! Not `reject-publish`: the relay publishes each event once to the exchange, for every node; a
//! full queue would nack that publish, the relay would retry its batch, and one slow node would
//! stall delivery to all the others.

use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::{AMQPValue, FieldTable};
use lapin::Channel;
use tokio::time::Instant;

/// Drop notices kept (drop-head too: the newest stays).
const OVERFLOW_KEEP: i64 = 10;
/// Notices within this window share one `resync`.
const COALESCE: Duration = Duration::from_millis(200);
pub const OVERFLOW_REASON: &str = "queue_overflow";

#[derive(Debug, Clone)]
pub struct NodeQueues {
    pub events: String,
    pub overflow: String,
}

impl NodeQueues {
    pub fn new(node_id: &str) -> Self {
        Self { events: format!("ws.{node_id}"), overflow: format!("ws.{node_id}.overflow") }
    }

    /// Declares the overflow queue, then the event queue that dead-letters into it.
    pub async fn declare(&self, channel: &Channel, max_length: u32) -> lapin::Result<()> {
        let options = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
        let mut overflow = FieldTable::default();
        overflow.insert("x-max-length".into(), AMQPValue::LongLongInt(OVERFLOW_KEEP));
        channel.queue_declare(self.overflow.as_str().into(), options, overflow).await?;
        let mut events = FieldTable::default();
        events.insert("x-max-length".into(), AMQPValue::LongLongInt(i64::from(max_length)));
        events.insert("x-overflow".into(), AMQPValue::LongString("drop-head".into()));
        events.insert("x-dead-letter-exchange".into(), AMQPValue::LongString("".into()));
        events.insert("x-dead-letter-routing-key".into(), AMQPValue::LongString(self.overflow.as_str().into()));
        channel.queue_declare(self.events.as_str().into(), options, events).await?;
        Ok(())
    }
}

/// Turns drop notices into one `resync` per burst.
#[derive(Debug, Default)]
pub struct OverflowResync {
    due: Option<Instant>,
}

impl OverflowResync {
    /// A notice arrived: a resync is due shortly (unless one already is).
    pub fn notice(&mut self) {
        self.due.get_or_insert_with(|| Instant::now() + COALESCE);
    }

    /// Resolves when the resync is due (never while none is); the caller then sends it.
    pub async fn due(&mut self) {
        match self.due {
            Some(at) => {
                tokio::time::sleep_until(at).await;
                self.due = None;
            }
            None => std::future::pending().await,
        }
    }
}
