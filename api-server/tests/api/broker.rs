//! Test-side broker tools: a queue on the test's exchange that collects events, and a TCP
//! proxy in front of RabbitMQ that a test can cut and restore (a broker outage without
//! touching the shared broker).
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use shared::config::Settings;
use shared::events::Event;
use tokio::net::{TcpListener, TcpStream};
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

/// A TCP proxy to 127.0.0.1:5672 (or the AMQP URL's port) that can be switched off: while off
/// it refuses connections and cuts the open ones.
pub struct BrokerProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
}

impl BrokerProxy {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let (gen_tx, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(gen_tx);
        let (up2, gen2) = (up.clone(), generation.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let mut cut = gen2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { port, up, generation }
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.generation.send_modify(|g| *g += 1);
        }
    }
}

/// host:port of an AMQP URL.
pub fn amqp_host_port(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.rsplit('@').next().unwrap_or(rest).split('/').next().unwrap_or("127.0.0.1:5672").to_owned()
}
