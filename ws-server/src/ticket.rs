//! WebSocket tickets: a JWT (aud `ws`, 30 s) issued by api-server, good for one connection.
//!
//! A ticket names the session (refresh-token family) it was minted for and the user's token
//! version at that moment. It is refused when the session has ended or the version is no longer
//! current (logout, a device signed out, a password reset, a suspension since it was minted),
//! through the same gate api-server applies to access tokens ([`shared::token_gate`]).
//!
//! # Single use
//! Recorded in PostgreSQL (`ws_ticket_uses`, [`shared::models::ws_ticket`]): redeeming inserts
//! the ticket's id with `ON CONFLICT DO NOTHING`, and only the insert that created the row lets a
//! socket in; every other redeem of that id, on any node, answers [`TicketError::Reused`]. The
//! database is the one store every node shares that does not forget: Memcached (where this used
//! to live, `add wst:<jti>`) loses its keys when a server restarts empty, cannot answer while a
//! server is unreachable, and sends a key to another server when the ring changes (a node with a
//! different server list, a server added), and each of those let a used ticket in once more
//! within its lifetime. Memcached is no longer asked at all: a fast path in front of the table
//! could only ever say "used" (never "new"), so it would save nothing on the first use, which is
//! the common one.
//!
//! # Cost
//! A redeem already reads PostgreSQL (the session check). The inserts are batched by the
//! [`Ledger`]: one task per node takes every use waiting for it and records them in one
//! statement, one statement in flight at a time; at low rates that is one insert per connect
//! without waiting, under a connect storm the batches grow (up to [`MAX_BATCH`]) instead of the
//! statements. Rows live until a minute after their ticket expired ([`SWEEP_AFTER_SECS`]: the
//! verifier's 5 s leeway plus room for clock differences between the api node that set `exp`
//! and the database), swept by every ws node each [`SWEEP_EVERY`].
//!
//! # When PostgreSQL cannot answer
//! The redeem answers [`TicketError::Unverifiable`] (503 `database_unavailable`, retry): the
//! session check needs the database too, so nothing is lost that was not already.

use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::auth::{TokenError, TokenKeys, AUD_WS};
use shared::cache::Cache;
use shared::db::PgPool;
use shared::ids::UserId;
use shared::models::ws_ticket;
use shared::token_gate;
use tokio::sync::{mpsc, oneshot};

/// Uses recorded in one statement at most.
pub const MAX_BATCH: usize = 512;
/// Redeems waiting for the ledger beyond this are refused as [`TicketError::Overloaded`].
const QUEUE: usize = 8_192;
/// A row is kept this long past its ticket's expiry.
pub const SWEEP_AFTER_SECS: i32 = 60;
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

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
    ledger: Ledger,
}

impl Tickets {
    /// Starts the node's [`Ledger`] (call within the runtime).
    pub fn new(keys: TokenKeys, cache: Cache, pool: PgPool) -> Self {
        Self { keys, cache, ledger: Ledger::start(pool.clone()), pool }
    }

    /// Checks the ticket and uses it up.
    pub async fn redeem(&self, ticket: Option<&str>) -> Result<Admitted, TicketError> {
        let ticket = ticket.filter(|t| !t.is_empty()).ok_or(TicketError::Missing)?;
        let claims = self.keys.verify(ticket, AUD_WS).map_err(|e| match e {
            TokenError::Expired => TicketError::Expired,
            TokenError::Invalid => TicketError::Invalid,
        })?;
        let user_id = claims.user_id().ok_or(TicketError::Invalid)?;
        // Every ticket api-server mints names its session and has a UUID for its id: one
        // without is not ours.
        let session = claims.sid.ok_or(TicketError::Invalid)?;
        let jti = uuid::Uuid::parse_str(&claims.jti).map_err(|_| TicketError::Invalid)?;
        let expires_at = DateTime::<Utc>::from_timestamp(claims.exp, 0).ok_or(TicketError::Invalid)?;
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
        if self.ledger.record(jti, expires_at).await? {
            Ok(Admitted { user_id, session })
        } else {
            Err(TicketError::Reused)
        }
    }
}

/// One redeem waiting for its use to be recorded.
struct Use {
    jti: uuid::Uuid,
    expires_at: DateTime<Utc>,
    /// `Ok(true)`: first use; `Ok(false)`: used before; `Err`: the database did not answer.
    answer: oneshot::Sender<Result<bool, TicketError>>,
}

/// The node's writer of ticket uses to PostgreSQL: batches, one statement in flight, and the
/// periodic sweep. Ends when the [`Tickets`] holding it is dropped.
pub struct Ledger {
    tx: mpsc::Sender<Use>,
}

impl Ledger {
    pub fn start(pool: PgPool) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_uses(pool, rx));
        Self { tx }
    }

    /// Records a use of `jti`: `Ok(true)` when it is the first.
    pub async fn record(&self, jti: uuid::Uuid, expires_at: DateTime<Utc>) -> Result<bool, TicketError> {
        let (answer, answered) = oneshot::channel();
        self.tx.try_send(Use { jti, expires_at, answer }).map_err(|_| TicketError::Overloaded)?;
        answered.await.unwrap_or(Err(TicketError::Unverifiable))
    }
}

async fn write_uses(pool: PgPool, mut rx: mpsc::Receiver<Use>) {
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, MAX_BATCH) => {
                if n == 0 {
                    return; // every sender is gone
                }
                answer(&pool, std::mem::take(&mut batch)).await;
            }
            _ = sweep.tick() => {
                let pool = pool.clone();
                let swept = tokio::task::spawn_blocking(move || {
                    let mut conn = pool.get().map_err(|e| e.to_string())?;
                    ws_ticket::sweep(&mut conn, SWEEP_AFTER_SECS).map_err(|e| e.to_string())
                })
                .await;
                match swept {
                    Ok(Ok(n)) => tracing::debug!(rows = n, "used ws tickets swept"),
                    Ok(Err(e)) => tracing::warn!(error = %e, "sweeping used ws tickets failed"),
                    Err(_) => tracing::warn!("sweeping used ws tickets panicked"),
                }
            }
        }
    }
}

/// Records one batch and answers each waiting redeem; an id twice in the batch is new once.
async fn answer(pool: &PgPool, uses: Vec<Use>) {
    let rows: Vec<(uuid::Uuid, DateTime<Utc>)> = uses.iter().map(|u| (u.jti, u.expires_at)).collect();
    let pool = pool.clone();
    let recorded = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        ws_ticket::record(&mut conn, &rows).map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|_| Err("the task panicked".into()));
    match recorded {
        Ok(mut fresh) => {
            for u in uses {
                let _ = u.answer.send(Ok(fresh.remove(&u.jti)));
            }
        }
        Err(error) => {
            tracing::warn!(uses = uses.len(), error = %error, "ticket uses could not be recorded");
            for u in uses {
                let _ = u.answer.send(Err(TicketError::Unverifiable));
            }
        }
    }
}
