//! Ephemeral publishes from ws-server itself (typing, presence): non-persistent, no confirm,
//! not in the outbox. Dropped while the broker is away (they only matter now).
//!
//! # Lifecycle
//! Its own AMQP connection (`ws.<node_id>.publish`), apart from the consumer's: RabbitMQ blocks
//! connections that publish while a memory or disk alarm is on, and a blocked connection is
//! not read any more, acks included, so sharing it would stall delivery to every socket here.
//! [`Publisher::run`] connects, installs the channel, and reconnects
//! ([`broker::run_connected`]) when the connection or channel dies.
//!
//! # Backpressure
//! A publish waits at most [`PUBLISH_TIMEOUT`] (a blocked connection stops taking frames once
//! the socket buffers are full); then it is dropped, so a socket's task never hangs on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::{Channel, Connection};
use shared::broker::{self, BrokerStatus, Connected, Ended, Outgoing, Reconnect};
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
    #[error("the event could not be serialized: {0}")]
    Encode(#[from] serde_json::Error),
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
        let payload = serde_json::to_vec(event)?;
        let msg = Outgoing { routing_key, cc: Vec::new(), payload };
        // Not in confirm mode: the returned confirm resolves at once.
        let publish = async { broker::publish(&channel, &self.exchange, &msg, false).await?.await };
        tokio::time::timeout(PUBLISH_TIMEOUT, publish).await.map_err(|_| PublishError::TimedOut)??;
        Ok(())
    }

    /// Keeps the publishing connection up (`shared::broker::run_connected`) until `shutdown`.
    /// Not counted as a reconnect of the node: the consumer's connection counts its outages.
    pub async fn run(self, amqp_url: String, name: String, shutdown: watch::Receiver<bool>) {
        let reconnect =
            Reconnect { counted: false, ..Reconnect::new(name.clone(), BrokerStatus::default(), SETUP_TIMEOUT) };
        let owner = Owner { publisher: self, amqp_url, name };
        broker::run_connected(&owner, reconnect, shutdown).await;
    }
}

/// The publishing connection's owner: connects, installs the channel while connected.
struct Owner {
    publisher: Publisher,
    amqp_url: String,
    name: String,
}

impl Connected for Owner {
    type Link = (Connection, Channel);
    type Error = lapin::Error;

    async fn connect(&self) -> lapin::Result<(Connection, Channel)> {
        let conn = broker::connect(&self.amqp_url, &self.name).await?;
        let channel = conn.create_channel().await?;
        broker::declare_exchange(&channel, &self.publisher.exchange).await?;
        Ok((conn, channel))
    }

    /// Watches the connection and the channel.
    async fn serve(&self, (conn, channel): &mut (Connection, Channel), shutdown: &mut watch::Receiver<bool>) -> Ended {
        let mut check = tokio::time::interval(CHECK_EVERY);
        loop {
            tokio::select! {
                _ = check.tick() => if !conn.status().connected() || !channel.status().connected() {
                    return Ended::Lost("the publishing connection or channel closed".into());
                },
                _ = shutdown.changed() => return Ended::Shutdown,
            }
        }
    }

    fn connection((conn, _): &(Connection, Channel)) -> &Connection {
        conn
    }

    fn on_connected(&self, (_, channel): &(Connection, Channel), _again: bool) {
        self.publisher.set(Some(channel.clone()));
    }

    fn on_lost(&self) {
        self.publisher.set(None);
    }
}
