//! WebSocket tickets: a JWT (aud `ws`, 30 s) issued by api-server, good for one connection.
//!
//! A ticket names the session (refresh-token family) it was minted for and the user's token
//! version at that moment. It is refused when the session has ended or the version is no longer
//! current (logout, a device signed out, a password reset, a suspension since it was minted),
//! through the same gate api-server applies to access tokens ([`shared::token_gate`]).
//!
//! Single use is enforced cluster-wide with Memcached `add wst:<jti>`. When Memcached is
//! unreachable the node falls back to a local set of used ids: a replay of the same ticket on
//! *another* node within its 30 s lifetime is then possible (accepted degradation).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use shared::auth::{TokenError, TokenKeys, AUD_WS};
use shared::cache::Cache;
use shared::db::PgPool;
use shared::ids::UserId;
use shared::token_gate;

/// How long a used id is remembered (covers the ticket's lifetime plus the verifier's leeway).
const REMEMBER: Duration = Duration::from_secs(60);
const LOCAL_MAX: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("a ticket is required (?ticket=, from POST /api/auth/ws-ticket)")]
    Missing,
    #[error("the ticket has expired")]
    Expired,
    #[error("the ticket is not valid, or its session has ended")]
    Invalid,
    #[error("the ticket was already used")]
    Reused,
    #[error("too many connections right now, retry shortly")]
    Overloaded,
    #[error("the session of this ticket cannot be checked right now, retry shortly")]
    Unverifiable,
}

/// Who a redeemed ticket lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    pub user_id: UserId,
    /// The session (signed-in device) the ticket was issued to.
    pub session: uuid::Uuid,
}

/// What redeeming a ticket needs: the keys that verify it, the stores its session is checked
/// in, and where its single use is recorded.
pub struct Tickets {
    keys: TokenKeys,
    cache: Cache,
    pool: PgPool,
    /// Ticket ids used on this node while Memcached was unreachable.
    used: UsedTickets,
}

impl Tickets {
    pub fn new(keys: TokenKeys, cache: Cache, pool: PgPool) -> Self {
        Self { keys, cache, pool, used: UsedTickets::default() }
    }

    /// Checks the ticket and uses it up.
    pub async fn redeem(&self, ticket: Option<&str>) -> Result<Admitted, TicketError> {
        let ticket = ticket.filter(|t| !t.is_empty()).ok_or(TicketError::Missing)?;
        let claims = self.keys.verify(ticket, AUD_WS).map_err(|e| match e {
            TokenError::Expired => TicketError::Expired,
            TokenError::Invalid => TicketError::Invalid,
        })?;
        let user_id = claims.user_id().ok_or(TicketError::Invalid)?;
        // Every ticket api-server mints names its session: one without is not ours.
        let session = claims.sid.ok_or(TicketError::Invalid)?;
        if claims.jti.is_empty() {
            return Err(TicketError::Invalid);
        }
        let (cache, pool, version) = (self.cache.clone(), self.pool.clone(), claims.ver);
        match tokio::task::spawn_blocking(move || token_gate::admits(&cache, &pool, user_id, version, session)).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => return Err(TicketError::Invalid),
            Ok(Err(e)) => {
                tracing::warn!(user_id = user_id.0, error = %e, "ticket's session could not be checked");
                return Err(TicketError::Unverifiable);
            }
            Err(_) => return Err(TicketError::Unverifiable),
        }
        let (cache, key) = (self.cache.clone(), format!("wst:{}", claims.jti));
        let fresh = match tokio::task::spawn_blocking(move || {
            cache.add(&key, "1", u32::try_from(REMEMBER.as_secs()).unwrap_or(u32::MAX))
        })
        .await
        {
            Ok(Ok(fresh)) => fresh,
            _ => self.used.insert(&claims.jti).ok_or(TicketError::Overloaded)?,
        };
        if fresh {
            Ok(Admitted { user_id, session })
        } else {
            Err(TicketError::Reused)
        }
    }
}

/// Ticket ids used on this node while Memcached was away. Bounded and expiring.
#[derive(Default)]
pub struct UsedTickets(Mutex<HashMap<String, Instant>>);

impl UsedTickets {
    /// `Some(true)` when the id is new (now recorded), `Some(false)` when already used,
    /// `None` when the set is full of live ids.
    pub fn insert(&self, jti: &str) -> Option<bool> {
        let mut used = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if used.contains_key(jti) {
            return Some(false);
        }
        if used.len() >= LOCAL_MAX {
            used.retain(|_, at| at.elapsed() < REMEMBER);
            if used.len() >= LOCAL_MAX {
                return None;
            }
        }
        used.insert(jti.to_owned(), Instant::now());
        Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_set_refuses_a_second_use() {
        let used = UsedTickets::default();
        assert_eq!(used.insert("a"), Some(true));
        assert_eq!(used.insert("a"), Some(false));
        assert_eq!(used.insert("b"), Some(true));
    }
}
