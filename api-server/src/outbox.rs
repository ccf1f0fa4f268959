//! The outbox relay: publishes committed outbox rows to RabbitMQ, in id order, one relay at a
//! time.
//!
//! *Concurrency model*: every api-server runs a relay; one of them, the leader, publishes.
//! Leadership is a session-level advisory lock on a PostgreSQL connection of its own
//! ([`leader::Session`]); the other relays stand by and try for it every `OUTBOX_POLL_MS`, so
//! when the leader dies another takes over within a poll. The leader publishes the oldest
//! pending rows in id order on one confirm-mode channel. Transactions that must be seen in
//! order (a member's removal, then a message of that group) allocate their outbox ids in commit
//! order (they lock the same conversation rows first, see `domain::groups` and
//! `domain::messages`), so the broker sees the removal before any message committed after it.
//!
//! *Lifecycle*: connect to RabbitMQ (backoff with jitter, forever) -> lead or stand by -> as
//! leader, on wake-up (a local commit through `AppState::write`, or any replica's commit heard
//! by [`listen`]'s `LISTEN`) or every poll (`OUTBOX_SAFETY_POLL_MS` while listening, else
//! `OUTBOX_POLL_MS`): read a batch (a plain SELECT, no transaction), set aside the rows that do
//! not decode (never published empty), publish the rest, await their confirms at most
//! `OUTBOX_CONFIRM_TIMEOUT_MS`, delete them (a short transaction of its own). No database transaction is open while the
//! broker is awaited. A broker error or a confirm timeout leaves the rows pending and gives up
//! leadership (another relay may reach the broker) before reconnecting. A crash between the
//! publish and the mark publishes those rows again: at-least-once, clients dedupe by seq.
//! The connection is kept by `shared::broker::run_connected` (backoff, the `BrokerStatus` that
//! /readyz reads, the reconnect metric, the logs).

mod error;
mod leader;
pub mod listen;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lapin::{Channel, Confirmation, Connection};
use shared::broker::{self, BrokerStatus, Connected, Ended, Outgoing, Reconnect};
use shared::db::PgPool;
use shared::models::outbox::OutboxRow;
use tokio::sync::{watch, Notify};

pub use self::error::RelayError;
use self::leader::Session;
use self::listen::Listening;

const BATCH: i64 = 500;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(5);

pub struct Relay {
    pub pool: PgPool,
    /// For the leadership session (a connection outside the pool).
    pub database_url: String,
    pub amqp_url: String,
    pub exchange: String,
    pub node_id: String,
    /// Standby: how often to try for the lead; leader: how often to poll while not listening.
    pub poll: Duration,
    /// Leader: how often to poll while its LISTEN connection is up (commits wake it).
    pub safety_poll: Duration,
    pub listening: Listening,
    pub confirm_timeout: Duration,
    pub status: BrokerStatus,
    pub wakeup: Arc<Notify>,
}

impl Relay {
    /// Keeps a broker connection (`shared::broker::run_connected`) and leads or stands by on it.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let reconnect = Reconnect::new(self.connection_name(), self.status.clone(), CONNECT_TIMEOUT);
        broker::run_connected(&self, reconnect, shutdown).await;
    }

    fn connection_name(&self) -> String {
        format!("outbox-relay {}", self.node_id)
    }

    /// Stands by or leads on this broker connection until it fails. Leadership (the session)
    /// ends with this call: a relay without a broker leaves the publishing to another.
    async fn serve(&self, conn: &Connection, channel: &Channel, shutdown: &mut watch::Receiver<bool>) -> Ended {
        let mut session: Option<Session> = None;
        let (mut leading, mut db_trouble) = (false, false);
        let mut last_housekeeping: Option<Instant> = None;
        loop {
            if last_housekeeping.is_none_or(|at| at.elapsed() > HOUSEKEEPING_EVERY) {
                last_housekeeping = Some(Instant::now());
                self.housekeeping().await;
            }
            if !leading {
                leading = self.try_lead(&mut session, &mut db_trouble).await;
            }
            if let (true, Some(leader)) = (leading, session.as_ref()) {
                match self.drain(channel, leader).await {
                    Ok(n) if shared::num::len_i64(n) == BATCH => continue,
                    Ok(_) => {}
                    Err(e @ (RelayError::Broker(_) | RelayError::ConfirmTimeout)) => return Ended::Lost(e.to_string()),
                    Err(RelayError::Nacked) => tracing::warn!("the broker refused an outbox batch, retrying"),
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox relay lost its database session, standing by");
                        (session, leading) = (None, false);
                    }
                }
            }
            if !conn.status().connected() {
                return Ended::Lost("connection closed".into());
            }
            // Only the leader acts on commits (local, or another replica's NOTIFY); a standby
            // just tries again next poll.
            let woken = async {
                match leading {
                    true => self.wakeup.notified().await,
                    false => std::future::pending().await,
                }
            };
            let poll = if leading && self.listening.is_up() { self.safety_poll } else { self.poll };
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => return Ended::Shutdown,
            }
        }
    }

    /// Opens the session if needed and tries for the lock; whether this relay now leads.
    /// Database trouble is logged once per episode (`trouble`), not at every poll.
    async fn try_lead(&self, session: &mut Option<Session>, trouble: &mut bool) -> bool {
        let attempt = async {
            if session.is_none() {
                *session = Some(Session::open(self.database_url.clone()).await?);
            }
            match session.as_ref() {
                Some(s) => s.try_lead().await,
                None => Ok(false),
            }
        };
        match attempt.await {
            Ok(leads) => {
                *trouble = false;
                if leads {
                    tracing::info!(node_id = %self.node_id, "outbox relay leads");
                }
                leads
            }
            Err(e) => {
                if !std::mem::replace(trouble, true) {
                    tracing::warn!(error = %e, "outbox relay cannot reach its database session, retrying");
                }
                *session = None;
                false
            }
        }
    }

    /// Publishes the oldest pending rows, one batch; returns how many it read. A row that does
    /// not decode is set aside ([`OutboxRow::mark_failed`]), logged and counted, never published.
    #[tracing::instrument(name = "relay_batch", skip_all)]
    async fn drain(&self, channel: &Channel, leader: &Session) -> Result<usize, RelayError> {
        let rows = leader.pending(BATCH).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let count = rows.len();
        let mut ready = Vec::with_capacity(count);
        for row in &rows {
            match row.to_outgoing() {
                Ok(outgoing) => ready.push((row.id, outgoing)),
                Err(e) => {
                    tracing::error!(outbox_id = row.id, error = %e, "outbox row does not decode: set aside, not published");
                    metrics::counter!(shared::metrics::OUTBOX_FAILED).increment(1);
                    leader.mark_failed(row.id, e.to_string()).await?;
                }
            }
        }
        tokio::time::timeout(self.confirm_timeout, publish_all(channel, &self.exchange, &ready))
            .await
            .map_err(|_| RelayError::ConfirmTimeout)??;
        leader.remove_published(ready.into_iter().map(|(id, _)| id).collect()).await?;
        tracing::debug!(count, "outbox rows published");
        Ok(count)
    }

    /// The pending gauge.
    async fn housekeeping(&self) {
        let pool = self.pool.clone();
        let result = tokio::task::spawn_blocking(move || -> Result<i64, RelayError> {
            let mut conn = pool.get()?;
            Ok(OutboxRow::count_pending(&mut conn)?)
        })
        .await;
        if let Ok(Ok(pending)) = result {
            metrics::gauge!(shared::metrics::OUTBOX_PENDING).set(pending as f64);
        }
    }
}

impl Connected for Relay {
    type Link = (Connection, Channel);
    type Error = lapin::Error;

    async fn connect(&self) -> lapin::Result<(Connection, Channel)> {
        let conn = broker::connect(&self.amqp_url, &self.connection_name()).await?;
        let channel = broker::publisher_channel(&conn, &self.exchange).await?;
        Ok((conn, channel))
    }

    async fn serve(&self, (conn, channel): &mut (Connection, Channel), shutdown: &mut watch::Receiver<bool>) -> Ended {
        Relay::serve(self, conn, channel, shutdown).await
    }

    fn connection((conn, _): &(Connection, Channel)) -> &Connection {
        conn
    }
}

/// Publishes the batch in order, then waits for the confirms: one round trip per batch.
async fn publish_all(channel: &Channel, exchange: &str, rows: &[(i64, Outgoing)]) -> Result<(), RelayError> {
    let mut confirms = Vec::with_capacity(rows.len());
    for (_, outgoing) in rows {
        confirms.push(broker::publish(channel, exchange, outgoing, true).await?);
    }
    for confirm in confirms {
        if let Confirmation::Nack(_) = confirm.await? {
            return Err(RelayError::Nacked);
        }
    }
    Ok(())
}
