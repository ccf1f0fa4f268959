//! The node and its broker: a publishing connection blocked by a memory alarm, a node queue
//! that overflows, a link cut while the world changes.

use std::time::Duration;

use serde_json::json;
use shared::events::routing;
use shared::testing::BrokerProxy;
use ws_server::config::Tuning;

use crate::helpers::{message, Cluster, Incoming, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publishing_connection_blocked_by_a_memory_alarm_does_not_stall_delivery() {
    let proxy = BrokerProxy::start().await;
    // A small window: a consumer whose acks the broker stops reading stalls after 10 deliveries.
    let tuning = Tuning { prefetch: 10, ..Tuning::default() };
    let c = Cluster::start_with(1, &[("AMQP_URL", &proxy.url())], tuning).await;
    let [alice, bob] = c.users(&["alice", "bob"])[..] else { unreachable!() };
    let conversation = c.direct(alice, bob);
    let mut a = c.connect(0, alice).await;
    let mut b = c.connect(0, bob).await;

    // RabbitMQ under a memory alarm stops reading from every connection that publishes: the
    // node publishes alice's typing, so its publishing connection is blocked from now on.
    proxy.set_alarm(true);
    a.typing(conversation, true).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let events: Vec<_> = (1..=40).map(|seq| message(conversation, seq, alice, "during the alarm")).collect();
    c.publish_many(&routing::user(bob), &events).await;
    let seqs = b.seqs_of("message.new", 40, WAIT).await;
    assert_eq!(seqs, (1..=40).collect::<Vec<_>>(), "delivery goes on while publishing is blocked");
    proxy.set_alarm(false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overfilled_node_queue_drops_its_oldest_events_and_tells_every_socket_to_resync() {
    let proxy = BrokerProxy::start().await;
    let tuning = Tuning { prefetch: 5, queue_max_length: 20, ..Tuning::default() };
    let c = Cluster::start_with(1, &[("AMQP_URL", &proxy.url())], tuning).await;
    let [alice, bob, carol] = c.users(&["alice", "bob", "carol"])[..] else { unreachable!() };
    let conversation = c.direct(alice, bob);
    let mut a = c.connect(0, alice).await;
    let mut other = c.connect(0, carol).await;

    // The node stops taking deliveries (stalled), while 100 events pile up in its queue.
    proxy.freeze(true);
    let events: Vec<_> = (1..=100).map(|seq| message(conversation, seq, bob, "piling up")).collect();
    c.publish_many(&routing::user(alice), &events).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.freeze(false);

    let (mut seqs, mut resync) = (Vec::new(), None);
    while let Some(Incoming::Event(e)) = a.recv(Duration::from_secs(3)).await {
        match e["type"].as_str() {
            Some("message.new") => seqs.extend(e["data"]["seq"].as_i64()),
            Some("resync") => resync = Some(e["data"]["reason"].clone()),
            _ => {}
        }
    }
    // At most the queue's 20 plus the 5 already on their way.
    assert!(seqs.len() <= 25, "the queue is bounded, the oldest dropped: {seqs:?}");
    assert_eq!(seqs.last(), Some(&100), "the newest are kept");
    assert_eq!(resync, Some(json!("queue_overflow")), "a loss is never silent");
    assert_eq!(other.event_of("resync", WAIT).await["data"]["reason"], "queue_overflow", "every socket of the node");
}
