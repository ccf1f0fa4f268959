//! Heartbeats, slow consumers, a lost broker, a missing or returning Memcached.

use std::process::Command;
use std::time::{Duration, Instant};

use shared::events::RoutingKey;
use shared::testing::{host_port, TcpProxy};
use ws_server::config::Tuning;

use crate::helpers::{message, metric, open, open_with, Cluster, Incoming, ORIGIN, QUIET, WAIT};
use shared::ids::{GroupId, UserId};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_silent_for_three_heartbeats_is_closed_while_a_beating_one_stays() {
    let c = Cluster::start_with(1, &[("HEARTBEAT_MS", "200")], Default::default()).await;
    let [silent, beating] = c.users(&["silent", "beating"])[..] else { unreachable!() };
    let mut s = open(&c.url(0, &c.ticket(silent)), Some(ORIGIN)).await.expect("upgrade");
    assert_eq!(s.event(WAIT).await["data"]["heartbeat_ms"], 200);
    let opened = Instant::now();
    let mut b = c.connect(0, beating).await;

    let beats = async {
        // Beats twice per period: margin for a loaded CI machine.
        for _ in 0..16 {
            b.heartbeat().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        b
    };
    let closing = async {
        let code = s.close_code(Duration::from_secs(3)).await;
        (code, opened.elapsed())
    };
    let ((code, after), mut b) = tokio::join!(closing, beats);
    assert_eq!(code, Some(4000));
    assert!(after >= Duration::from_millis(550) && after < Duration::from_millis(2_000), "closed after {after:?}");

    c.publish(&RoutingKey::User(UserId(beating)).to_string(), &[], &message(1, 1, beating, "alive")).await;
    assert_eq!(b.event(WAIT).await["data"]["body"], "alive", "the beating socket is still open");
}

/// Before: a heartbeat got no answer, so a client could not tell a socket whose host was cut off
/// (nothing arrives, no reset) from a quiet one and waited for TCP to give up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_heartbeat_is_answered_at_once_and_nothing_else_is_sent() {
    let c = Cluster::start(1).await;
    let alice = c.user("alice");
    let mut s = c.connect(0, alice).await;
    for beat in 0..3 {
        assert!(s.heartbeat_answered(Duration::from_secs(2)).await, "heartbeat {beat} answered");
    }
    s.quiet(QUIET).await;
    c.publish(&RoutingKey::User(UserId(alice)).to_string(), &[], &message(1, 1, alice, "after beats")).await;
    assert_eq!(s.event(WAIT).await["data"]["body"], "after beats", "events still arrive in between");
    assert_eq!(
        metric(&c.metrics(0).await, "chat_ws_deliveries_total", ""),
        2.0,
        "ready and the message; answers are not deliveries"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_is_closed_with_4008_while_another_keeps_receiving_promptly() {
    let c = Cluster::start(1).await;
    let [slow_user, fast_user] = c.users(&["slow", "fast"])[..] else { unreachable!() };
    let (gid, channel) = c.group(&[slow_user, fast_user]);
    let mut slow = open_with(&c.url(0, &c.ticket(slow_user)), Some(ORIGIN), Some(4096)).await.expect("upgrade");
    assert_eq!(slow.event(WAIT).await["type"], "ready");
    let mut fast = c.connect(0, fast_user).await;

    // The slow client never reads; the fast one drains each batch. Batches stop as soon as the
    // node reports the slow consumer (the bytes needed depend on the kernel's socket buffers).
    let body = "x".repeat(4_000);
    let (batch, mut seq, mut closed) = (200, 0, false);
    while !closed {
        assert!(seq < 6_000, "the slow client was never closed");
        let events: Vec<_> = (0..batch).map(|i| message(channel, seq + i, fast_user, &body)).collect();
        let published = Instant::now();
        c.publish_many(&RoutingKey::Group(GroupId(gid)).to_string(), &events).await;
        for _ in 0..batch {
            assert_eq!(fast.event(WAIT).await["type"], "message.new");
        }
        assert!(published.elapsed() < Duration::from_secs(3), "the fast client kept up: {:?}", published.elapsed());
        seq += batch;
        closed = metric(&c.metrics(0).await, "chat_ws_dropped_total", "slow_consumer") >= 1.0;
    }

    let probe = Instant::now();
    c.publish(&RoutingKey::Group(GroupId(gid)).to_string(), &[], &message(channel, seq, fast_user, "probe")).await;
    assert_eq!(fast.event(WAIT).await["data"]["body"], "probe");
    assert!(probe.elapsed() < Duration::from_secs(1), "probe took {:?}", probe.elapsed());

    // Reading now, the slow client finds what its buffers held, then the close.
    assert_eq!(slow.close_code(Duration::from_secs(20)).await, Some(4008));
    let text = c.metrics(0).await;
    assert_eq!(metric(&text, "chat_ws_connections", ""), 1.0, "only the fast socket is left");
}

/// Before: a client that sent heartbeats but read nothing kept its socket, and the events queued
/// for it, for as long as its queue had room (a reader and a writer task: the reader was happy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_beats_but_never_reads_is_closed_with_4008_once_a_write_waits_three_heartbeats() {
    let tuning = Tuning { socket_send_buffer: 16 * 1024, ..Tuning::default() };
    let c = Cluster::start_with(1, &[("HEARTBEAT_MS", "200")], tuning).await;
    let stuck_user = c.user("stuck");
    let mut stuck = open_with(&c.url(0, &c.ticket(stuck_user)), Some(ORIGIN), Some(4096)).await.expect("upgrade");
    assert_eq!(stuck.event(WAIT).await["type"], "ready");

    // 1.6 MB: far more than the socket buffers and actix-ws' channel hold, far fewer items than
    // the queue's 256, so only the stuck write can close it.
    let body = "x".repeat(16_000);
    let events: Vec<_> = (0..100).map(|i| message(1, i + 1, stuck_user, &body)).collect();
    c.publish_many(&RoutingKey::User(UserId(stuck_user)).to_string(), &events).await;
    let started = Instant::now();
    while metric(&c.metrics(0).await, "chat_ws_dropped_total", "slow_consumer") < 1.0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the stuck socket was never closed");
        stuck.heartbeat().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Reading now, the client finds what its buffers held, then the close.
    assert_eq!(stuck.close_code(Duration::from_secs(20)).await, Some(4008));
    assert_eq!(metric(&c.metrics(0).await, "chat_ws_connections", ""), 0.0);
}

/// The Erlang pid of the broker connection named `name`.
fn connection_pid(name: &str) -> Option<String> {
    let out = Command::new("rabbitmqctl").args(["-q", "list_connections", "pid", "client_properties"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains(&format!("\"{name}\"")))?;
    line.split_whitespace().next().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_losing_the_broker_a_node_reconnects_rebinds_and_tells_its_sockets_to_resync() {
    let c = Cluster::start(1).await;
    let [alice, bob] = c.users(&["alice", "bob"])[..] else { unreachable!() };
    let (gid, channel) = c.group(&[alice, bob]);
    let mut a = c.connect(0, alice).await;
    let mut b = c.connect(0, bob).await;
    let queue = format!("ws.{}", c.nodes[0].node_id);
    let pid = connection_pid(&queue).unwrap_or_else(|| panic!("no broker connection named {queue}"));

    let out = Command::new("rabbitmqctl").args(["-q", "close_connection", &pid, "test: broker lost"]).output();
    assert!(out.is_ok_and(|o| o.status.success()), "rabbitmqctl close_connection");

    for client in [&mut a, &mut b] {
        let resync = client.event(Duration::from_secs(10)).await;
        assert_eq!(resync["type"], "resync", "{resync}");
        assert_eq!(resync["data"]["reason"], "broker_reconnected");
    }
    // The bindings are back before the resync: events flow at once.
    c.publish(&RoutingKey::User(UserId(alice)).to_string(), &[], &message(1, 1, alice, "direct")).await;
    assert_eq!(a.event(WAIT).await["data"]["body"], "direct");
    c.publish(&RoutingKey::Group(GroupId(gid)).to_string(), &[], &message(channel, 1, alice, "group")).await;
    assert_eq!(a.event(WAIT).await["data"]["body"], "group");
    assert_eq!(b.event(WAIT).await["data"]["body"], "group");
    assert!(metric(&c.metrics(0).await, "chat_broker_reconnects_total", "") >= 1.0);
    // New sockets work too.
    let mut late = c.connect(0, alice).await;
    c.publish(&RoutingKey::User(UserId(alice)).to_string(), &[], &message(1, 2, alice, "late")).await;
    assert_eq!(late.event(WAIT).await["data"]["body"], "late");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_memcached_sockets_connect_presence_shows_offline_and_delivery_works() {
    let c = Cluster::start_with(1, &[("MEMCACHED_URL", "memcache://127.0.0.1:1")], Default::default()).await;
    let [alice, bob] = c.users(&["alice", "bob"])[..] else { unreachable!() };
    let conversation = c.direct(alice, bob);
    let ticket = c.ticket(alice);
    let mut a = open(&c.url(0, &ticket), Some(ORIGIN)).await.expect("connects without memcached");
    assert_eq!(a.event(WAIT).await["type"], "ready");
    let reused = open(&c.url(0, &ticket), Some(ORIGIN)).await.err().expect("still single-use on this node");
    assert_eq!(reused.status, 401);
    let mut b = c.connect(0, bob).await;

    b.subscribe(&[alice]).await;
    let p = b.event(WAIT).await;
    assert_eq!((p["type"].as_str(), p["data"]["online"].as_bool()), (Some("presence"), Some(false)), "{p}");

    c.publish(
        &RoutingKey::User(UserId(alice)).to_string(),
        &[RoutingKey::User(UserId(bob)).to_string()],
        &message(conversation, 1, alice, "hi"),
    )
    .await;
    assert_eq!(a.event(WAIT).await["data"]["body"], "hi");
    assert_eq!(b.event(WAIT).await["data"]["body"], "hi");
    match b.recv(QUIET * 3).await {
        None => {}
        Some(Incoming::Event(e)) => panic!("nothing else expected (no presence flapping), got {e}"),
        Some(other) => panic!("socket closed: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_memcached_goes_away_presence_says_offline_and_recovers_once_it_is_back() {
    let memcached = shared::testing::services().memcached_url.clone();
    let proxy = TcpProxy::start(host_port(&memcached, "127.0.0.1:11211")).await;
    let url = format!("memcache://127.0.0.1:{}", proxy.port);
    let tuning = Tuning {
        presence_ttl: Duration::from_millis(1_500),
        presence_sweep: Duration::from_millis(300),
        ..Tuning::default()
    };
    let c = Cluster::start_with(1, &[("MEMCACHED_URL", &url)], tuning).await;
    let [alice, bob] = c.users(&["alice", "bob"])[..] else { unreachable!() };
    let conversation = c.direct(alice, bob);
    let mut a = c.connect(0, alice).await;
    let mut b = c.connect(0, bob).await;
    b.subscribe(&[alice]).await;

    assert!(wait_presence(&mut b, alice, true).await, "alice online while Memcached is up");
    proxy.set_up(false);
    assert!(wait_presence(&mut b, alice, false).await, "alice shown offline while Memcached is unreachable");
    c.publish(&RoutingKey::User(UserId(alice)).to_string(), &[], &message(conversation, 1, bob, "during the outage"))
        .await;
    assert_eq!(a.event_of("message.new", WAIT).await["data"]["body"], "during the outage");
    proxy.set_up(true);
    assert!(wait_presence(&mut b, alice, true).await, "alice online again once Memcached is back, no restart");
}

/// Reads presence events for `user` until one says `online` (true) or the wait ends (false).
async fn wait_presence(client: &mut crate::helpers::Client, user: i64, online: bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(8);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match client.recv(left).await {
            Some(Incoming::Event(e)) if e["type"] == "presence" && e["data"]["user_id"] == user => {
                if e["data"]["online"] == online {
                    return true;
                }
            }
            Some(Incoming::Event(_)) => {}
            _ => return false,
        }
    }
    false
}
