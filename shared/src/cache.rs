//! Memcached client with a key prefix (tests isolate themselves with their own prefix).
//!
//! Connects lazily and reconnects after failures (at most one attempt per second), so a server
//! starts and keeps serving while Memcached is away: callers treat `Err` as "cache unavailable"
//! and degrade (presence shows offline, rate limits fall back to the local process).
//! All calls block: use them from `spawn_blocking` / `web::block`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use memcache::{CommandError, MemcacheError};

#[derive(Debug, thiserror::Error)]
#[error("memcached unavailable: {0}")]
pub struct CacheError(String);

impl From<MemcacheError> for CacheError {
    fn from(e: MemcacheError) -> Self {
        CacheError(e.to_string())
    }
}

#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    prefix: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    client: Option<memcache::Client>,
    last_attempt: Option<Instant>,
}

const RECONNECT_EVERY: Duration = Duration::from_secs(1);

impl Cache {
    pub fn new(url: &str, prefix: &str) -> Self {
        // Short timeouts: the cache must never stall a request for long.
        let url = if url.contains('?') { url.to_owned() } else { format!("{url}?timeout=0.5") };
        Self { inner: Arc::new(Inner { url, prefix: prefix.to_owned(), state: Mutex::new(State::default()) }) }
    }

    pub fn key(&self, key: &str) -> String {
        format!("{}{}", self.inner.prefix, key)
    }

    fn client(&self) -> Result<memcache::Client, CacheError> {
        let mut state = self.inner.state.lock().map_err(|_| CacheError("lock poisoned".into()))?;
        if let Some(c) = &state.client {
            return Ok(c.clone());
        }
        if state.last_attempt.is_some_and(|t| t.elapsed() < RECONNECT_EVERY) {
            return Err(CacheError("not connected (retrying shortly)".into()));
        }
        state.last_attempt = Some(Instant::now());
        let client = memcache::Client::builder()
            .add_server(self.inner.url.as_str())?
            .with_max_pool_size(16)
            .with_min_idle_conns(1)
            .with_connection_timeout(Duration::from_millis(500))
            .build()?;
        state.client = Some(client.clone());
        Ok(client)
    }

    /// Runs `f` with a client; an I/O-level failure drops the client so the next call reconnects.
    fn with<T>(&self, f: impl FnOnce(&memcache::Client) -> Result<T, MemcacheError>) -> Result<T, CacheError> {
        let client = self.client()?;
        match f(&client) {
            Ok(v) => Ok(v),
            Err(e) => {
                if matches!(e, MemcacheError::IOError(_) | MemcacheError::PoolError(_)) {
                    if let Ok(mut state) = self.inner.state.lock() {
                        state.client = None;
                    }
                }
                Err(e.into())
            }
        }
    }

    pub fn ping(&self) -> Result<(), CacheError> {
        self.with(|c| c.version().map(|_| ()))
    }

    /// Stores only if absent. `Ok(false)`: the key existed (single-use guards).
    pub fn add(&self, key: &str, value: &str, ttl_secs: u32) -> Result<bool, CacheError> {
        let key = self.key(key);
        self.with(|c| match c.add(&key, value, ttl_secs) {
            Ok(()) => Ok(true),
            Err(MemcacheError::CommandError(CommandError::KeyExists)) => Ok(false),
            Err(e) => Err(e),
        })
    }

    pub fn set(&self, key: &str, value: &str, ttl_secs: u32) -> Result<(), CacheError> {
        let key = self.key(key);
        self.with(|c| c.set(&key, value, ttl_secs))
    }

    pub fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let key = self.key(key);
        self.with(|c| c.get(&key))
    }

    /// Value and CAS token.
    pub fn get_cas(&self, key: &str) -> Result<Option<(String, u64)>, CacheError> {
        let key = self.key(key);
        self.with(|c| {
            let v: Option<(String, u32, Option<u64>)> = c.get(&key)?;
            Ok(v.and_then(|(v, _, cas)| cas.map(|cas| (v, cas))))
        })
    }

    /// Compare-and-swap. `Ok(false)`: someone changed (or removed) it meanwhile.
    pub fn cas(&self, key: &str, value: &str, ttl_secs: u32, cas: u64) -> Result<bool, CacheError> {
        let key = self.key(key);
        self.with(|c| match c.cas(&key, value, ttl_secs, cas) {
            Ok(stored) => Ok(stored),
            Err(MemcacheError::CommandError(CommandError::KeyNotFound | CommandError::KeyExists)) => Ok(false),
            Err(e) => Err(e),
        })
    }

    pub fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let key = self.key(key);
        self.with(|c| c.delete(&key))
    }

    /// Adds `by` to a counter that expires `ttl_secs` after its creation.
    // The binary protocol's increment creates a missing key itself, but without expiry: create
    // it with `add` (and the TTL) first.
    pub fn incr(&self, key: &str, by: u64, ttl_secs: u32) -> Result<u64, CacheError> {
        let key = self.key(key);
        self.with(|c| {
            match c.add(&key, 0u64, ttl_secs) {
                Ok(()) | Err(MemcacheError::CommandError(CommandError::KeyExists)) => {}
                Err(e) => return Err(e),
            }
            c.increment(&key, by)
        })
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
            let found: HashMap<String, String> = c.gets(&refs)?;
            Ok(found.into_iter().map(|(k, v)| (k[prefix_len..].to_owned(), v)).collect())
        })
    }
}
