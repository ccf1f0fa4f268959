//! The hub itself: the one lock and the plain maps behind it. Each concern's methods live in
//! the sibling files (`sessions`, `fanout`, `watchers`, `membership`, `bindings`); this file
//! only says what is stored.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::{watch, Notify};

use super::socket_queue;
use crate::close::Closer;
use shared::ids::{GroupId, UserId};

pub type SessionId = u64;

pub(super) struct SessionEntry {
    pub(super) user_id: UserId,
    /// The signed-in device (refresh-token family) whose ticket opened it.
    pub(super) device: uuid::Uuid,
    pub(super) tx: socket_queue::Sender,
    pub(super) closer: Closer,
    pub(super) ready: bool,
    /// Users whose presence this session follows, with the state last sent (None: not yet).
    pub(super) watching: HashMap<UserId, Option<bool>>,
    /// Users it asked to follow whose privacy settings hide their presence from it (they move
    /// to `watching` if that changes).
    pub(super) hidden: HashSet<UserId>,
}

#[derive(Default)]
pub(super) struct LocalUser {
    pub(super) sessions: HashSet<SessionId>,
    /// None until loaded from `group_members`.
    pub(super) groups: Option<HashSet<GroupId>>,
    /// Bumped by every membership event, so a load that raced one is retried.
    pub(super) generation: u64,
    /// The user turned read receipts off, so sees nobody else's reads either.
    pub(super) hides_reads: bool,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) sessions: HashMap<SessionId, SessionEntry>,
    pub(super) users: HashMap<UserId, LocalUser>,
    /// Local members of each group (never holds an empty set).
    pub(super) group_users: HashMap<GroupId, HashSet<UserId>>,
    /// Sessions following each user's presence (never holds an empty set).
    pub(super) watchers: HashMap<UserId, HashSet<SessionId>>,
    /// Keys bound on the broker now.
    pub(super) bound: HashSet<String>,
    /// Keys whose wanted state changed since the binder last looked.
    pub(super) dirty: HashSet<String>,
    pub(super) shutting_down: bool,
}

pub struct Hub {
    state: Mutex<State>,
    pub(super) next_id: AtomicU64,
    /// Wakes the binder when keys became dirty.
    pub(super) dirty: Notify,
    /// Bumped after every binding round; sessions wait on it for their keys.
    pub(super) rounds: watch::Sender<u64>,
}

impl Default for Hub {
    fn default() -> Self {
        Self { state: Mutex::default(), next_id: AtomicU64::new(1), dirty: Notify::new(), rounds: watch::channel(0).0 }
    }
}

impl Hub {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something did, the maps are still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
