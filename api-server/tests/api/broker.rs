//! Test-side broker tools: a queue on the test's exchange that collects events, and a TCP
//! proxy in front of RabbitMQ that a test can cut and restore (a broker outage without
//! touching the shared broker).
#![allow(dead_code)]

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use shared::config::Settings;
use shared::events::Event;
use tokio::sync::mpsc;

pub struct TestConsumer {
    rx: mpsc::UnboundedReceiver<(String, Event)>,
    _conn: lapin::Connection,
}

impl TestConsumer {
    /// A private queue bound to `keys` on the test's exchange (connected to the real broker,
    /// whatever proxy the app under test goes through).
    pub async fn new(settings: &Settings, keys: &[String]) -> Self {
        let conn =
            shared::broker::connect(&shared::testing::services().amqp_url, "test-consumer").await.expect("connect");
        let ch = conn.create_channel().await.expect("channel");
        shared::broker::declare_exchange(&ch, &settings.exchange).await.expect("exchange");
        let q = ch
            .queue_declare(
                "".into(),
                QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .expect("queue");
        for key in keys {
            ch.queue_bind(
                q.name().clone(),
                settings.exchange.as_str().into(),
                key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind");
        }
        let mut consumer = ch
            .basic_consume(q.name().clone(), "test".into(), BasicConsumeOptions::default(), FieldTable::default())
            .await
            .expect("consume");
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(Ok(d)) = consumer.next().await {
                let _ = d.ack(BasicAckOptions::default()).await;
                if let Ok(event) = serde_json::from_slice::<Event>(&d.data) {
                    let _ = tx.send((d.routing_key.to_string(), event));
                }
            }
        });
        Self { rx, _conn: conn }
    }

    /// Waits until `n` events arrived (or `timeout` passed); returns what arrived.
    pub async fn take(&mut self, n: usize, timeout: Duration) -> Vec<(String, Event)> {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        while got.len() < n {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(e)) => got.push(e),
                _ => break,
            }
        }
        got
    }

    /// Whatever else arrives within `wait`.
    pub async fn rest(&mut self, wait: Duration) -> Vec<(String, Event)> {
        self.take(usize::MAX, wait).await
    }
}

pub use shared::testing::BrokerProxy;
