//! The outbox relay: publishes committed outbox rows to RabbitMQ.
//!
//! *Concurrency model*: one relay task per api-server process. Each batch is claimed with
//! `FOR UPDATE SKIP LOCKED` inside a transaction, published on a confirm-mode channel, and marked
//! published only after every confirm arrived, still in that transaction; so several processes
//! relay together without publishing a row twice while all is well, and a process killed
//! anywhere in between leaves its rows to be published by the next relay (at-least-once).
//!
//! *Lifecycle*: connect (backoff with jitter, forever) -> drain on wake-up (a local commit) or
//! every `OUTBOX_POLL_MS` (commits of other processes) -> on a broker error, reconnect.
//! `BrokerStatus` says whether it is connected, for /readyz.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use lapin::{Channel, Confirmation};
use shared::broker::{self, Backoff, BrokerStatus};
use shared::db::PgPool;
use shared::models::outbox::OutboxRow;
use tokio::sync::{watch, Notify};

const BATCH: i64 = 500;

type TxManager = AnsiTransactionManager;

pub struct Relay {
    pub pool: PgPool,
    pub amqp_url: String,
    pub exchange: String,
    pub node_id: String,
    pub poll: Duration,
    pub status: BrokerStatus,
    pub wakeup: Arc<Notify>,
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    #[error("broker refused a message")]
    Nacked,
    #[error("relay task failed: {0}")]
    Join(String),
}

impl Relay {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        let mut connected_before = false;
        let mut last_housekeeping = Instant::now() - Duration::from_secs(3600);
        while !*shutdown.borrow() {
            let connection = tokio::time::timeout(
                Duration::from_secs(10),
                broker::connect(&self.amqp_url, &format!("outbox-relay {}", self.node_id)),
            )
            .await;
            let conn = match connection {
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "outbox relay cannot reach RabbitMQ, retrying");
                    if sleep_or_shutdown(backoff.next_delay(), &mut shutdown).await {
                        return;
                    }
                    continue;
                }
                Err(_) => {
                    tracing::warn!("outbox relay: connecting to RabbitMQ timed out, retrying");
                    continue;
                }
            };
            let channel = match broker::publisher_channel(&conn, &self.exchange).await {
                Ok(ch) => ch,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox relay cannot open a channel, retrying");
                    let _ = conn.close(200, "retry".into()).await;
                    if sleep_or_shutdown(backoff.next_delay(), &mut shutdown).await {
                        return;
                    }
                    continue;
                }
            };
            if connected_before {
                metrics::counter!(shared::metrics::BROKER_RECONNECTS).increment(1);
            }
            connected_before = true;
            backoff.reset();
            self.status.set(true);
            tracing::info!(exchange = %self.exchange, "outbox relay connected to RabbitMQ");

            loop {
                if last_housekeeping.elapsed() > Duration::from_secs(5) {
                    last_housekeeping = Instant::now();
                    self.housekeeping().await;
                }
                match self.drain(&channel).await {
                    Ok(n) if n as i64 == BATCH => continue,
                    Ok(_) => {}
                    Err(RelayError::Broker(e)) => {
                        tracing::warn!(error = %e, "outbox relay lost RabbitMQ, reconnecting");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox relay could not publish, retrying");
                        if sleep_or_shutdown(Duration::from_secs(1), &mut shutdown).await {
                            break;
                        }
                    }
                }
                if !conn.status().connected() {
                    tracing::warn!("outbox relay: RabbitMQ connection closed, reconnecting");
                    break;
                }
                tokio::select! {
                    _ = self.wakeup.notified() => {}
                    _ = tokio::time::sleep(self.poll) => {}
                    _ = shutdown.changed() => break,
                }
            }
            self.status.set(false);
            let _ = conn.close(200, "bye".into()).await;
        }
    }

    /// Publishes pending rows, one batch; returns how many.
    ///
    /// The claim's transaction stays open on the checked-out connection while the batch is
    /// published and confirmed on the async side (no `block_on` in a blocking thread, so a
    /// shutting-down runtime never waits on a confirm it can no longer drive); then the rows
    /// are marked and the transaction commits. A connection dropped mid-way is discarded by the
    /// pool (open transaction) and PostgreSQL rolls the claim back.
    async fn drain(&self, channel: &Channel) -> Result<usize, RelayError> {
        let pool = self.pool.clone();
        let (conn, rows) = blocking(move || {
            let mut conn = pool.get()?;
            TxManager::begin_transaction(&mut *conn)?;
            let rows = OutboxRow::claim_pending(&mut conn, BATCH)?;
            Ok((conn, rows))
        })
        .await?;
        let published = publish_all(channel, &self.exchange, &rows).await;
        let count = rows.len();
        blocking(move || {
            let mut conn = conn;
            match published {
                Ok(()) => {
                    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                    if !ids.is_empty() {
                        OutboxRow::mark_published(&mut conn, &ids)?;
                    }
                    TxManager::commit_transaction(&mut *conn)?;
                    Ok(count)
                }
                Err(e) => {
                    let _ = TxManager::rollback_transaction(&mut *conn);
                    Err(e)
                }
            }
        })
        .await
    }

    /// The pending gauge, and pruning rows published long ago.
    async fn housekeeping(&self) {
        let pool = self.pool.clone();
        let result = tokio::task::spawn_blocking(move || -> Result<i64, RelayError> {
            let mut conn = pool.get()?;
            OutboxRow::prune_published(&mut conn)?;
            Ok(OutboxRow::count_pending(&mut conn)?)
        })
        .await;
        if let Ok(Ok(pending)) = result {
            metrics::gauge!(shared::metrics::OUTBOX_PENDING).set(pending as f64);
        }
    }
}

/// Publishes the batch, then waits for the confirms: one round trip per batch.
async fn publish_all(channel: &Channel, exchange: &str, rows: &[OutboxRow]) -> Result<(), RelayError> {
    let mut confirms = Vec::with_capacity(rows.len());
    for row in rows {
        confirms.push(broker::publish(channel, exchange, &row.to_outgoing(), true).await?);
    }
    for confirm in confirms {
        if let Confirmation::Nack(_) = confirm.await? {
            return Err(RelayError::Nacked);
        }
    }
    if !rows.is_empty() {
        tracing::debug!(count = rows.len(), "outbox rows published");
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RelayError> + Send + 'static,
) -> Result<T, RelayError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| RelayError::Join(e.to_string()))?
}

/// Sleeps; true when shutdown was asked meanwhile.
async fn sleep_or_shutdown(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}
