//! RabbitMQ topology and publishing, shared by the outbox relay and ws-server.
//!
//! One durable topic exchange (`chat.events` unless configured); persistent messages, publisher
//! confirms. Every owner of a connection (relay, ws consumer, ws publisher) keeps it up with the
//! one loop of [`reconnect`]: it says what to set up on a connection and how to serve it, the
//! loop owns the backoff, the status flag, the reconnect metric and the logs.

mod backoff;
mod endpoints;
mod reconnect;

pub use backoff::Backoff;
pub use endpoints::endpoints;
pub use reconnect::{run_connected, BrokerStatus, Connected, Ended, Reconnect};

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongLongInt};
use lapin::Confirmation;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};

/// Header carrying the publish time (ms since the epoch) for the delivery latency metric.
pub const PUBLISHED_AT_HEADER: &str = "x-published-at-ms";

/// One event ready to publish: routing key, extra routing keys (RabbitMQ's `CC`), JSON bytes.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub routing_key: String,
    pub cc: Vec<String>,
    pub payload: Vec<u8>,
}

/// Connects to `url`, or to the first node that answers when it lists several (see [`endpoints`]).
pub async fn connect(url: &str, name: &str) -> lapin::Result<Connection> {
    let props = ConnectionProperties::default().with_connection_name(name.into());
    endpoints::connect_any(url, props).await
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
