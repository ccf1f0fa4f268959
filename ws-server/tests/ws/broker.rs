//! The node and its broker: a publishing connection blocked by a memory alarm, a node queue
//! that overflows, a link cut while the world changes.

use std::time::Duration;

use shared::events::routing;
use shared::testing::BrokerProxy;
use ws_server::config::Tuning;

use crate::helpers::{message, Cluster, WAIT};

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
