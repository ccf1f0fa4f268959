//! The node and its broker: a publishing connection blocked by a memory alarm, a node queue
//! that overflows, a link cut while the world changes.

use std::time::Duration;

use serde_json::json;
use shared::api::ReceiptDto;
use shared::events::{Event, RoutingKey};
use shared::testing::BrokerProxy;
use ws_server::config::Tuning;

use crate::helpers::{message, Cluster, Incoming, QUIET, WAIT};
use shared::ids::{ConversationId, GroupId, UserId};

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
    c.publish_many(&RoutingKey::User(UserId(bob)).to_string(), &events).await;
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
    c.publish_many(&RoutingKey::User(UserId(alice)).to_string(), &events).await;
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

/// Waits until the node's `/readyz` answers `status` (30 s at most: a loaded CI machine can take
/// seconds to schedule the node's reconnect loop).
async fn wait_readyz(c: &Cluster, status: u16) {
    let url = format!("http://127.0.0.1:{}/readyz", c.nodes[0].port);
    for _ in 0..600 {
        if reqwest::get(&url).await.is_ok_and(|r| r.status() == status) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("/readyz never answered {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_broker_outage_the_node_reloads_memberships_sessions_and_privacy_before_delivering() {
    let proxy = BrokerProxy::start().await;
    let c = Cluster::start_with(1, &[("AMQP_URL", &proxy.url())], Tuning::default()).await;
    let names = ["owner", "removed", "revoked", "hider", "watcher", "watched"];
    let [owner, removed, revoked, hider, watcher, watched] = c.users(&names)[..] else { unreachable!() };
    let (group, channel) = c.group(&[owner, removed, revoked, hider]);
    let device = uuid::Uuid::new_v4();
    c.exec(&format!(
        "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) \
         VALUES ({revoked}, '{device}', 'h-{device}', now() + interval '1 day')"
    ));
    let mut o = c.connect(0, owner).await;
    let mut r = c.connect(0, removed).await;
    let mut v = c.connect_device(0, revoked, Some(device)).await;
    let mut h = c.connect(0, hider).await;
    let mut w = c.connect(0, watcher).await;
    let _watched = c.connect(0, watched).await;
    w.subscribe(&[watched]).await;
    while w.event_of("presence", WAIT).await["data"]["online"] != true {}

    // The node's broker link is cut; meanwhile the world changes and the events announcing it
    // are published to nobody (the node queue died with its connection).
    proxy.set_up(false);
    wait_readyz(&c, 503).await;
    c.exec(&format!("DELETE FROM group_members WHERE group_id = {group} AND user_id = {removed}"));
    c.exec(&format!("DELETE FROM conversation_members WHERE conversation_id = {channel} AND user_id = {removed}"));
    c.exec(&format!("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = '{device}'"));
    c.exec(&format!("UPDATE users SET read_receipts = false WHERE id = {hider}"));
    c.exec(&format!("UPDATE users SET last_seen_visibility = 'nobody' WHERE id = {watched}"));
    proxy.set_up(true);

    // Ended sessions are closed before anything else reaches them.
    assert!(matches!(v.recv(Duration::from_secs(15)).await, Some(Incoming::Closed(Some(4001)))), "revoked device");
    // The others resync, and only after the node re-read what they may receive.
    let hidden = w.event(WAIT).await;
    assert_eq!((hidden["type"].as_str(), hidden["data"]["user_id"].as_i64()), (Some("presence"), Some(watched)));
    assert_eq!((hidden["data"]["online"].as_bool(), &hidden["data"]["last_seen_at"]), (Some(false), &json!(null)));
    for client in [&mut o, &mut r, &mut h, &mut w] {
        assert_eq!(client.event(WAIT).await["type"], "resync");
    }
    c.publish(&RoutingKey::Group(GroupId(group)).to_string(), &[], &message(channel, 1, owner, "after the outage"))
        .await;
    assert_eq!(o.event(WAIT).await["data"]["body"], "after the outage");
    assert_eq!(h.event(WAIT).await["data"]["body"], "after the outage");
    r.quiet(QUIET).await;
    let receipt = Event::Receipt(ReceiptDto {
        conversation_id: ConversationId(channel),
        user_id: UserId(owner),
        delivered_seq: 1,
        read_seq: 1,
    });
    c.publish(&RoutingKey::Group(GroupId(group)).to_string(), &[], &receipt).await;
    assert_eq!(h.event_of("receipt", WAIT).await["data"]["read_seq"], 0, "the hider sees nobody's reads");
    assert_eq!(o.event_of("receipt", WAIT).await["data"]["read_seq"], 1);
}
