//! Sockets outlive nothing their session could not do: the periodic session check.
//!
//! A session ends by logout, a device signed out, a password reset or a suspension. api-server
//! announces each with `session.revoked` and the consumer closes the sockets at once; this is
//! the safety net for a node that missed the event (its broker connection was down, say): every
//! [`Tuning::session_check`] (at most an access token's lifetime) the node asks PostgreSQL which
//! of its sockets' sessions are still live and closes the others with 4001.
//!
//! # Concurrency model
//! One task per node. A round lists the (user, device) pairs under the hub's lock, queries
//! PostgreSQL without it (one query per [`CHUNK`] sessions), then closes under the lock again.
//! A socket that registers meanwhile is checked by its own setup and by the next round.
//!
//! # Lifecycle
//! Started with the node, stopped with it. A round that cannot reach PostgreSQL is skipped (the
//! next one tries again): a database outage never closes a socket.
//!
//! [`Tuning::session_check`]: crate::config::Tuning

use std::sync::Arc;
use std::time::Duration;

use actix_ws::CloseCode;
use shared::db::{self, PgPool};
use shared::models::refresh_token::RefreshToken;
use tokio::sync::watch;

use crate::close::SESSION_REVOKED;
use crate::hub::Hub;

/// Sessions asked about per query.
const CHUNK: usize = 1000;

/// Checks every `period` until `stop` says so.
pub async fn run(hub: Arc<Hub>, pool: PgPool, period: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        match check(&hub, &pool).await {
            Ok(0) => {}
            Ok(closed) => tracing::info!(closed, "sockets of ended sessions closed by the periodic check"),
            Err(e) => tracing::warn!(error = %e, "periodic session check skipped"),
        }
    }
}

/// One round: closes the sockets whose session is no longer live; returns how many. Also run
/// after a broker reconnect ([`crate::reload`]), when `session.revoked` events may have been lost.
pub async fn check(hub: &Hub, pool: &PgPool) -> Result<usize, shared::Error> {
    let devices = hub.devices();
    if devices.is_empty() {
        return Ok(0);
    }
    let asked = devices.clone();
    let live = db::run(pool, move |conn| {
        let mut live = std::collections::HashSet::new();
        for chunk in asked.chunks(CHUNK) {
            live.extend(RefreshToken::live_among(conn, chunk)?);
        }
        Ok(live)
    })
    .await?;
    let code = CloseCode::Other(SESSION_REVOKED);
    Ok(devices
        .iter()
        .filter(|d| !live.contains(d))
        .map(|(user_id, device)| hub.close_user(*user_id, Some(&[*device]), code, "session revoked"))
        .sum())
}
