//! Sessions: registration (within the user's socket cap), `ready`, leaving, and closing
//! sockets (shutdown, revoked sessions).
//!
//! # Lifecycle
//! A session registers (its user's key becomes wanted), waits until the binder has bound its
//! keys ([`Hub::wait_bound`]), gets its user's groups installed, waits again, then is marked
//! ready ([`Hub::mark_ready`]: the `ready` frame is queued under the lock, so it precedes every
//! event). Unregistering the last session of a user drops the user and the groups only it
//! needed. After shutdown begins, no session registers.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use actix_ws::CloseCode;
use shared::events::RoutingKey;
use shared::metrics::{PRESENCE_ONLINE, WS_CONNECTIONS};

use super::frame::{Frame, Outbound};
use super::registry::{Hub, SessionEntry, SessionId, State};
use super::socket_queue;
use crate::close::Closer;
use shared::ids::UserId;

/// Why a socket is not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("this node is shutting down, connect to another one")]
    ShuttingDown,
    #[error("too many open connections for this user (at most {0} per node); close one first")]
    TooManySockets(usize),
}

/// Returned when a session leaves.
#[derive(Debug, Clone, Copy)]
pub struct Departure {
    pub user_id: UserId,
    /// It was the user's last session on this node.
    pub last: bool,
}

impl Hub {
    /// Refused while shutting down, or when the user holds `max_per_user` sessions here.
    pub fn register(
        &self,
        user_id: UserId,
        device: uuid::Uuid,
        tx: socket_queue::Sender,
        closer: Closer,
        max_per_user: usize,
    ) -> Result<SessionId, Refused> {
        let mut guard = self.lock();
        let s = &mut *guard;
        if s.shutting_down {
            return Err(Refused::ShuttingDown);
        }
        if s.users.get(&user_id).is_some_and(|u| u.sessions.len() >= max_per_user) {
            return Err(Refused::TooManySockets(max_per_user));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = SessionEntry {
            user_id,
            device,
            tx,
            closer,
            ready: false,
            watching: HashMap::new(),
            hidden: HashSet::new(),
        };
        s.sessions.insert(id, entry);
        let user = s.users.entry(user_id).or_default();
        user.sessions.insert(id);
        if user.sessions.len() == 1 {
            s.dirty.insert(RoutingKey::User(user_id).to_string());
            self.dirty.notify_one();
        }
        s.update_gauges();
        Ok(id)
    }

    pub fn unregister(&self, id: SessionId) -> Option<Departure> {
        let mut guard = self.lock();
        let s = &mut *guard;
        let entry = s.sessions.remove(&id)?;
        for watched in entry.watching.keys() {
            s.unwatch(*watched, id);
        }
        let user_id = entry.user_id;
        let last = match s.users.get_mut(&user_id) {
            Some(user) => {
                user.sessions.remove(&id);
                user.sessions.is_empty()
            }
            None => false,
        };
        if last {
            if let Some(user) = s.users.remove(&user_id) {
                for gid in user.groups.unwrap_or_default() {
                    s.unlink(gid, user_id);
                }
            }
            s.dirty.insert(RoutingKey::User(user_id).to_string());
            self.dirty.notify_one();
        }
        s.update_gauges();
        Some(Departure { user_id, last })
    }

    /// Queues `ready` and lets broker events through to the session, in that order.
    pub fn mark_ready(&self, id: SessionId, ready: &Frame) -> bool {
        let mut s = self.lock();
        let Some(entry) = s.sessions.get_mut(&id) else { return false };
        entry.ready = entry.push(Outbound::Event(ready.clone()));
        entry.ready
    }

    /// Queues a frame for one session (answers, errors, pongs).
    pub fn send_to(&self, id: SessionId, item: Outbound) -> bool {
        let s = self.lock();
        s.sessions.get(&id).is_some_and(|e| e.push(item))
    }

    /// Every local user with its membership generation (see [`Hub::install_groups`]).
    pub fn local_users(&self) -> Vec<(UserId, u64)> {
        self.lock().users.iter().map(|(&uid, u)| (uid, u.generation)).collect()
    }

    pub fn has_user(&self, user_id: UserId) -> bool {
        self.lock().users.contains_key(&user_id)
    }

    pub fn is_shutting_down(&self) -> bool {
        self.lock().shutting_down
    }

    /// Refuses new sessions and closes every open one with `code`. Returns how many.
    pub fn shutdown(&self, code: CloseCode, description: &str) -> usize {
        let mut s = self.lock();
        s.shutting_down = true;
        s.sessions.values().filter(|e| e.closer.close(code, description)).count()
    }

    /// Closes the sockets of one user opened by these devices (all when `devices` is None) with
    /// `code`: their sessions were revoked. Returns how many.
    pub fn close_user(
        &self,
        user_id: UserId,
        devices: Option<&[uuid::Uuid]>,
        code: CloseCode,
        description: &str,
    ) -> usize {
        let s = self.lock();
        let ids = s.users.get(&user_id).map(|u| u.sessions.iter().copied().collect::<Vec<_>>()).unwrap_or_default();
        ids.iter()
            .filter_map(|id| s.sessions.get(id))
            .filter(|e| devices.is_none_or(|list| list.contains(&e.device)))
            .filter(|e| e.closer.close(code, description))
            .count()
    }

    /// Every (user, device) with a socket here, once each (for the periodic session check).
    pub fn devices(&self) -> Vec<(UserId, uuid::Uuid)> {
        let s = self.lock();
        let unique: HashSet<(UserId, uuid::Uuid)> = s.sessions.values().map(|e| (e.user_id, e.device)).collect();
        unique.into_iter().collect()
    }
}

impl State {
    fn update_gauges(&self) {
        metrics::gauge!(WS_CONNECTIONS).set(self.sessions.len() as f64);
        metrics::gauge!(PRESENCE_ONLINE).set(self.users.len() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_per_user_are_capped_and_a_leaving_one_makes_room() {
        let hub = Hub::default();
        let register = |user| {
            let (tx, _rx) = socket_queue::channel(1);
            hub.register(user, uuid::Uuid::new_v4(), tx, Closer::default(), 2)
        };
        let first = register(UserId(1)).expect("first");
        register(UserId(1)).expect("second");
        assert_eq!(register(UserId(1)), Err(Refused::TooManySockets(2)));
        assert!(register(UserId(2)).is_ok(), "per user");
        hub.unregister(first);
        assert!(register(UserId(1)).is_ok());
        hub.shutdown(CloseCode::Restart, "bye");
        assert_eq!(register(UserId(3)), Err(Refused::ShuttingDown));
    }
}
