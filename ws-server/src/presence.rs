//! This node's side of presence (format and cas updates in `shared::presence`).
//!
//! One task, ticking every 250 ms, batches the Memcached work off the async workers:
//! - *joins*: a user's first socket here became ready -> write this node's entry; publish
//!   `presence.<uid>` online when no other node vouched for the user;
//! - *leaves*: a user's last socket here closed [`Tuning::offline_grace`] ago (a page reload
//!   does not flap) -> remove this node's entry; publish offline and write `last_seen_at` when
//!   no other node vouches any more;
//! - *refresh*: every third of the TTL, rewrite the entries of the users connected here (their
//!   sockets are alive: a socket silent for 3 heartbeats is closed);
//! - *sweep*: re-read the users someone here follows and push changes nobody published (the
//!   entries of a crashed node running out).
//!
//! Events reach the watchers through the broker (this node included, via `presence.*`); the
//! hub sends each session a state only when it changes, so a sweep and an event never double.
//! Memcached down: writes fail (logged once), answers and sweeps say offline, chat goes on.
//! On shutdown the entries are left to expire, so clients moving to another replica do not
//! flap offline.
//!
//! [`Tuning::offline_grace`]: crate::config::Tuning

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::broker::now_ms;
use shared::cache::Cache;
use shared::db::PgPool;
use shared::events::{Event, PresenceEvent, RoutingKey};
use shared::presence::{self, Entries, Transition};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::Tuning;
use crate::hub::{Frame, Hub};
use crate::membership;
use crate::publisher::Publisher;
use shared::ids::UserId;

const TICK: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct Presence {
    inner: Arc<Inner>,
}

struct Inner {
    cache: Cache,
    pool: PgPool,
    hub: Arc<Hub>,
    publisher: Publisher,
    node_id: String,
    ttl: Duration,
    sweep: Duration,
    grace: Duration,
    pending: Mutex<Pending>,
    cache_down: AtomicBool,
}

#[derive(Default)]
struct Pending {
    joins: HashSet<UserId>,
    leaves: HashMap<UserId, Instant>,
    /// Users this node has an entry for (or must write one for).
    held: HashSet<UserId>,
}

impl Presence {
    pub fn new(cache: Cache, pool: PgPool, hub: Arc<Hub>, publisher: Publisher, node_id: &str, t: &Tuning) -> Self {
        Self {
            inner: Arc::new(Inner {
                cache,
                pool,
                hub,
                publisher,
                node_id: node_id.to_owned(),
                ttl: t.presence_ttl,
                sweep: t.presence_sweep,
                grace: t.offline_grace,
                pending: Mutex::default(),
                cache_down: AtomicBool::new(false),
            }),
        }
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A socket of `user_id` became ready here.
    pub fn joined(&self, user_id: UserId) {
        let mut p = self.pending();
        p.leaves.remove(&user_id);
        p.joins.insert(user_id);
    }

    /// The last socket of `user_id` here closed.
    pub fn left(&self, user_id: UserId) {
        let mut p = self.pending();
        p.joins.remove(&user_id);
        p.leaves.insert(user_id, Instant::now() + self.inner.grace);
    }

    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let refresh_every = self.inner.ttl / 3;
        let (mut next_refresh, mut next_sweep) = (Instant::now() + refresh_every, Instant::now() + self.inner.sweep);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            self.flush().await;
            let now = Instant::now();
            if now >= next_refresh {
                next_refresh = now + refresh_every;
                self.refresh().await;
            }
            if now >= next_sweep {
                next_sweep = now + self.inner.sweep;
                self.sweep().await;
            }
        }
    }

    /// Joins, and leaves whose grace is over.
    async fn flush(&self) {
        let hub = &self.inner.hub;
        let now = Instant::now();
        let updates: Vec<(UserId, bool)> = {
            let mut p = self.pending();
            let joins: Vec<UserId> = p.joins.drain().filter(|&uid| hub.has_user(uid)).collect();
            // Stopping: entries are left to run out, so clients moving to another node do not flap.
            let due: Vec<UserId> = match hub.is_shutting_down() {
                true => Vec::new(),
                false => p.leaves.iter().filter(|(_, at)| **at <= now).map(|(uid, _)| *uid).collect(),
            };
            let mut updates: Vec<(UserId, bool)> = Vec::new();
            for uid in due {
                p.leaves.remove(&uid);
                if !hub.has_user(uid) && p.held.remove(&uid) {
                    updates.push((uid, false));
                }
            }
            for uid in joins {
                p.held.insert(uid);
                updates.push((uid, true));
            }
            updates
        };
        self.write(updates).await;
    }

    async fn refresh(&self) {
        let hub = &self.inner.hub;
        let users: Vec<(UserId, bool)> =
            self.pending().held.iter().filter(|&&uid| hub.has_user(uid)).map(|&uid| (uid, true)).collect();
        self.write(users).await;
    }

    /// Writes (`true`) or removes (`false`) this node's entries, then announces transitions.
    async fn write(&self, updates: Vec<(UserId, bool)>) {
        if updates.is_empty() {
            return;
        }
        let (cache, node, ttl_ms) = (self.inner.cache.clone(), self.inner.node_id.clone(), self.ttl_ms());
        let results = tokio::task::spawn_blocking(move || {
            let now = now_ms();
            updates
                .into_iter()
                .map(|(uid, on)| (uid, presence::update(&cache, uid, &node, on.then_some(now + ttl_ms), now, ttl_ms)))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (uid, result) in results {
            match result {
                Ok(t) => {
                    self.cache_up();
                    self.on_transition(uid, t).await;
                }
                Err(e) => self.cache_failed(&e),
            }
        }
    }

    async fn on_transition(&self, user_id: UserId, t: Transition) {
        if t.came_online() {
            self.announce(user_id, true, None).await;
        } else if t.went_offline() {
            let at = Utc::now();
            if let Err(e) = membership::record_last_seen(&self.inner.pool, user_id, at).await {
                tracing::warn!(user_id = user_id.0, error = %e, "cannot record last_seen_at");
            }
            self.announce(user_id, false, Some(at)).await;
        }
    }

    async fn announce(&self, user_id: UserId, online: bool, last_seen_at: Option<DateTime<Utc>>) {
        let event = Event::Presence(PresenceEvent { user_id, online, last_seen_at });
        if let Err(e) = self.inner.publisher.publish(RoutingKey::Presence(user_id).to_string(), &event).await {
            // Ephemeral: the sweeps of the watching nodes catch up.
            tracing::debug!(user_id = user_id.0, error = %e, "presence change not published");
        }
    }

    /// Pushes changes of followed users that nobody announced (crashed nodes, lost events).
    async fn sweep(&self) {
        let watched = self.inner.hub.watched_users();
        if watched.is_empty() {
            return;
        }
        let cache = self.inner.cache.clone();
        let ids = watched.clone();
        let read = tokio::task::spawn_blocking(move || presence::read_many(&cache, &ids)).await;
        let (found, known) = match read {
            Ok(Ok(found)) => (found, true),
            // Memcached down: everyone shows offline.
            _ => (HashMap::new(), false),
        };
        let now = now_ms();
        for uid in watched {
            let entries = found.get(&uid);
            let online = entries.is_some_and(|e| e.is_online(now));
            let last_seen = (!online).then(|| self.last_alive(entries, now));
            let frame =
                || Frame::from_event(&Event::Presence(PresenceEvent { user_id: uid, online, last_seen_at: last_seen }));
            let (_, was_online) = self.inner.hub.deliver_presence(uid, online, frame);
            if let (true, false, true, Some(at)) = (was_online, online, known, last_seen) {
                let _ = membership::record_last_seen(&self.inner.pool, uid, at).await;
            }
        }
    }

    /// When an offline user was last vouched for: the last refresh of the last entry to run
    /// out, or now when nothing is left.
    fn last_alive(&self, entries: Option<&Entries>, now: i64) -> DateTime<Utc> {
        let ms = entries.and_then(Entries::latest_expiry).map(|e| (e - self.ttl_ms()).min(now)).unwrap_or(now);
        DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now)
    }

    /// Who may see `user_id`'s presence changed (privacy settings, contacts, blocks): re-checks
    /// the sessions here that follow it, in the background.
    pub fn visibility_changed(&self, user_id: UserId) {
        let followers = self.inner.hub.followers_of(user_id);
        if followers.is_empty() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            match membership::presence_viewers(&this.inner.pool, user_id, followers).await {
                Ok(allowed) => this.apply_visibility(user_id, &allowed).await,
                Err(e) => {
                    tracing::warn!(user_id = user_id.0, error = %e, "cannot re-check who may see a user's presence")
                }
            }
        });
    }

    /// Re-checks who may see every followed user (after a broker outage, when the
    /// `privacy.updated` events published meanwhile were lost).
    pub async fn recheck_visibility(&self) -> shared::Result<()> {
        let hub = &self.inner.hub;
        let targets = hub.followed_users();
        if targets.is_empty() {
            return Ok(());
        }
        let viewers: Vec<UserId> = hub.local_users().into_iter().map(|(uid, _)| uid).collect();
        let mut allowed: HashMap<UserId, HashSet<UserId>> = HashMap::new();
        for (target, viewer) in membership::presence_pairs(&self.inner.pool, targets.clone(), viewers).await? {
            allowed.entry(target).or_default().insert(viewer);
        }
        for target in targets {
            self.apply_visibility(target, &allowed.remove(&target).unwrap_or_default()).await;
        }
        Ok(())
    }

    /// Sessions of users not in `allowed` stop following `user_id` (told "offline, never seen");
    /// those now allowed follow it again and get its current state.
    async fn apply_visibility(&self, user_id: UserId, allowed: &HashSet<UserId>) {
        let hidden = Frame::from_event(&Event::Presence(PresenceEvent { user_id, online: false, last_seen_at: None }));
        if self.inner.hub.refollow(user_id, allowed, hidden.as_ref()) {
            if let Some(now) = self.current(&[user_id]).await.pop() {
                self.inner.hub.deliver_presence(user_id, now.online, || Frame::from_event(&Event::Presence(now)));
            }
        }
    }

    /// Current presence of `ids` for a `presence.subscribe` answer.
    pub async fn current(&self, ids: &[UserId]) -> Vec<PresenceEvent> {
        let (cache, list) = (self.inner.cache.clone(), ids.to_vec());
        let online = tokio::task::spawn_blocking(move || presence::online_many(&cache, &list, now_ms()))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let is_online = |id: &UserId| online.get(id).copied().unwrap_or(false);
        let offline: Vec<UserId> = ids.iter().filter(|id| !is_online(id)).copied().collect();
        let seen = membership::last_seen_of(&self.inner.pool, offline).await.unwrap_or_default();
        ids.iter()
            .map(|&id| PresenceEvent {
                user_id: id,
                online: is_online(&id),
                last_seen_at: if is_online(&id) { None } else { seen.get(&id).copied().flatten() },
            })
            .collect()
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.inner.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    fn cache_up(&self) {
        if self.inner.cache_down.swap(false, Ordering::Relaxed) {
            tracing::info!("memcached is back: presence is tracked again");
        }
    }

    fn cache_failed(&self, e: &presence::PresenceError) {
        if !self.inner.cache_down.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %e, "presence not written: users show offline until memcached is back");
        }
    }
}
