//! Ephemeral publishes from ws-server itself (typing, presence): non-persistent, no confirm,
//! not in the outbox. Dropped while the broker is away (they only matter now).
//!
//! # Lifecycle
//! Its own AMQP connection (`ws.<node_id>.publish`), apart from the consumer's: RabbitMQ blocks
//! connections that publish while a memory or disk alarm is on, and a blocked connection is
//! not read any more, acks included, so sharing it would stall delivery to every socket here.
//! [`Publisher::run`] connects, installs the channel, and reconnects with backoff when the
//! connection or channel dies.
//!
//! # Backpressure
//! A publish waits at most [`PUBLISH_TIMEOUT`] (a blocked connection stops taking frames once
//! the socket buffers are full); then it is dropped, so a session's reader never hangs on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::{Channel, Connection};
use shared::broker::{self, Backoff, Outgoing};
use shared::events::Event;
use tokio::sync::watch;

pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(1);
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);
const CHECK_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("not connected to the broker")]
    NotConnected,
    #[error("the broker did not take the message in time")]
    TimedOut,
    #[error("broker error: {0}")]
    Broker(#[from] lapin::Error),
}

/// The channel of the publishing connection, while connected.
#[derive(Clone)]
pub struct Publisher {
    channel: Arc<Mutex<Option<Channel>>>,
    exchange: Arc<str>,
}

impl Publisher {
    pub fn new(exchange: &str) -> Self {
        Self { channel: Arc::default(), exchange: exchange.into() }
    }

    fn set(&self, channel: Option<Channel>) {
        if let Ok(mut slot) = self.channel.lock() {
            *slot = channel;
        }
    }

    fn channel(&self) -> Option<Channel> {
        self.channel.lock().ok()?.clone()
    }

    pub async fn publish(&self, routing_key: String, event: &Event) -> Result<(), PublishError> {
        let channel = self.channel().ok_or(PublishError::NotConnected)?;
        let payload = serde_json::to_vec(event).unwrap_or_default();
        let msg = Outgoing { routing_key, cc: Vec::new(), payload };
        // Not in confirm mode: the returned confirm resolves at once.
        let publish = async { broker::publish(&channel, &self.exchange, &msg, false).await?.await };
        tokio::time::timeout(PUBLISH_TIMEOUT, publish).await.map_err(|_| PublishError::TimedOut)??;
        Ok(())
    }

    /// Keeps the publishing connection up until `shutdown`.
    pub async fn run(self, amqp_url: String, name: String, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        loop {
            let attempt = tokio::select! {
                r = tokio::time::timeout(SETUP_TIMEOUT, self.connect(&amqp_url, &name)) => r,
                _ = shutdown.changed() => return,
            };
            match attempt {
                Ok(Ok((conn, channel))) => {
                    backoff.reset();
                    self.set(Some(channel.clone()));
                    let stopping = self.serve(&conn, &channel, &mut shutdown).await;
                    self.set(None);
                    let _ = tokio::time::timeout(Duration::from_secs(1), conn.close(200, "bye".into())).await;
                    if stopping {
                        return;
                    }
                    tracing::warn!(connection = name, "lost the publishing connection to RabbitMQ, reconnecting");
                }
                Ok(Err(e)) => tracing::warn!(error = %e, connection = name, "cannot connect to publish, retrying"),
                Err(_) => tracing::warn!(connection = name, "connecting to publish timed out, retrying"),
            }
            if !backoff.pause(&mut shutdown).await {
                return;
            }
        }
    }

    async fn connect(&self, amqp_url: &str, name: &str) -> lapin::Result<(Connection, Channel)> {
        let conn = broker::connect(amqp_url, name).await?;
        let channel = conn.create_channel().await?;
        broker::declare_exchange(&channel, &self.exchange).await?;
        Ok((conn, channel))
    }

    /// Watches the connection; `true` when stopping, `false` when it died.
    async fn serve(&self, conn: &Connection, channel: &Channel, shutdown: &mut watch::Receiver<bool>) -> bool {
        let mut check = tokio::time::interval(CHECK_EVERY);
        loop {
            tokio::select! {
                _ = check.tick() => if !conn.status().connected() || !channel.status().connected() {
                    return false;
                },
                _ = shutdown.changed() => return true,
            }
        }
    }
}
