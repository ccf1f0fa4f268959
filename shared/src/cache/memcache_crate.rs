//! The `memcache` crate (0.21) behind the same interface, `MEMCACHED_CLIENT=crate-binary` or
//! `crate-ascii`: kept to measure it against the own client (BENCHMARKS.md, "Memcached
//! client"); built only with the `memcache-crate` feature.
//!
//! Its pools (r2d2, one per server) are built on first use and again after a failure, at most
//! once per second, so a process starts while Memcached is away. Several servers: the crate's
//! own key -> server mapping (a hash modulo the server count: adding or losing a server moves
//! most keys).
//!
//! ASCII protocol: the crate's `add` answers `Ok` whether or not it stored the value, so
//! single-use guards (ws tickets) and presence creation cannot rely on it. Here it is refused
//! with an error (callers then degrade as when Memcached is down) instead of claiming success.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use memcache::{Client, CommandError, MemcacheError};

use super::protocol::{check_key, Item};
use super::servers::Server;
use super::{Backend, CacheError};

const RECONNECT_EVERY: Duration = Duration::from_secs(1);
/// Connections per server, as many as the own client keeps idle.
const POOL_SIZE: u32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Binary,
    Ascii,
}

pub struct CrateClient {
    servers: Vec<Server>,
    protocol: Protocol,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    client: Option<Client>,
    failed_at: Option<Instant>,
}

impl CrateClient {
    pub fn new(servers: Vec<Server>, protocol: Protocol) -> Self {
        Self { servers, protocol, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The client (cheap to clone: the pools are shared), built when there is none.
    fn client(&self) -> Result<Client, CacheError> {
        let mut state = self.state();
        if let Some(client) = &state.client {
            return Ok(client.clone());
        }
        if state.failed_at.is_some_and(|t| t.elapsed() < RECONNECT_EVERY) {
            return Err(CacheError("not connected (retrying shortly)".into()));
        }
        match self.build() {
            Ok(client) => {
                state.client = Some(client.clone());
                state.failed_at = None;
                Ok(client)
            }
            Err(e) => {
                state.failed_at = Some(Instant::now());
                Err(error(e))
            }
        }
    }

    fn build(&self) -> Result<Client, MemcacheError> {
        let timeout = self.servers.iter().map(|s| s.timeout).max().unwrap_or(Duration::from_millis(500));
        let protocol = if self.protocol == Protocol::Ascii { "?protocol=ascii" } else { "" };
        let urls: Vec<String> = self.servers.iter().map(|s| format!("memcache://{}{protocol}", s.addr)).collect();
        Client::builder()
            .add_server(urls)?
            .with_max_pool_size(POOL_SIZE)
            .with_min_idle_conns(1)
            .with_connection_timeout(timeout)
            .with_read_timeout(timeout)
            .with_write_timeout(timeout)
            .build()
    }

    /// Runs `f`; an I/O or pool failure drops the client so that the next call rebuilds it.
    fn with<T>(&self, key: Option<&str>, f: impl FnOnce(&Client) -> Result<T, MemcacheError>) -> Result<T, CacheError> {
        if let Some(key) = key {
            check_key(key).map_err(|e| CacheError(e.to_string()))?;
        }
        let client = self.client()?;
        f(&client).map_err(|e| {
            if matches!(e, MemcacheError::IOError(_) | MemcacheError::PoolError(_)) {
                self.state().client = None;
            }
            error(e)
        })
    }
}

impl Backend for CrateClient {
    fn ping(&self) -> Result<(), CacheError> {
        self.with(None, |c| c.version().map(|_| ()))
    }

    fn add(&self, key: &str, value: &str, ttl: u32) -> Result<bool, CacheError> {
        if self.protocol == Protocol::Ascii {
            return Err(CacheError("add is unreliable with the memcache crate's ASCII protocol".into()));
        }
        self.with(Some(key), |c| match c.add(key, value, ttl) {
            Ok(()) => Ok(true),
            Err(MemcacheError::CommandError(CommandError::KeyExists)) => Ok(false),
            Err(e) => Err(e),
        })
    }

    fn set(&self, key: &str, value: &str, ttl: u32) -> Result<(), CacheError> {
        self.with(Some(key), |c| c.set(key, value, ttl))
    }

    fn gets(&self, keys: &[&str]) -> Result<HashMap<String, Item>, CacheError> {
        for key in keys {
            check_key(key).map_err(|e| CacheError(e.to_string()))?;
        }
        self.with(None, |c| {
            let found: HashMap<String, (String, u32, Option<u64>)> = c.gets(keys)?;
            Ok(found.into_iter().map(|(k, (value, _flags, cas))| (k, Item { value, cas: cas.unwrap_or(0) })).collect())
        })
    }

    fn cas(&self, key: &str, value: &str, ttl: u32, cas: u64) -> Result<bool, CacheError> {
        self.with(Some(key), |c| match c.cas(key, value, ttl, cas) {
            Err(MemcacheError::CommandError(CommandError::KeyExists | CommandError::KeyNotFound)) => Ok(false),
            other => other,
        })
    }

    fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.with(Some(key), |c| c.delete(key))
    }

    /// `add` of "0" with the TTL, then `incr`: two round trips (the crate's own `increment`
    /// would create a missing counter without an expiry).
    fn incr(&self, key: &str, by: u64, ttl: u32) -> Result<u64, CacheError> {
        self.with(Some(key), |c| {
            match c.add(key, "0", ttl) {
                Ok(()) | Err(MemcacheError::CommandError(CommandError::KeyExists)) => {}
                Err(e) => return Err(e),
            }
            c.increment(key, by)
        })
    }
}

fn error(e: MemcacheError) -> CacheError {
    CacheError(format!("memcache crate: {e}"))
}
