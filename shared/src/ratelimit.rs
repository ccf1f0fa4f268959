//! Fixed-window rate limits shared by every replica through Memcached.
//!
//! A counter per (limit, subject, window) lives in Memcached, so N api-server replicas enforce
//! one limit together. While Memcached is unreachable each process counts locally instead
//! (a limit per replica rather than none at all).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::cache::Cache;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Part of the key, e.g. "login".
    pub name: &'static str,
    pub max: u64,
    pub window_secs: u64,
}

pub struct RateLimiter {
    cache: Cache,
    local: Mutex<HashMap<String, u64>>,
}

impl RateLimiter {
    pub fn new(cache: Cache) -> Self {
        Self { cache, local: Mutex::new(HashMap::new()) }
    }

    /// Counts one hit of `subject` against `limit`. `Err(seconds)` when over the limit: the
    /// caller answers 429 with `Retry-After: seconds`. Blocking (Memcached).
    pub fn hit(&self, limit: Limit, subject: &str) -> Result<(), u64> {
        let (count, retry_after) = self.add(limit, subject, 1);
        if count > limit.max {
            Err(retry_after)
        } else {
            Ok(())
        }
    }

    /// Whether one more hit would still be within the limit, without counting it (for limits
    /// that count only failures). `Err(seconds)` when not. Blocking (Memcached).
    pub fn peek(&self, limit: Limit, subject: &str) -> Result<(), u64> {
        let (count, retry_after) = self.add(limit, subject, 0);
        if count >= limit.max {
            Err(retry_after)
        } else {
            Ok(())
        }
    }

    /// Adds `by` to the window's counter: (count now, seconds until the window ends).
    fn add(&self, limit: Limit, subject: &str, by: u64) -> (u64, u64) {
        let now = crate::num::non_negative(chrono::Utc::now().timestamp());
        let window = now / limit.window_secs;
        let retry_after = ((window + 1) * limit.window_secs - now).max(1);
        let key = format!("rl:{}:{}:{}", limit.name, subject, window);
        // Memcached keys may not hold spaces or control characters, and are at most 250 bytes.
        let key: String = key.chars().map(|c| if c.is_ascii_graphic() { c } else { '_' }).take(200).collect();
        let count = match self.cache.incr(&key, by, u32::try_from(limit.window_secs + 1).unwrap_or(u32::MAX)) {
            Ok(count) => count,
            Err(_) => self.add_locally(key, window, by),
        };
        (count, retry_after)
    }

    fn add_locally(&self, key: String, window: u64, by: u64) -> u64 {
        let Ok(mut map) = self.local.lock() else { return 0 };
        if map.len() > 100_000 {
            // Old windows are never read again.
            let suffix = format!(":{window}");
            map.retain(|k, _| k.ends_with(&suffix));
        }
        let count = map.entry(key).or_insert(0);
        *count += by;
        *count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_locally_when_memcached_is_down() {
        // Nothing listens on port 1: every call falls back to the local counter.
        let limiter = RateLimiter::new(Cache::new("memcache://127.0.0.1:1", "t:"));
        let limit = Limit { name: "test", max: 3, window_secs: 60 };
        for _ in 0..3 {
            assert!(limiter.hit(limit, "ip").is_ok());
        }
        let retry = limiter.hit(limit, "ip").expect_err("fourth hit is over the limit");
        assert!((1..=60).contains(&retry));
        assert!(limiter.hit(limit, "other-ip").is_ok(), "subjects are counted apart");
    }

    #[test]
    fn peeking_does_not_count() {
        let limiter = RateLimiter::new(Cache::new("memcache://127.0.0.1:1", "t:"));
        let limit = Limit { name: "failures", max: 2, window_secs: 60 };
        for _ in 0..5 {
            assert!(limiter.peek(limit, "acct").is_ok());
        }
        limiter.hit(limit, "acct").expect("first");
        assert!(limiter.peek(limit, "acct").is_ok(), "one left");
        limiter.hit(limit, "acct").expect("second");
        assert!(limiter.peek(limit, "acct").is_err(), "used up");
    }
}
