//! The project's own client: per server a small pool of buffered text-protocol connections
//! ([`protocol`](super::protocol)); keys go to servers by [`ring`](super::ring).
//!
//! Connects lazily and reconnects after failures (at most one attempt per second per server),
//! so a server starts and keeps serving while Memcached is away.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::protocol::{Connection, Item, ProtocolError};
use super::servers::Server;
use super::{ring, Backend, CacheError};

const RECONNECT_EVERY: Duration = Duration::from_secs(1);
pub(super) const MAX_IDLE: usize = 16;

pub struct OwnClient {
    pools: Vec<ServerPool>,
    /// The servers' host:port, what [`ring::owner`] ranks.
    addrs: Vec<String>,
}

impl OwnClient {
    pub fn new(servers: Vec<Server>) -> Self {
        let addrs = servers.iter().map(|s| s.addr.clone()).collect();
        Self { pools: servers.into_iter().map(ServerPool::new).collect(), addrs }
    }

    fn pool(&self, key: &str) -> &ServerPool {
        &self.pools[ring::owner(&self.addrs, key)]
    }

    #[cfg(test)]
    pub(super) fn idle_connections(&self) -> usize {
        self.pools.iter().map(|p| p.state().idle.len()).sum()
    }
}

impl Backend for OwnClient {
    /// Every server must answer.
    fn ping(&self) -> Result<(), CacheError> {
        self.pools.iter().try_for_each(|p| p.with(|c| c.version().map(|_| ())))
    }

    fn add(&self, key: &str, value: &str, ttl: u32) -> Result<bool, CacheError> {
        self.pool(key).with(|c| c.add(key, value, ttl))
    }

    fn set(&self, key: &str, value: &str, ttl: u32) -> Result<(), CacheError> {
        self.pool(key).with(|c| c.set(key, value, ttl))
    }

    /// One `gets` per server holding some of the keys. The answer of a server that is down is
    /// left out (its keys read as missing) unless every server asked failed.
    fn gets(&self, keys: &[&str]) -> Result<HashMap<String, Item>, CacheError> {
        let mut by_pool: HashMap<usize, Vec<&str>> = HashMap::new();
        for key in keys {
            by_pool.entry(ring::owner(&self.addrs, key)).or_default().push(key);
        }
        let (mut found, mut last_error, mut answered) = (HashMap::new(), None, false);
        for (i, keys) in by_pool {
            match self.pools[i].with(|c| c.gets(&keys)) {
                Ok(items) => {
                    answered = true;
                    found.extend(items);
                }
                Err(e) => last_error = Some(e),
            }
        }
        match last_error {
            Some(e) if !answered => Err(e),
            _ => Ok(found),
        }
    }

    fn cas(&self, key: &str, value: &str, ttl: u32, cas: u64) -> Result<bool, CacheError> {
        self.pool(key).with(|c| c.cas(key, value, ttl, cas))
    }

    fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.pool(key).with(|c| c.delete(key))
    }

    fn incr(&self, key: &str, by: u64, ttl: u32) -> Result<u64, CacheError> {
        self.pool(key).with(|c| c.incr_with_ttl(key, by, ttl))
    }
}

/// The connections to one server.
struct ServerPool {
    server: Server,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Idle connections; a call takes one (or opens one) and gives it back when it went well.
    idle: Vec<Connection>,
    /// When a connect last failed: no new attempt for [`RECONNECT_EVERY`].
    failed_at: Option<Instant>,
}

impl ServerPool {
    fn new(server: Server) -> Self {
        Self { server, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn connection(&self) -> Result<Connection, CacheError> {
        {
            let mut state = self.state();
            if let Some(conn) = state.idle.pop() {
                return Ok(conn);
            }
            if state.failed_at.is_some_and(|t| t.elapsed() < RECONNECT_EVERY) {
                return Err(CacheError(format!("{}: not connected (retrying shortly)", self.server.addr)));
            }
        }
        Connection::connect(&self.server.addr, self.server.timeout).map_err(|e| {
            self.state().failed_at = Some(Instant::now());
            self.error(e)
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
            Err(e) => Err(self.error(e)),
        }
    }

    fn error(&self, e: ProtocolError) -> CacheError {
        CacheError(format!("{}: {e}", self.server.addr))
    }
}
