//! RabbitMQ topology and publishing, shared by the outbox relay and ws-server.
//!
//! One durable topic exchange (`chat.events` unless configured); persistent messages, publisher
//! confirms. Reconnection is done by the owners of a connection (relay, consumer) with
//! [`Backoff`], so each can re-declare what it needs and tell its clients.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongLongInt};
use lapin::Confirmation;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::watch;

/// Header carrying the publish time (ms since the epoch) for the delivery latency metric.
pub const PUBLISHED_AT_HEADER: &str = "x-published-at-ms";

/// One event ready to publish: routing key, extra routing keys (RabbitMQ's `CC`), JSON bytes.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub routing_key: String,
    pub cc: Vec<String>,
    pub payload: Vec<u8>,
}

/// Whether the owner of a broker connection is currently connected (for /readyz).
#[derive(Debug, Clone, Default)]
pub struct BrokerStatus(Arc<AtomicBool>);

impl BrokerStatus {
    pub fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

pub async fn connect(url: &str, name: &str) -> lapin::Result<Connection> {
    let props = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect(url, props).await
}

pub async fn declare_exchange(ch: &Channel, exchange: &str) -> lapin::Result<()> {
    ch.exchange_declare(
        exchange.into(),
        ExchangeKind::Topic,
        ExchangeDeclareOptions { durable: true, ..Default::default() },
        FieldTable::default(),
    )
    .await
}

/// A channel in confirm mode with the exchange declared.
pub async fn publisher_channel(conn: &Connection, exchange: &str) -> lapin::Result<Channel> {
    let ch = conn.create_channel().await?;
    ch.confirm_select(ConfirmSelectOptions::default()).await?;
    declare_exchange(&ch, exchange).await?;
    Ok(ch)
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("broker error: {0}")]
    Broker(#[from] lapin::Error),
    #[error("broker refused the message (nack)")]
    Nacked,
}

/// Publishes one persistent message and waits for the broker's confirm.
pub async fn publish_confirmed(ch: &Channel, exchange: &str, msg: &Outgoing) -> Result<(), PublishError> {
    let confirm = publish(ch, exchange, msg, true).await?;
    match confirm.await? {
        Confirmation::Nack(_) => Err(PublishError::Nacked),
        _ => Ok(()),
    }
}

/// Publishes without waiting for the confirm (the caller awaits the returned future, so a batch
/// of publishes shares one round trip).
pub async fn publish(
    ch: &Channel,
    exchange: &str,
    msg: &Outgoing,
    persistent: bool,
) -> lapin::Result<lapin::PublisherConfirm> {
    let mut headers = FieldTable::default();
    if !msg.cc.is_empty() {
        let cc: Vec<AMQPValue> = msg.cc.iter().map(|k| AMQPValue::LongString(k.as_str().into())).collect();
        headers.insert("CC".into(), AMQPValue::FieldArray(FieldArray::from(cc)));
    }
    headers.insert(PUBLISHED_AT_HEADER.into(), AMQPValue::LongLongInt(now_ms()));
    let props = BasicProperties::default()
        .with_delivery_mode(if persistent { 2 } else { 1 })
        .with_content_type("application/json".into())
        .with_headers(headers);
    ch.basic_publish(
        exchange.into(),
        msg.routing_key.as_str().into(),
        BasicPublishOptions::default(),
        &msg.payload,
        props,
    )
    .await
}

/// The publish time a message carries, if any.
pub fn published_at_ms(props: &BasicProperties) -> Option<LongLongInt> {
    match props.headers().as_ref()?.inner().get(PUBLISHED_AT_HEADER)? {
        AMQPValue::LongLongInt(v) => Some(*v),
        _ => None,
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Exponential backoff with full jitter, capped.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self { base, max, attempt: 0 }
    }
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16)).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let jitter: f64 = rand::random::<f64>() * 0.5 + 0.5;
        exp.mul_f64(jitter)
    }

    /// Waits out the next delay; `false` when `shutdown` was asked meanwhile.
    pub async fn pause(&mut self, shutdown: &mut watch::Receiver<bool>) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(self.next_delay()) => !*shutdown.borrow(),
            _ = shutdown.changed() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let first = b.next_delay();
        assert!(first <= Duration::from_millis(100));
        for _ in 0..20 {
            assert!(b.next_delay() <= Duration::from_secs(2));
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
