//! Presence in Memcached: the value format and its compare-and-swap updates.
//!
//! Key `presence:<uid>` (behind the cache's prefix). Value: a JSON object mapping the id of each
//! ws-server node holding a live connection of the user to the time (ms since the epoch) until
//! which that node vouches for it, e.g. `{"ws-1":1732360000000,"ws-2":1732360004000}`.
//! A user is online while at least one entry lies in the future. Nodes change only their own
//! entry, with `cas`, so devices on several nodes never overwrite each other (no flapping), and
//! the entry of a crashed node simply runs out. The key's own TTL only collects garbage.
//!
//! Readers (ws-server's presence answers and sweeps, api-server's `GET /presence`) use
//! [`online_many`]. Every function blocks: call it from `spawn_blocking` / `web::block`.
//! Clocks of the nodes are assumed to agree within a few seconds (NTP).

use std::collections::{BTreeMap, HashMap};

use crate::cache::{Cache, CacheError};
use crate::ids::UserId;

/// Default time a node vouches for a user after each refresh (the design's 30 s).
pub const DEFAULT_TTL_MS: i64 = 30_000;

pub fn key(user_id: UserId) -> String {
    format!("presence:{user_id}")
}

#[derive(Debug, thiserror::Error)]
pub enum PresenceError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("presence of user {0} kept changing under us")]
    Contended(UserId),
}

/// The decoded value: node id -> expiry (ms since the epoch).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries(BTreeMap<String, i64>);

impl Entries {
    /// A value that does not parse counts as empty (it is rewritten on the next update).
    pub fn parse(raw: &str) -> Self {
        Self(serde_json::from_str(raw).unwrap_or_default())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    pub fn is_online(&self, now_ms: i64) -> bool {
        self.0.values().any(|&expiry| expiry > now_ms)
    }

    /// The latest expiry, live or not.
    pub fn latest_expiry(&self) -> Option<i64> {
        self.0.values().copied().max()
    }

    /// Sets (`Some`) or removes (`None`) `node`'s entry and drops every expired one.
    pub fn apply(&mut self, node: &str, expiry_ms: Option<i64>, now_ms: i64) {
        self.0.retain(|_, &mut expiry| expiry > now_ms);
        match expiry_ms {
            Some(expiry) => self.0.insert(node.to_owned(), expiry),
            None => self.0.remove(node),
        };
    }
}

/// Whether the user was online before the update and is after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub was_online: bool,
    pub is_online: bool,
}

impl Transition {
    pub fn came_online(self) -> bool {
        !self.was_online && self.is_online
    }
    pub fn went_offline(self) -> bool {
        self.was_online && !self.is_online
    }
}

const CAS_ATTEMPTS: usize = 8;

/// Sets this node's entry until `expiry_ms` (`Some`), or removes it (`None`), with cas.
pub fn update(
    cache: &Cache,
    user_id: UserId,
    node: &str,
    expiry_ms: Option<i64>,
    now_ms: i64,
    ttl_ms: i64,
) -> Result<Transition, PresenceError> {
    let key = key(user_id);
    // Whole seconds for Memcached, a little longer than any entry it holds.
    let key_ttl = u32::try_from(crate::num::non_negative(ttl_ms).div_ceil(1000) + 1).unwrap_or(u32::MAX);
    for _ in 0..CAS_ATTEMPTS {
        match cache.get_cas(&key)? {
            None => {
                let Some(expiry) = expiry_ms else {
                    return Ok(Transition { was_online: false, is_online: false });
                };
                let mut entries = Entries::default();
                entries.apply(node, Some(expiry), now_ms);
                if cache.add(&key, &entries.to_json(), key_ttl)? {
                    return Ok(Transition { was_online: false, is_online: entries.is_online(now_ms) });
                }
            }
            Some((raw, cas)) => {
                let mut entries = Entries::parse(&raw);
                let was_online = entries.is_online(now_ms);
                entries.apply(node, expiry_ms, now_ms);
                if cache.cas(&key, &entries.to_json(), key_ttl, cas)? {
                    return Ok(Transition { was_online, is_online: entries.is_online(now_ms) });
                }
            }
        }
    }
    Err(PresenceError::Contended(user_id))
}

/// What Memcached says about each user: `Some(entries)` when a value exists.
pub fn read_many(cache: &Cache, user_ids: &[UserId]) -> Result<HashMap<UserId, Entries>, CacheError> {
    let keys: Vec<String> = user_ids.iter().map(|&id| key(id)).collect();
    let found = cache.get_many(&keys)?;
    Ok(user_ids.iter().filter_map(|&id| found.get(&key(id)).map(|raw| (id, Entries::parse(raw)))).collect())
}

/// Online state of each user (absent or expired = offline).
pub fn online_many(cache: &Cache, user_ids: &[UserId], now_ms: i64) -> Result<HashMap<UserId, bool>, CacheError> {
    let found = read_many(cache, user_ids)?;
    Ok(user_ids.iter().map(|id| (*id, found.get(id).is_some_and(|e| e.is_online(now_ms)))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_per_node_and_expire() {
        let mut e = Entries::default();
        e.apply("a", Some(2_000), 1_000);
        e.apply("b", Some(1_500), 1_000);
        assert!(e.is_online(1_000));
        e.apply("a", None, 1_000);
        assert!(e.is_online(1_200), "b still vouches");
        assert!(!e.is_online(1_500), "b's entry ran out");
        e.apply("c", Some(3_000), 1_600);
        assert_eq!(e.to_json(), r#"{"c":3000}"#, "expired entries are dropped on write");
        assert_eq!(Entries::parse("not json"), Entries::default());
    }

    #[test]
    fn transitions() {
        assert!(Transition { was_online: false, is_online: true }.came_online());
        assert!(Transition { was_online: true, is_online: false }.went_offline());
        assert!(!Transition { was_online: true, is_online: true }.went_offline());
    }
}
