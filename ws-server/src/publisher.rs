//! Ephemeral publishes from ws-server itself (typing, presence): non-persistent, no confirm,
//! not in the outbox. Dropped while the broker is away (they only matter now).

use std::sync::{Arc, Mutex};

use lapin::Channel;
use shared::broker::{self, Outgoing};
use shared::events::Event;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("not connected to the broker")]
    NotConnected,
    #[error("broker error: {0}")]
    Broker(#[from] lapin::Error),
}

/// The consumer installs its publishing channel here while connected.
#[derive(Clone)]
pub struct Publisher {
    channel: Arc<Mutex<Option<Channel>>>,
    exchange: Arc<str>,
}

impl Publisher {
    pub fn new(exchange: &str) -> Self {
        Self { channel: Arc::default(), exchange: exchange.into() }
    }

    pub fn set(&self, channel: Option<Channel>) {
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
        broker::publish(&channel, &self.exchange, &msg, false).await?.await?;
        Ok(())
    }
}
