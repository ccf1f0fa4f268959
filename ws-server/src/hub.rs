//! The node's registry: routing keys -> local sessions, the ref-counted bindings of the node
//! queue, the group-membership cache of the users connected here, presence watchers.
//!
//! # Concurrency model
//! One `std::sync::Mutex` around plain maps. Every method takes it briefly and never awaits
//! while holding it: the consumer's fan-out, session (un)registration from the actix workers
//! and the binder all call in from different threads. Broker and database work happen outside,
//! in the consumer's binder task and in `membership`, which hand their results back here.
//!
//! # Lifecycle
//! A session registers (its user's key becomes wanted), waits until the binder has bound its
//! keys ([`Hub::wait_bound`]), gets its user's groups installed, waits again, then is marked
//! ready (the `ready` frame is queued under the lock, so it precedes every event). Unregistering
//! the last session of a user drops the user and the groups only it needed. A key is *wanted*
//! while something local needs it (`user.<uid>`: a session of uid; `group.<gid>`: a local user
//! who is a member; `presence.*`: always); changes mark keys dirty and wake the binder, which
//! reconciles wanted against bound in order ([`Hub::plan_bindings`]). After a broker reconnect
//! [`Hub::reset_bindings`] forgets what was bound and everything wanted is bound again, then
//! `crate::reload` installs what PostgreSQL says now ([`Hub::install_groups`],
//! [`Hub::close_sessions`]) before anything is delivered.
//!
//! # Backpressure
//! Fan-out never waits for a client: each session has a bounded queue and the hub only
//! `try_send`s into it. A full queue closes that session with 4008 (its queued frames are
//! dropped by its writer), so one slow client costs at most its queue; the others are not
//! delayed. Frames are serialized once and shared (`ByteString` clones are reference counts).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use actix_web::web::Bytes;
use actix_ws::CloseCode;
use bytestring::ByteString;
use shared::events::{Event, RoutingKey, PRESENCE_ALL};
use shared::metrics::{PRESENCE_ONLINE, WS_CONNECTIONS, WS_DROPPED};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::PermitIterator;
use tokio::sync::{mpsc, watch, Notify};

use crate::close::{self, Closer};

pub type SessionId = u64;

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

/// Who an event from the broker is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every session of the user.
    User(i64),
    /// Every session of the local users who are members of the group.
    Group(i64),
    /// Every session following the user's presence.
    Watchers(i64),
}

/// Binding work for the binder, decided under the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindOp {
    Bind(String),
    Unbind(String),
}

/// Result of installing a user's groups loaded from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Install {
    Installed,
    /// A membership event arrived while loading: load again.
    Stale,
    /// The user has no session here any more.
    Gone,
}

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
    pub user_id: i64,
    /// It was the user's last session on this node.
    pub last: bool,
}

struct SessionEntry {
    user_id: i64,
    /// The signed-in device (refresh-token family) whose ticket opened it.
    device: uuid::Uuid,
    tx: mpsc::Sender<Outbound>,
    closer: Closer,
    ready: bool,
    /// Users whose presence this session follows, with the state last sent (None: not yet).
    watching: HashMap<i64, Option<bool>>,
    /// Users it asked to follow whose privacy settings hide their presence from it (they move
    /// to `watching` if that changes).
    hidden: HashSet<i64>,
}

#[derive(Default)]
struct LocalUser {
    sessions: HashSet<SessionId>,
    /// None until loaded from `group_members`.
    groups: Option<HashSet<i64>>,
    /// Bumped by every membership event, so a load that raced one is retried.
    generation: u64,
    /// The user turned read receipts off, so sees nobody else's reads either.
    hides_reads: bool,
}

#[derive(Default)]
struct State {
    sessions: HashMap<SessionId, SessionEntry>,
    users: HashMap<i64, LocalUser>,
    /// Local members of each group (never holds an empty set).
    group_users: HashMap<i64, HashSet<i64>>,
    /// Sessions following each user's presence (never holds an empty set).
    watchers: HashMap<i64, HashSet<SessionId>>,
    /// Keys bound on the broker now.
    bound: HashSet<String>,
    /// Keys whose wanted state changed since the binder last looked.
    dirty: HashSet<String>,
    shutting_down: bool,
}

pub struct Hub {
    state: Mutex<State>,
    next_id: AtomicU64,
    dirty: Notify,
    /// Bumped after every binding round; sessions wait on it for their keys.
    rounds: watch::Sender<u64>,
}

impl Default for Hub {
    fn default() -> Self {
        Self { state: Mutex::default(), next_id: AtomicU64::new(1), dirty: Notify::new(), rounds: watch::channel(0).0 }
    }
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something did, the maps are still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- sessions -------------------------------------------------------------------------

    /// Refused while shutting down, or when the user holds `max_per_user` sessions here.
    pub fn register(
        &self,
        user_id: i64,
        device: uuid::Uuid,
        tx: mpsc::Sender<Outbound>,
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
        entry.ready = push(entry, Outbound::Event(ready.clone()));
        entry.ready
    }

    /// Queues a frame for one session (answers, errors, pongs).
    pub fn send_to(&self, id: SessionId, item: Outbound) -> bool {
        let s = self.lock();
        s.sessions.get(&id).is_some_and(|e| push(e, item))
    }

    /// Every local user with its membership generation (see [`Hub::install_groups`]).
    pub fn local_users(&self) -> Vec<(i64, u64)> {
        self.lock().users.iter().map(|(&uid, u)| (uid, u.generation)).collect()
    }

    pub fn has_user(&self, user_id: i64) -> bool {
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
        user_id: i64,
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
    pub fn devices(&self) -> Vec<(i64, uuid::Uuid)> {
        let s = self.lock();
        let unique: HashSet<(i64, uuid::Uuid)> = s.sessions.values().map(|e| (e.user_id, e.device)).collect();
        unique.into_iter().collect()
    }

    // ---- fan-out --------------------------------------------------------------------------

    /// Queues `frame` for every ready session in `audiences` (each at most once), except the
    /// sessions of `skip_user`. Returns how many sessions got it.
    pub fn deliver(&self, audiences: &[Audience], frame: &Frame, skip_user: Option<i64>) -> usize {
        let s = self.lock();
        s.targets(audiences, skip_user)
            .into_iter()
            .filter_map(|id| s.sessions.get(&id))
            .filter(|e| e.ready && push(e, Outbound::Event(frame.clone())))
            .count()
    }

    /// Delivers a `receipt` of `reader`: sessions of users who hide their own reads (and so see
    /// nobody's) get `without_read` instead, built once if needed.
    pub fn deliver_receipt(
        &self,
        audiences: &[Audience],
        frame: &Frame,
        reader: i64,
        without_read: impl FnOnce() -> Frame,
    ) -> usize {
        let s = self.lock();
        let mut make = Some(without_read);
        let mut redacted: Option<Frame> = None;
        let mut told = 0;
        for entry in s.targets(audiences, None).into_iter().filter_map(|id| s.sessions.get(&id)) {
            if !entry.ready {
                continue;
            }
            let hides = entry.user_id != reader && s.users.get(&entry.user_id).is_some_and(|u| u.hides_reads);
            let f = if hides {
                redacted.get_or_insert_with(|| make.take().map(|m| m()).unwrap_or(frame.clone()))
            } else {
                frame
            };
            told += usize::from(push(entry, Outbound::Event(f.clone())));
        }
        told
    }

    /// Whether the local user keeps reads to themselves (see [`Hub::deliver_receipt`]).
    pub fn set_hides_reads(&self, user_id: i64, hides: bool) {
        if let Some(user) = self.lock().users.get_mut(&user_id) {
            user.hides_reads = hides;
        }
    }

    /// Queues `frame` for every ready session (e.g. `resync`).
    pub fn broadcast(&self, frame: &Frame) -> usize {
        let s = self.lock();
        s.sessions.values().filter(|e| e.ready && push(e, Outbound::Event(frame.clone()))).count()
    }
}

impl State {
    /// The sessions in `audiences`, each once, without those of `skip_user`.
    fn targets(&self, audiences: &[Audience], skip_user: Option<i64>) -> Vec<SessionId> {
        let s = self;
        let mut targets: Vec<SessionId> = Vec::new();
        for audience in audiences {
            match *audience {
                Audience::User(uid) => s.sessions_of(uid, skip_user, &mut targets),
                Audience::Group(gid) => {
                    for &uid in s.group_users.get(&gid).into_iter().flatten() {
                        s.sessions_of(uid, skip_user, &mut targets);
                    }
                }
                Audience::Watchers(uid) => targets.extend(s.watchers.get(&uid).into_iter().flatten()),
            }
        }
        if audiences.len() > 1 {
            targets.sort_unstable();
            targets.dedup();
        }
        targets
    }
}

impl Hub {
    // ---- presence watchers ----------------------------------------------------------------

    /// Replaces the set of users `id` follows: `user_ids` whose presence it may see, `hidden`
    /// those whose privacy settings hide it.
    pub fn watch(&self, id: SessionId, user_ids: &[i64], hidden: &[i64]) {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(entry) = s.sessions.get_mut(&id) else { return };
        let old: Vec<i64> = entry.watching.drain().map(|(uid, _)| uid).collect();
        entry.watching = user_ids.iter().map(|&uid| (uid, None)).collect();
        entry.hidden = hidden.iter().copied().collect();
        for uid in old {
            s.unwatch(uid, id);
        }
        for &uid in user_ids {
            s.watchers.entry(uid).or_default().insert(id);
        }
    }

    pub fn watched_users(&self) -> Vec<i64> {
        self.lock().watchers.keys().copied().collect()
    }

    /// Every user some session here asked to follow (seen or hidden).
    pub fn followed_users(&self) -> Vec<i64> {
        let s = self.lock();
        let mut users: Vec<i64> =
            s.sessions.values().flat_map(|e| e.watching.keys().chain(e.hidden.iter()).copied()).collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// The users of the sessions here that asked to follow `user_id` (seen or hidden).
    pub fn followers_of(&self, user_id: i64) -> Vec<i64> {
        let s = self.lock();
        let mut users: Vec<i64> = s
            .sessions
            .values()
            .filter(|e| e.watching.contains_key(&user_id) || e.hidden.contains(&user_id))
            .map(|e| e.user_id)
            .collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// Applies a change of who may see `user_id`'s presence: sessions of users not in `allowed`
    /// stop following it and get `hidden_frame` (offline, never seen); sessions of users now in
    /// `allowed` follow it again, their next presence event for it unsent. Returns whether any
    /// session started following (then the caller sends the current state).
    pub fn refollow(&self, user_id: i64, allowed: &HashSet<i64>, hidden_frame: &Frame) -> bool {
        let mut guard = self.lock();
        let s = &mut *guard;
        let (mut shown, mut hidden) = (Vec::new(), Vec::new());
        for (&id, entry) in s.sessions.iter_mut() {
            let may = allowed.contains(&entry.user_id);
            if may && entry.hidden.remove(&user_id) {
                entry.watching.insert(user_id, None);
                shown.push(id);
            } else if !may && entry.watching.remove(&user_id).is_some() {
                entry.hidden.insert(user_id);
                push(entry, Outbound::Event(hidden_frame.clone()));
                hidden.push(id);
            }
        }
        for &id in &hidden {
            s.unwatch(user_id, id);
        }
        for &id in &shown {
            s.watchers.entry(user_id).or_default().insert(id);
        }
        !shown.is_empty()
    }

    /// Sends a presence change to the watchers of `user_id` that were not already told this
    /// state. Returns how many were told, and whether one of them had been told "online".
    pub fn deliver_presence(&self, user_id: i64, online: bool, frame: impl FnOnce() -> Frame) -> (usize, bool) {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(ids) = s.watchers.get(&user_id) else { return (0, false) };
        // Built at most once, and only when someone needs it.
        let mut make = Some(frame);
        let mut built: Option<Frame> = None;
        let (mut told, mut was_online) = (0, false);
        for id in ids {
            let Some(entry) = s.sessions.get_mut(id) else { continue };
            let Some(state) = entry.watching.get_mut(&user_id) else { continue };
            if *state == Some(online) {
                continue;
            }
            was_online |= *state == Some(true);
            *state = Some(online);
            if built.is_none() {
                built = make.take().map(|f| f());
            }
            if let Some(f) = &built {
                told += usize::from(push(entry, Outbound::Event(f.clone())));
            }
        }
        (told, was_online)
    }

    /// Answers a `presence.subscribe` with the states read for it, for the users about whom
    /// no fresher event has reached the session meanwhile. The caller reserved one queue slot
    /// per answer (an answer may be larger than the queue, and must not count as slowness).
    pub fn answer_presence(
        &self,
        id: SessionId,
        answers: Vec<(i64, bool, Frame)>,
        slots: PermitIterator<'_, Outbound>,
    ) {
        let mut s = self.lock();
        let Some(entry) = s.sessions.get_mut(&id) else { return };
        for ((uid, online, frame), slot) in answers.into_iter().zip(slots) {
            if let Some(state @ None) = entry.watching.get_mut(&uid) {
                *state = Some(online);
                slot.send(Outbound::Event(frame));
            } else if entry.hidden.contains(&uid) {
                slot.send(Outbound::Event(frame));
            }
        }
    }

    // ---- group membership cache -----------------------------------------------------------

    /// The user's membership generation, and whether the groups are loaded. None: not local.
    pub fn membership_generation(&self, user_id: i64) -> Option<(u64, bool)> {
        self.lock().users.get(&user_id).map(|u| (u.generation, u.groups.is_some()))
    }

    /// Installs the groups loaded at `generation` (see [`Install`]).
    pub fn install_groups(&self, user_id: i64, generation: u64, groups: HashSet<i64>) -> Install {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(user) = s.users.get_mut(&user_id) else { return Install::Gone };
        if user.generation != generation {
            return Install::Stale;
        }
        let old = user.groups.replace(groups.clone()).unwrap_or_default();
        for &gid in old.difference(&groups) {
            s.unlink(gid, user_id);
        }
        for &gid in groups.difference(&old) {
            s.link(gid, user_id);
        }
        self.notify_if_dirty(s);
        Install::Installed
    }

    /// Applies a membership change from an event. Returns whether the user is local (then
    /// the caller re-reads the user's groups from the database to correct any reordering).
    pub fn apply_membership(&self, group_id: i64, user_id: i64, member: bool) -> bool {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(user) = s.users.get_mut(&user_id) else { return false };
        user.generation += 1;
        let Some(groups) = user.groups.as_mut() else { return true };
        let changed = if member { groups.insert(group_id) } else { groups.remove(&group_id) };
        if changed {
            if member {
                s.link(group_id, user_id);
            } else {
                s.unlink(group_id, user_id);
            }
            self.notify_if_dirty(s);
        }
        true
    }

    /// A deleted group: no local user is a member any more.
    pub fn drop_group(&self, group_id: i64) {
        let mut guard = self.lock();
        let s = &mut *guard;
        for uid in s.group_users.remove(&group_id).unwrap_or_default() {
            if let Some(user) = s.users.get_mut(&uid) {
                user.generation += 1;
                if let Some(groups) = user.groups.as_mut() {
                    groups.remove(&group_id);
                }
            }
        }
        s.dirty.insert(RoutingKey::Group(group_id).to_string());
        self.dirty.notify_one();
    }

    pub fn is_member(&self, user_id: i64, group_id: i64) -> bool {
        self.lock().users.get(&user_id).and_then(|u| u.groups.as_ref()).is_some_and(|g| g.contains(&group_id))
    }

    /// The keys a session of `user_id` needs before it is ready.
    pub fn keys_of(&self, user_id: i64) -> Vec<String> {
        let s = self.lock();
        let mut keys = vec![RoutingKey::User(user_id).to_string(), PRESENCE_ALL.to_owned()];
        if let Some(groups) = s.users.get(&user_id).and_then(|u| u.groups.as_ref()) {
            keys.extend(groups.iter().map(|&gid| RoutingKey::Group(gid).to_string()));
        }
        keys
    }

    // ---- bindings -------------------------------------------------------------------------

    /// Waits until the binder signals dirty keys.
    pub async fn bindings_changed(&self) {
        self.dirty.notified().await
    }

    /// Takes the dirty keys and decides what to do with each. A key to unbind leaves the
    /// bound set now, so a session arriving meanwhile waits for it to be bound again.
    pub fn plan_bindings(&self) -> Vec<BindOp> {
        let mut guard = self.lock();
        let s = &mut *guard;
        let dirty: Vec<String> = s.dirty.drain().collect();
        let mut ops = Vec::new();
        for key in dirty {
            match (s.wants(&key), s.bound.contains(&key)) {
                (true, false) => ops.push(BindOp::Bind(key)),
                (false, true) => {
                    s.bound.remove(&key);
                    ops.push(BindOp::Unbind(key));
                }
                _ => {}
            }
        }
        ops
    }

    /// A bind succeeded. (If the key stopped being wanted meanwhile it is dirty again, and
    /// the next round unbinds it.)
    pub fn mark_bound(&self, key: &str) {
        self.lock().bound.insert(key.to_owned());
    }

    /// Wakes the sessions waiting for their keys.
    pub fn finish_round(&self) {
        self.rounds.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// After (re)connecting: nothing is bound; returns every key wanted now.
    pub fn reset_bindings(&self) -> Vec<String> {
        let mut s = self.lock();
        s.bound.clear();
        s.dirty.clear();
        let mut keys = vec![PRESENCE_ALL.to_owned()];
        keys.extend(s.users.keys().map(|&uid| RoutingKey::User(uid).to_string()));
        keys.extend(s.group_users.keys().map(|&gid| RoutingKey::Group(gid).to_string()));
        keys
    }

    /// The broker is gone: nothing is bound.
    pub fn clear_bindings(&self) {
        self.lock().bound.clear();
    }

    fn all_bound(&self, keys: &[String]) -> bool {
        let s = self.lock();
        keys.iter().all(|k| s.bound.contains(k))
    }

    /// Waits until every key is bound; `false` after `timeout`.
    pub async fn wait_bound(&self, keys: &[String], timeout: Duration) -> bool {
        let mut rounds = self.rounds.subscribe();
        let wait = async {
            while !self.all_bound(keys) {
                if rounds.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    fn notify_if_dirty(&self, s: &State) {
        if !s.dirty.is_empty() {
            self.dirty.notify_one();
        }
    }
}

impl State {
    fn wants(&self, key: &str) -> bool {
        match RoutingKey::parse(key) {
            Some(RoutingKey::User(id)) => self.users.contains_key(&id),
            Some(RoutingKey::Group(id)) => self.group_users.contains_key(&id),
            _ => key == PRESENCE_ALL,
        }
    }

    fn sessions_of(&self, user_id: i64, skip_user: Option<i64>, out: &mut Vec<SessionId>) {
        if skip_user == Some(user_id) {
            return;
        }
        if let Some(user) = self.users.get(&user_id) {
            out.extend(user.sessions.iter().copied());
        }
    }

    fn link(&mut self, group_id: i64, user_id: i64) {
        let members = self.group_users.entry(group_id).or_default();
        members.insert(user_id);
        if members.len() == 1 {
            self.dirty.insert(RoutingKey::Group(group_id).to_string());
        }
    }

    fn unlink(&mut self, group_id: i64, user_id: i64) {
        if let Some(members) = self.group_users.get_mut(&group_id) {
            members.remove(&user_id);
            if members.is_empty() {
                self.group_users.remove(&group_id);
                self.dirty.insert(RoutingKey::Group(group_id).to_string());
            }
        }
    }

    fn unwatch(&mut self, user_id: i64, id: SessionId) {
        if let Some(ids) = self.watchers.get_mut(&user_id) {
            ids.remove(&id);
            if ids.is_empty() {
                self.watchers.remove(&user_id);
            }
        }
    }

    fn update_gauges(&self) {
        metrics::gauge!(WS_CONNECTIONS).set(self.sessions.len() as f64);
        metrics::gauge!(PRESENCE_ONLINE).set(self.users.len() as f64);
    }
}

/// Never awaits: a full queue means the client does not keep up, and it is closed.
fn push(entry: &SessionEntry, item: Outbound) -> bool {
    match entry.tx.try_send(item) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            if entry.closer.close(CloseCode::Other(close::SLOW_CONSUMER), "slow consumer") {
                metrics::counter!(WS_DROPPED, "reason" => "slow_consumer").increment(1);
                tracing::warn!(user_id = entry.user_id, "closing a slow consumer (outbound queue full)");
            }
            false
        }
        Err(TrySendError::Closed(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(hub: &Hub, user_id: i64, capacity: usize) -> (SessionId, mpsc::Receiver<Outbound>, Closer) {
        let (tx, rx) = mpsc::channel(capacity);
        let closer = Closer::default();
        let id = hub.register(user_id, uuid::Uuid::new_v4(), tx, closer.clone(), 8).expect("registered");
        (id, rx, closer)
    }

    fn ready(hub: &Hub, id: SessionId, rx: &mut mpsc::Receiver<Outbound>) {
        assert!(hub.mark_ready(id, &Frame::from_event(&Event::Resync { reason: "r".into() })));
        assert!(rx.try_recv().is_ok());
    }

    fn tx_of(hub: &Hub, id: SessionId) -> mpsc::Sender<Outbound> {
        hub.lock().sessions.get(&id).expect("session").tx.clone()
    }

    fn frame() -> Frame {
        Frame::from_event(&Event::Resync { reason: "x".into() })
    }

    #[test]
    fn keys_are_ref_counted_and_planned_in_order() {
        let hub = Hub::default();
        let (a, _ra, _) = session(&hub, 1, 8);
        let (b, _rb, _) = session(&hub, 1, 8);
        assert_eq!(hub.plan_bindings(), vec![BindOp::Bind("user.1".into())]);
        hub.mark_bound("user.1");
        assert!(hub.install_groups(1, 0, HashSet::from([7])) == Install::Installed);
        assert_eq!(hub.plan_bindings(), vec![BindOp::Bind("group.7".into())]);
        hub.mark_bound("group.7");
        hub.unregister(a);
        assert!(hub.plan_bindings().is_empty(), "user 1 still has a session");
        hub.unregister(b);
        let mut ops = hub.plan_bindings();
        ops.sort_by_key(|op| format!("{op:?}"));
        assert_eq!(ops, vec![BindOp::Unbind("group.7".into()), BindOp::Unbind("user.1".into())]);
        assert!(!hub.all_bound(&["user.1".into()]), "unbinding keys leave the bound set at once");
    }

    #[test]
    fn sockets_per_user_are_capped_and_a_leaving_one_makes_room() {
        let hub = Hub::default();
        let register = |user| {
            let (tx, _rx) = mpsc::channel(1);
            hub.register(user, uuid::Uuid::new_v4(), tx, Closer::default(), 2)
        };
        let first = register(1).expect("first");
        register(1).expect("second");
        assert_eq!(register(1), Err(Refused::TooManySockets(2)));
        assert!(register(2).is_ok(), "per user");
        hub.unregister(first);
        assert!(register(1).is_ok());
        hub.shutdown(CloseCode::Restart, "bye");
        assert_eq!(register(3), Err(Refused::ShuttingDown));
    }

    #[test]
    fn group_events_reach_members_only_and_skip_the_typing_user() {
        let hub = Hub::default();
        let (a, mut ra, _) = session(&hub, 1, 8);
        let (b, mut rb, _) = session(&hub, 2, 8);
        let (c, mut rc, _) = session(&hub, 3, 8);
        for (id, rx, uid) in [(a, &mut ra, 1), (b, &mut rb, 2), (c, &mut rc, 3)] {
            ready(&hub, id, rx);
            let groups = if uid == 3 { HashSet::new() } else { HashSet::from([9]) };
            hub.install_groups(uid, 0, groups);
        }
        assert_eq!(hub.deliver(&[Audience::Group(9)], &frame(), Some(1)), 1);
        assert!(ra.try_recv().is_err() && rb.try_recv().is_ok() && rc.try_recv().is_err());
        hub.apply_membership(9, 2, false);
        assert_eq!(hub.deliver(&[Audience::Group(9)], &frame(), None), 1, "only user 1 left");
        assert_eq!(hub.deliver(&[Audience::User(1), Audience::User(1)], &frame(), None), 1, "once per session");
    }

    #[test]
    fn a_racing_membership_event_makes_a_load_stale() {
        let hub = Hub::default();
        let (_a, _ra, _) = session(&hub, 1, 8);
        let (generation, loaded) = hub.membership_generation(1).expect("local");
        assert!(!loaded);
        hub.apply_membership(5, 1, true);
        assert_eq!(hub.install_groups(1, generation, HashSet::new()), Install::Stale);
        assert_eq!(hub.install_groups(1, generation + 1, HashSet::from([5])), Install::Installed);
        assert!(hub.is_member(1, 5));
    }

    #[test]
    fn a_full_queue_closes_the_session_with_4008() {
        let hub = Hub::default();
        let (a, mut ra, closer) = session(&hub, 1, 2);
        ready(&hub, a, &mut ra);
        for _ in 0..2 {
            hub.deliver(&[Audience::User(1)], &frame(), None);
        }
        assert!(!closer.is_closed());
        assert_eq!(hub.deliver(&[Audience::User(1)], &frame(), None), 0);
        assert!(closer.is_closed());
    }

    #[test]
    fn presence_is_sent_once_per_state() {
        let hub = Hub::default();
        let (a, mut ra, _) = session(&hub, 1, 8);
        ready(&hub, a, &mut ra);
        hub.watch(a, &[2], &[]);
        assert_eq!(hub.deliver_presence(2, true, frame), (1, false));
        assert_eq!(hub.deliver_presence(2, true, frame), (0, false), "no repeat");
        assert_eq!(hub.deliver_presence(2, false, frame), (1, true));
        assert!(ra.try_recv().is_ok() && ra.try_recv().is_ok());
        let spare = tx_of(&hub, a);
        hub.answer_presence(a, vec![(2, true, frame())], spare.try_reserve_many(1).expect("room"));
        assert!(ra.try_recv().is_err(), "a stale answer does not override an event");
    }

    #[test]
    fn privacy_changes_who_follows_presence() {
        let hub = Hub::default();
        let (a, mut ra, _) = session(&hub, 1, 8);
        let (b, mut rb, _) = session(&hub, 3, 8);
        ready(&hub, a, &mut ra);
        ready(&hub, b, &mut rb);
        hub.watch(a, &[2], &[]);
        hub.watch(b, &[], &[2]);
        assert_eq!(hub.followers_of(2), vec![1, 3]);
        assert_eq!(hub.deliver_presence(2, true, frame), (1, false), "only the allowed viewer hears");
        assert!(ra.try_recv().is_ok() && rb.try_recv().is_err());
        // User 2 now lets 3 see it, not 1.
        assert!(hub.refollow(2, &HashSet::from([3]), &frame()), "someone started following");
        assert!(ra.try_recv().is_ok(), "1 is told 'offline, never seen'");
        assert_eq!(hub.deliver_presence(2, true, frame), (1, false), "3 hears the current state, 1 nothing");
        assert!(rb.try_recv().is_ok() && ra.try_recv().is_err());
        assert!(!hub.refollow(2, &HashSet::from([3]), &frame()), "nothing changes twice");
    }

    #[test]
    fn readers_who_hide_their_reads_see_nobody_elses() {
        let hub = Hub::default();
        let (a, mut ra, _) = session(&hub, 1, 8);
        let (b, mut rb, _) = session(&hub, 2, 8);
        ready(&hub, a, &mut ra);
        ready(&hub, b, &mut rb);
        hub.set_hides_reads(2, true);
        let redacted = || Frame::from_event(&Event::Resync { reason: "redacted".into() });
        let to_both = [Audience::User(1), Audience::User(2)];
        assert_eq!(hub.deliver_receipt(&to_both, &frame(), 1, redacted), 2);
        let text = |rx: &mut mpsc::Receiver<Outbound>| match rx.try_recv() {
            Ok(Outbound::Event(f)) => f.text.to_string(),
            _ => String::new(),
        };
        assert!(!text(&mut ra).contains("redacted"), "the reader sees its own");
        assert!(text(&mut rb).contains("redacted"));
        assert_eq!(hub.deliver_receipt(&to_both, &frame(), 2, redacted), 2);
        assert!(!text(&mut rb).contains("redacted"), "its own reads are never hidden from it");
        assert!(!text(&mut ra).contains("redacted"));
    }
}
