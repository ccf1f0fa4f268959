//! Sessions and frames for the hub's unit tests.

use shared::events::Event;

use super::frame::Frame;
use super::registry::{Hub, SessionId};
use super::socket_queue::{self, Receiver, Sender};
use crate::close::Closer;
use shared::ids::UserId;

/// A registered session of `user_id` with a queue of `capacity`.
pub fn session(hub: &Hub, user_id: UserId, capacity: usize) -> (SessionId, Receiver, Closer) {
    let (tx, rx) = socket_queue::channel(capacity);
    let closer = Closer::default();
    let id = hub.register(user_id, uuid::Uuid::new_v4(), tx, closer.clone(), 8).expect("registered");
    (id, rx, closer)
}

/// Marks the session ready and takes its `ready` frame off the queue.
pub fn ready(hub: &Hub, id: SessionId, rx: &mut Receiver) {
    assert!(hub.mark_ready(id, &frame()));
    assert!(rx.try_recv().is_ok());
}

/// Another sender of the session's queue.
pub fn tx_of(hub: &Hub, id: SessionId) -> Sender {
    hub.lock().sessions.get(&id).expect("session").tx.clone()
}

pub fn frame() -> Frame {
    Frame::from_event(&Event::Resync { reason: "x".into() }).expect("frame")
}

/// For the lazily built frames of presence and receipts.
pub fn some_frame() -> Option<Frame> {
    Some(frame())
}
