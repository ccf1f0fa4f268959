//! Ending sessions at once. Access tokens are stateless JWTs that live 15 minutes; each carries
//! the user's `token_version` at issue, and a suspension (later also a password reset or "log
//! out everywhere") bumps that version so every older token is refused on its next request.
//!
//! The version is authoritative in PostgreSQL and read through Memcached: one cache read per
//! authenticated request; PostgreSQL on a miss, or on every request while Memcached is down
//! (slower, never wrong). A bump overwrites the cached value after its commit; a reader's
//! fill uses `add`, so a stale fill racing a bump cannot replace the new value.

use shared::cache::Cache;
use shared::db::PgPool;
use shared::models::user::User;
use shared::Error;

/// How long a cached version lives (bounds the cache, not correctness).
const TTL_SECS: u32 = 600;

fn key(user_id: i64) -> String {
    format!("tokver:{user_id}")
}

/// Whether an access token of `user_id` carrying `version` is still good. Blocking. A user
/// that no longer exists has no good tokens.
pub fn accepts(cache: &Cache, pool: &PgPool, user_id: i64, version: i32) -> Result<bool, Error> {
    if let Ok(Some(current)) = cache.get(&key(user_id)) {
        if let Ok(current) = current.parse::<i32>() {
            return Ok(version >= current);
        }
    }
    let mut conn = pool.get()?;
    let Some(current) = User::token_version(&mut conn, user_id)? else { return Ok(false) };
    let _ = cache.add(&key(user_id), &current.to_string(), TTL_SECS);
    Ok(version >= current)
}

/// Publishes the version a committed transaction bumped to.
pub fn publish(cache: &Cache, user_id: i64, version: i32) {
    if cache.set(&key(user_id), &version.to_string(), TTL_SECS).is_err() {
        // Memcached unreachable: drop what it may still hold once it is back.
        let _ = cache.delete(&key(user_id));
    }
}
