//! Memcached client with a key prefix (tests isolate themselves with their own prefix), over a
//! small pool of text-protocol connections ([`protocol`]).
//!
//! Connects lazily and reconnects after failures (at most one attempt per second), so a server
//! starts and keeps serving while Memcached is away: callers treat `Err` as "cache unavailable"
//! and degrade (presence shows offline, rate limits fall back to the local process).
//! All calls block: use them from `spawn_blocking` / `web::block`.

mod protocol;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use protocol::{Connection, ProtocolError};

#[derive(Debug, thiserror::Error)]
#[error("memcached unavailable: {0}")]
pub struct CacheError(String);

impl From<ProtocolError> for CacheError {
    fn from(e: ProtocolError) -> Self {
        CacheError(e.to_string())
    }
}

#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    /// host:port
    addr: String,
    prefix: String,
    timeout: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Idle connections; a call takes one (or opens one) and gives it back when it went well.
    idle: Vec<Connection>,
    /// When a connect last failed: no new attempt for [`RECONNECT_EVERY`].
    failed_at: Option<Instant>,
}

const RECONNECT_EVERY: Duration = Duration::from_secs(1);
const MAX_IDLE: usize = 16;

impl Cache {
    /// `url`: `memcache://host:port`, optionally `?timeout=<seconds>` (default 0.5: the cache
    /// must never stall a request for long).
    pub fn new(url: &str, prefix: &str) -> Self {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let (addr, query) = rest.split_once('?').unwrap_or((rest, ""));
        let timeout = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("timeout="))
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .map_or(Duration::from_millis(500), Duration::from_secs_f64);
        let addr = addr.trim_end_matches('/').to_owned();
        let state = Mutex::new(State::default());
        Self { inner: Arc::new(Inner { addr, prefix: prefix.to_owned(), timeout, state }) }
    }

    pub fn key(&self, key: &str) -> String {
        format!("{}{}", self.inner.prefix, key)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn connection(&self) -> Result<Connection, CacheError> {
        {
            let mut state = self.state();
            if let Some(conn) = state.idle.pop() {
                return Ok(conn);
            }
            if state.failed_at.is_some_and(|t| t.elapsed() < RECONNECT_EVERY) {
                return Err(CacheError("not connected (retrying shortly)".into()));
            }
        }
        Connection::connect(&self.inner.addr, self.inner.timeout).map_err(|e| {
            self.state().failed_at = Some(Instant::now());
            e.into()
        })
    }

    /// Runs `f` on a connection; one that failed is dropped (the next call opens a new one).
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, ProtocolError>) -> Result<T, CacheError> {
        let mut conn = self.connection()?;
        let result = f(&mut conn);
        let mut state = self.state();
        match result {
            Ok(v) => {
                state.failed_at = None;
                if state.idle.len() < MAX_IDLE {
                    state.idle.push(conn);
                }
                Ok(v)
            }
            Err(ProtocolError::BadKey(k)) => {
                state.idle.push(conn);
                Err(CacheError(format!("invalid key {k:?}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn ping(&self) -> Result<(), CacheError> {
        self.with(|c| c.version().map(|_| ()))
    }

    /// Stores only if absent. `Ok(false)`: the key existed (single-use guards).
    pub fn add(&self, key: &str, value: &str, ttl_secs: u32) -> Result<bool, CacheError> {
        let key = self.key(key);
        self.with(|c| c.add(&key, value, ttl_secs))
    }

    pub fn set(&self, key: &str, value: &str, ttl_secs: u32) -> Result<(), CacheError> {
        let key = self.key(key);
        self.with(|c| c.set(&key, value, ttl_secs))
    }

    pub fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self.get_cas(key)?.map(|(v, _)| v))
    }

    /// Value and CAS token.
    pub fn get_cas(&self, key: &str) -> Result<Option<(String, u64)>, CacheError> {
        let key = self.key(key);
        self.with(|c| Ok(c.gets(&[&key])?.remove(&key).map(|item| (item.value, item.cas))))
    }

    /// Compare-and-swap. `Ok(false)`: someone changed (or removed) it meanwhile.
    pub fn cas(&self, key: &str, value: &str, ttl_secs: u32, cas: u64) -> Result<bool, CacheError> {
        let key = self.key(key);
        self.with(|c| c.cas(&key, value, ttl_secs, cas))
    }

    pub fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let key = self.key(key);
        self.with(|c| c.delete(&key))
    }

    /// Adds `by` to a counter that expires `ttl_secs` after its creation (one round trip).
    pub fn incr(&self, key: &str, by: u64, ttl_secs: u32) -> Result<u64, CacheError> {
        let key = self.key(key);
        self.with(|c| c.incr_with_ttl(&key, by, ttl_secs))
    }

    /// Multi-get; the result is keyed by the caller's (unprefixed) keys.
    pub fn get_many(&self, keys: &[String]) -> Result<HashMap<String, String>, CacheError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let full: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let prefix_len = self.inner.prefix.len();
        self.with(|c| {
            let found = c.gets(&refs)?;
            Ok(found.into_iter().map(|(k, item)| (k[prefix_len..].to_owned(), item.value)).collect())
        })
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;

    fn cache() -> Cache {
        let url = &crate::testing::services().memcached_url;
        Cache::new(url, &format!("cachetest-{}:", uuid::Uuid::new_v4().simple()))
    }

    #[test]
    fn every_command_against_the_real_memcached() {
        let c = cache();
        c.ping().expect("version");
        assert_eq!(c.get("missing").expect("memcached"), None);
        assert!(c.add("k", "first value", 60).expect("memcached"));
        assert!(!c.add("k", "second", 60).expect("memcached"), "add refuses an existing key");
        assert_eq!(c.get("k").expect("memcached").as_deref(), Some("first value"));
        // Values are length-delimited: CRLF, spaces and UTF-8 inside are data.
        let odd = "line one\r\nEND\r\nVALUE x 0 1\r\n é";
        c.set("k", odd, 60).expect("memcached");
        assert_eq!(c.get("k").expect("memcached").as_deref(), Some(odd));
        let (v, token) = c.get_cas("k").expect("memcached").expect("cas");
        assert_eq!(v, odd);
        assert!(c.cas("k", "swapped", 60, token).expect("memcached"));
        assert!(!c.cas("k", "stale", 60, token).expect("memcached"), "a used token fails");
        assert!(!c.cas("gone", "x", 60, 1).expect("memcached"), "cas on a missing key fails");
        c.set("other", "2", 60).expect("memcached");
        let many = c.get_many(&["k".into(), "other".into(), "nope".into()]).expect("memcached");
        assert_eq!(many.len(), 2);
        assert_eq!((many["k"].as_str(), many["other"].as_str()), ("swapped", "2"));
        assert!(c.delete("k").expect("memcached"));
        assert!(!c.delete("k").expect("memcached"));
        assert_eq!(c.incr("n", 1, 60).expect("memcached"), 1);
        assert_eq!(c.incr("n", 5, 60).expect("memcached"), 6);
        assert!(c.get("bad key").is_err(), "keys with spaces are refused, not sent");
        c.ping().expect("the connection is still usable after a refused key");
    }

    #[test]
    fn a_counter_expires_with_its_ttl() {
        let c = cache();
        assert_eq!(c.incr("ttl", 3, 1).expect("memcached"), 3);
        std::thread::sleep(Duration::from_millis(2_100));
        assert_eq!(c.incr("ttl", 1, 1).expect("memcached"), 1, "recreated after expiry");
    }

    #[test]
    fn an_unreachable_server_fails_fast_and_is_retried_at_most_once_a_second() {
        let c = Cache::new("memcache://127.0.0.1:1?timeout=0.2", "x:");
        let started = Instant::now();
        assert!(c.get("k").is_err());
        let again = c.get("k").expect_err("unreachable").to_string();
        assert!(again.contains("retrying shortly"), "{again}");
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn concurrent_callers_share_the_pool() {
        let c = cache();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || (0..50).for_each(|_| assert!(c.incr("shared", 1, 60).expect("incr") > 0)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("thread"));
        assert_eq!(c.get("shared").expect("memcached").as_deref(), Some("400"));
        assert!(c.state().idle.len() <= MAX_IDLE);
    }
}
