//! Memcached client with a key prefix (tests isolate themselves with their own prefix).
//!
//! Two implementations behind [`Backend`], chosen by `MEMCACHED_CLIENT` ([`CacheClient`]):
//! the project's own text-protocol client ([`own`], the default: one write per command, see
//! BENCHMARKS.md "Memcached client") and, with the `memcache-crate` feature, the `memcache`
//! crate ([`memcache_crate`]), kept to measure against. `MEMCACHED_URL` may list several
//! servers ([`servers`]); the own client spreads keys over them by rendezvous hashing
//! ([`ring`]), so losing one server loses only its keys.
//!
//! Callers treat `Err` as "cache unavailable" and degrade (presence shows offline, rate limits
//! fall back to the local process). All calls block: use them from `spawn_blocking` /
//! `web::block`.

#[cfg(feature = "memcache-crate")]
mod memcache_crate;
mod own;
mod protocol;
mod ring;
mod servers;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use protocol::{Item, ProtocolError};

#[derive(Debug, thiserror::Error)]
#[error("memcached unavailable: {0}")]
pub struct CacheError(String);

impl From<ProtocolError> for CacheError {
    fn from(e: ProtocolError) -> Self {
        CacheError(e.to_string())
    }
}

/// `MEMCACHED_CLIENT`: which implementation talks to Memcached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheClient {
    /// The own text-protocol client (`own`, the default).
    #[default]
    Own,
    /// The `memcache` crate with its binary protocol (`crate-binary`).
    CrateBinary,
    /// The `memcache` crate with its ASCII protocol (`crate-ascii`; `add` is refused).
    CrateAscii,
}

impl CacheClient {
    /// Whether this build can use it (the crate needs the `memcache-crate` feature).
    pub fn available(self) -> bool {
        self == CacheClient::Own || cfg!(feature = "memcache-crate")
    }
}

impl FromStr for CacheClient {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "own" => Ok(CacheClient::Own),
            "crate-binary" => Ok(CacheClient::CrateBinary),
            "crate-ascii" => Ok(CacheClient::CrateAscii),
            _ => Err(()),
        }
    }
}

/// The commands the servers use, on full (prefixed) keys.
trait Backend: Send + Sync {
    fn ping(&self) -> Result<(), CacheError>;
    fn add(&self, key: &str, value: &str, ttl: u32) -> Result<bool, CacheError>;
    fn set(&self, key: &str, value: &str, ttl: u32) -> Result<(), CacheError>;
    /// Values and CAS tokens of the keys that exist.
    fn gets(&self, keys: &[&str]) -> Result<HashMap<String, Item>, CacheError>;
    fn cas(&self, key: &str, value: &str, ttl: u32, cas: u64) -> Result<bool, CacheError>;
    fn delete(&self, key: &str) -> Result<bool, CacheError>;
    /// Adds `by` to a counter that expires `ttl` seconds after its creation.
    fn incr(&self, key: &str, by: u64, ttl: u32) -> Result<u64, CacheError>;
}

#[derive(Clone)]
pub struct Cache {
    backend: Arc<dyn Backend>,
    prefix: Arc<str>,
}

impl Cache {
    /// The own client. `url`: one `memcache://host:port[?timeout=<seconds>]` or several,
    /// comma-separated (see [`servers`]).
    pub fn new(url: &str, prefix: &str) -> Self {
        Self::with_client(url, prefix, CacheClient::Own)
    }

    /// The implementation `client` (the own client when this build lacks the crate).
    pub fn with_client(url: &str, prefix: &str, client: CacheClient) -> Self {
        let servers = servers::parse(url);
        let backend: Arc<dyn Backend> = match client {
            #[cfg(feature = "memcache-crate")]
            CacheClient::CrateBinary => {
                Arc::new(memcache_crate::CrateClient::new(servers, memcache_crate::Protocol::Binary))
            }
            #[cfg(feature = "memcache-crate")]
            CacheClient::CrateAscii => {
                Arc::new(memcache_crate::CrateClient::new(servers, memcache_crate::Protocol::Ascii))
            }
            _ => Arc::new(own::OwnClient::new(servers)),
        };
        Self { backend, prefix: prefix.into() }
    }

    pub fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    /// Every server answers.
    pub fn ping(&self) -> Result<(), CacheError> {
        self.backend.ping()
    }

    /// Stores only if absent. `Ok(false)`: the key existed (single-use guards).
    pub fn add(&self, key: &str, value: &str, ttl_secs: u32) -> Result<bool, CacheError> {
        self.backend.add(&self.key(key), value, ttl_secs)
    }

    pub fn set(&self, key: &str, value: &str, ttl_secs: u32) -> Result<(), CacheError> {
        self.backend.set(&self.key(key), value, ttl_secs)
    }

    pub fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self.get_cas(key)?.map(|(v, _)| v))
    }

    /// Value and CAS token.
    pub fn get_cas(&self, key: &str) -> Result<Option<(String, u64)>, CacheError> {
        let key = self.key(key);
        Ok(self.backend.gets(&[&key])?.remove(&key).map(|item| (item.value, item.cas)))
    }

    /// Compare-and-swap. `Ok(false)`: someone changed (or removed) it meanwhile.
    pub fn cas(&self, key: &str, value: &str, ttl_secs: u32, cas: u64) -> Result<bool, CacheError> {
        self.backend.cas(&self.key(key), value, ttl_secs, cas)
    }

    pub fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.backend.delete(&self.key(key))
    }

    /// Adds `by` to a counter that expires `ttl_secs` after its creation.
    pub fn incr(&self, key: &str, by: u64, ttl_secs: u32) -> Result<u64, CacheError> {
        self.backend.incr(&self.key(key), by, ttl_secs)
    }

    /// Multi-get; the result is keyed by the caller's (unprefixed) keys. With several servers,
    /// the keys of a server that is down read as missing (an error only when none answered).
    pub fn get_many(&self, keys: &[String]) -> Result<HashMap<String, String>, CacheError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let full: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let prefix_len = self.prefix.len();
        let found = self.backend.gets(&refs)?;
        Ok(found.into_iter().map(|(k, item)| (k[prefix_len..].to_owned(), item.value)).collect())
    }
}

#[cfg(test)]
#[cfg(feature = "testing")]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn cache(client: CacheClient) -> Cache {
        let url = &crate::testing::services().memcached_url;
        Cache::with_client(url, &format!("cachetest-{}:", uuid::Uuid::new_v4().simple()), client)
    }

    fn every_command(c: &Cache) {
        c.ping().expect("version");
        assert_eq!(c.get("missing").expect("memcached"), None);
        assert!(c.add("k", "first value", 60).expect("memcached"));
        assert!(!c.add("k", "second", 60).expect("memcached"), "add refuses an existing key");
        assert_eq!(c.get("k").expect("memcached").as_deref(), Some("first value"));
        every_command_but_add(c);
    }

    fn every_command_but_add(c: &Cache) {
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
        assert!(c.get("bad key").is_err(), "keys with spaces are refused, not sent");
        c.ping().expect("the connection is still usable after a refused key");
    }

    fn counters(c: &Cache) {
        assert_eq!(c.incr("n", 1, 60).expect("memcached"), 1);
        assert_eq!(c.incr("n", 5, 60).expect("memcached"), 6);
        assert_eq!(c.incr("ttl", 3, 1).expect("memcached"), 3);
        std::thread::sleep(Duration::from_millis(2_100));
        assert_eq!(c.incr("ttl", 1, 1).expect("memcached"), 1, "recreated after expiry");
    }

    fn unreachable_fails_fast(client: CacheClient) {
        let c = Cache::with_client("memcache://127.0.0.1:1?timeout=0.2", "x:", client);
        let started = Instant::now();
        assert!(c.get("k").is_err());
        let again = c.get("k").expect_err("unreachable").to_string();
        assert!(again.contains("retrying shortly"), "{again}");
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn every_command_against_the_real_memcached() {
        every_command(&cache(CacheClient::Own));
    }

    #[test]
    fn a_counter_expires_with_its_ttl() {
        counters(&cache(CacheClient::Own));
    }

    #[test]
    fn an_unreachable_server_fails_fast_and_is_retried_at_most_once_a_second() {
        unreachable_fails_fast(CacheClient::Own);
    }

    #[test]
    fn concurrent_callers_share_the_pool() {
        let url = &crate::testing::services().memcached_url;
        let own = Arc::new(own::OwnClient::new(servers::parse(url)));
        let key = format!("cachetest-{}:shared", uuid::Uuid::new_v4().simple());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (own, key) = (own.clone(), key.clone());
                std::thread::spawn(move || (0..50).for_each(|_| assert!(own.incr(&key, 1, 60).expect("incr") > 0)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("thread"));
        assert_eq!(own.gets(&[&key]).expect("memcached")[&key].value, "400");
        assert!(own.idle_connections() <= own::MAX_IDLE);
    }

    /// Two "servers" (two proxies in front of the one Memcached): with one of them cut, the
    /// keys the ring gives the other still work, and only the cut server's keys fail.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_several_servers_losing_one_loses_only_its_keys() {
        use crate::testing::{host_port, TcpProxy};
        let upstream = host_port(&crate::testing::services().memcached_url, "127.0.0.1:11211");
        let (a, b) = (TcpProxy::start(upstream.clone()).await, TcpProxy::start(upstream).await);
        let addrs = [format!("127.0.0.1:{}", a.port), format!("127.0.0.1:{}", b.port)];
        let url = format!("memcache://{}?timeout=0.3,memcache://{}?timeout=0.3", addrs[0], addrs[1]);
        let prefix = format!("cachetest-{}:", uuid::Uuid::new_v4().simple());
        let c = Cache::new(&url, &prefix);
        let keys: Vec<String> = (0..40).map(|i| format!("presence:{i}")).collect();
        let on_b: Vec<bool> = keys.iter().map(|k| ring::owner(&addrs, &c.key(k)) == 1).collect();
        assert!(on_b.iter().any(|&b| b) && on_b.iter().any(|&b| !b), "both servers own some keys");

        let (c2, keys2) = (c.clone(), keys.clone());
        tokio::task::spawn_blocking(move || keys2.iter().for_each(|k| c2.set(k, k, 60).expect("both up")))
            .await
            .expect("blocking");
        b.set_up(false);
        let (c2, keys2) = (c.clone(), keys.clone());
        let (singles, many) = tokio::task::spawn_blocking(move || {
            let singles: Vec<bool> = keys2.iter().map(|k| c2.get(k).is_ok_and(|v| v.as_deref() == Some(k))).collect();
            (singles, c2.get_many(&keys2))
        })
        .await
        .expect("blocking");
        for ((key, on_b), readable) in keys.iter().zip(&on_b).zip(&singles) {
            assert_eq!(*readable, !on_b, "{key}: readable only when its server is up");
        }
        let many = many.expect("one server still answers");
        assert_eq!(many.len(), on_b.iter().filter(|&&b| !b).count(), "the keys of the live server");
        assert!(c.ping().is_err(), "ping needs every server");
    }

    #[cfg(feature = "memcache-crate")]
    mod memcache_crate {
        use super::*;

        #[test]
        fn the_crate_with_the_binary_protocol_runs_every_command() {
            every_command(&cache(CacheClient::CrateBinary));
            counters(&cache(CacheClient::CrateBinary));
            unreachable_fails_fast(CacheClient::CrateBinary);
        }

        /// The crate's ASCII `add` says Ok even when the key existed: refused, never a false "stored".
        #[test]
        fn the_crate_with_the_ascii_protocol_refuses_add() {
            // Why: the crate itself says Ok to an add that stored nothing.
            let addr = crate::testing::host_port(&crate::testing::services().memcached_url, "127.0.0.1:11211");
            let raw = memcache::Client::connect(format!("memcache://{addr}?protocol=ascii")).expect("connect");
            let key = format!("cachetest-{}:raw", uuid::Uuid::new_v4().simple());
            raw.set(&key, "first", 60).expect("set");
            assert!(raw.add(&key, "second", 60).is_ok(), "the pitfall: Ok although the key exists");
            assert_eq!(raw.get::<String>(&key).expect("get").as_deref(), Some("first"), "nothing was stored");

            let c = cache(CacheClient::CrateAscii);
            assert!(c.add("k", "v", 60).is_err());
            every_command_but_add(&c);
            counters(&c);
        }

        #[test]
        fn the_crate_takes_several_servers() {
            let url = &crate::testing::services().memcached_url;
            let addr = crate::testing::host_port(url, "127.0.0.1:11211");
            let two = format!("memcache://{addr},memcache://{addr}");
            let c = Cache::with_client(
                &two,
                &format!("cachetest-{}:", uuid::Uuid::new_v4().simple()),
                CacheClient::CrateBinary,
            );
            every_command(&c);
        }
    }
}
