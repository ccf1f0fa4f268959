//! Hostile clients against the real binary, measured from outside: floods of malformed,
//! mistyped, oversize and binary frames, typing events and presence subscriptions. The process
//! must stay up, keep serving a well-behaved client, and its memory must stay bounded: a second
//! identical flood may not grow it much (nothing is kept per bad frame).

use std::time::Duration;

use serde_json::json;
use shared::events::RoutingKey;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{message, open, Client, Cluster, Incoming, ORIGIN, WAIT};
use shared::ids::UserId;

const ATTACKERS: usize = 12;

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("rss value")
}

/// One attacker's flood; it never reads while sending, then drains whatever the server answered.
/// Returns the frames it got out and the close code it ended with.
async fn flood(mut client: Client, conversation_id: i64, watched: Vec<i64>) -> (usize, Option<u16>) {
    let big = format!("{{\"type\":\"typing\",\"pad\":\"{}\"", "x".repeat(30 * 1024));
    let frames = (0..300)
        .flat_map(|i| {
            [
                Message::Text("{not json".into()),
                Message::Text(json!({"type": "typing", "data": {"conversation_id": "seven"}}).to_string().into()),
                Message::Text(json!({"type": "no.such.type", "data": i}).to_string().into()),
                Message::Text(
                    json!({"type": "typing", "data": {"conversation_id": conversation_id, "active": true}})
                        .to_string()
                        .into(),
                ),
            ]
        })
        .chain((0..20).map(|_| {
            Message::Text(json!({"type": "presence.subscribe", "data": {"user_ids": &watched}}).to_string().into())
        }))
        .chain((0..30).map(|_| Message::Text(big.clone().into())))
        .chain(std::iter::once(Message::Binary(vec![0u8; 512].into())));
    let mut sent = 0;
    for frame in frames {
        if !client.try_send(frame).await {
            break;
        }
        sent += 1;
    }
    // Drain until the server closes (1003 for the binary frame, 4008 if it stopped reading) or
    // goes quiet.
    loop {
        match client.recv(Duration::from_secs(3)).await {
            Some(Incoming::Event(_)) => continue,
            Some(Incoming::Closed(code)) => return (sent, code),
            None => return (sent, None),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_of_hostile_frames_leave_the_process_up_serving_others_and_its_memory_bounded() {
    let mut c = Cluster::start(0).await;
    let mut node = c.spawn_process(&[]).await;
    let pid = node.child.id();
    let [victim, attacker] = c.users(&["victim", "attacker"])[..] else { unreachable!() };
    let conversation = c.direct(attacker, victim);
    let watched: Vec<i64> = (1..=500).collect();
    let mut good = c.connect(0, victim).await;

    let mut rss = vec![rss_kib(pid)];
    for round in 0..2 {
        let mut attackers = Vec::new();
        for _ in 0..ATTACKERS {
            let mut client = open(&c.url(0, &c.ticket(attacker)), Some(ORIGIN)).await.expect("upgrade");
            assert_eq!(client.event(WAIT).await["type"], "ready");
            attackers.push(tokio::spawn(flood(client, conversation, watched.clone())));
        }
        // Meanwhile the well-behaved client still gets its messages, promptly.
        let body = format!("during flood {round}");
        c.publish(
            &RoutingKey::User(UserId(victim)).to_string(),
            &[],
            &message(conversation, round + 1, attacker, &body),
        )
        .await;
        let got = good.event_of("message.new", Duration::from_secs(5)).await;
        assert_eq!(got["data"]["body"], body.as_str());
        let mut outcomes = Vec::new();
        for a in attackers {
            outcomes.push(a.await.expect("attacker task"));
        }
        eprintln!("flood {round}: (frames sent, close code) per attacker: {outcomes:?}");
        assert!(outcomes.iter().all(|(_, code)| code.is_some()), "every attacker is closed: {outcomes:?}");
        assert!(node.child.try_wait().expect("wait").is_none(), "ws-server died during flood {round}");
        // Let the closed sessions' tasks finish before measuring.
        tokio::time::sleep(Duration::from_millis(500)).await;
        rss.push(rss_kib(pid));
    }
    good.heartbeat().await;
    let health = reqwest::get(format!("http://127.0.0.1:{}/readyz", c.nodes[0].port)).await.expect("readyz");
    assert_eq!(health.status(), 200);

    let (base, first, second) = (rss[0], rss[1], rss[2]);
    eprintln!("ws-server RSS: {base} KiB before, {first} KiB after flood 1, {second} KiB after flood 2");
    assert!(first.saturating_sub(base) < 64 * 1024, "flood 1 grew RSS by {} KiB", first - base);
    assert!(second.saturating_sub(first) < 8 * 1024, "flood 2 grew RSS by {} KiB more: a leak", second - first);
}
