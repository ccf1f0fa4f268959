//! Ending sessions at once. Access tokens and WebSocket tickets are stateless JWTs; each carries
//! the user's `token_version` at issue, and ending a session (logout, a device signed out, a
//! password reset, a suspension) bumps that version so every older token is refused on its next
//! use: by api-server on every authenticated request, by ws-server when a ticket is redeemed.
//!
//! The version is authoritative in PostgreSQL and read through Memcached: one cache read per
//! authenticated request; PostgreSQL on a miss, or on every request while Memcached is down
//! (slower, never wrong). A bump overwrites the cached value after its commit; a reader's
//! fill uses `add`, so a stale fill racing a bump cannot replace the new value.
//!
//! A session is a refresh-token family; it is live while one of its tokens is neither revoked
//! nor expired. That is read from PostgreSQL only (no cache to go stale): ws-server asks when a
//! ticket is redeemed, again once the socket's bindings are in place, and periodically for every
//! open socket (see `ws-server/src/revalidate.rs`).

use crate::cache::Cache;
use crate::db::PgPool;
use crate::ids::UserId;
use crate::models::refresh_token::RefreshToken;
use crate::models::user::User;
use crate::Error;

/// How long a cached version lives (bounds the cache, not correctness).
const TTL_SECS: u32 = 600;

fn key(user_id: UserId) -> String {
    format!("tokver:{user_id}")
}

/// Whether a token (access token, ticket) of `user_id` carrying `version` is still good.
/// Blocking. A user that no longer exists has no good tokens.
pub fn accepts(cache: &Cache, pool: &PgPool, user_id: UserId, version: i32) -> Result<bool, Error> {
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
pub fn publish(cache: &Cache, user_id: UserId, version: i32) {
    if cache.set(&key(user_id), &version.to_string(), TTL_SECS).is_err() {
        // Memcached unreachable: drop what it may still hold once it is back.
        let _ = cache.delete(&key(user_id));
    }
}

/// Whether `session` is a live session of `user_id`. Blocking (PostgreSQL).
pub fn session_live(pool: &PgPool, user_id: UserId, session: uuid::Uuid) -> Result<bool, Error> {
    let mut conn = pool.get()?;
    Ok(RefreshToken::family_is_live(&mut conn, user_id, session)?)
}

/// What a WebSocket ticket must pass: a current token version and a live session. Blocking.
pub fn admits(cache: &Cache, pool: &PgPool, user_id: UserId, version: i32, session: uuid::Uuid) -> Result<bool, Error> {
    Ok(accepts(cache, pool, user_id, version)? && session_live(pool, user_id, session)?)
}
