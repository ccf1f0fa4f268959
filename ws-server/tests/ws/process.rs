//! The real binary as separate processes: SIGTERM and SIGKILL.

use std::process::Command;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use shared::db::schema::users;
use shared::events::RoutingKey;
use ws_server::config::Tuning;

use crate::helpers::{message, Cluster, Incoming, ORIGIN, WAIT};
use shared::ids::UserId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_every_socket_with_1012_and_the_process_exits() {
    let mut c = Cluster::start(0).await;
    let mut node = c.spawn_process(&[]).await;
    let [alice, bob] = c.users(&["alice", "bob"])[..] else { unreachable!() };
    let mut a = c.connect(0, alice).await;
    let mut b = c.connect(0, bob).await;

    let pid = node.child.id().to_string();
    let sent = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());

    assert_eq!(a.close_code(WAIT).await, Some(1012));
    assert_eq!(b.close_code(WAIT).await, Some(1012));
    let status = loop {
        if let Some(status) = node.child.try_wait().expect("wait") {
            break status;
        }
        assert!(sent.elapsed() < Duration::from_secs(8), "still running {:?} after SIGTERM", sent.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");
    assert!(sent.elapsed() < Duration::from_secs(6), "took {:?}", sent.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_with_sigkill_leaves_the_others_delivering_and_its_users_offline_within_the_ttl() {
    let mut c = Cluster::start_with(0, &[], Tuning::default()).await;
    let fast_presence = [("PRESENCE_TTL_MS", "3000"), ("PRESENCE_SWEEP_MS", "500")];
    let mut doomed = c.spawn_process(&fast_presence).await;
    let _survivor = c.spawn_process(&fast_presence).await;
    let [only_on_doomed, on_both, watcher] = c.users(&["lonely", "both", "watcher"])[..] else { unreachable!() };
    let _lonely = c.connect(0, only_on_doomed).await;
    let mut both_doomed = c.connect(0, on_both).await;
    let mut both_survivor = c.connect(1, on_both).await;
    let mut w = c.connect(1, watcher).await;
    w.subscribe(&[only_on_doomed, on_both]).await;
    let mut online = std::collections::HashSet::new();
    while online.len() < 2 {
        let p = w.event_of("presence", WAIT).await;
        if p["data"]["online"] == true {
            online.insert(p["data"]["user_id"].as_i64().expect("id"));
        }
    }

    doomed.child.kill().expect("SIGKILL");
    let killed = Instant::now();
    assert!(matches!(both_doomed.recv(WAIT).await, Some(Incoming::Closed(_))), "its sockets drop");

    c.publish(&RoutingKey::User(UserId(on_both)).to_string(), &[], &message(1, 1, watcher, "still here")).await;
    assert_eq!(both_survivor.event(WAIT).await["data"]["body"], "still here");

    let offline = w.event_of("presence", Duration::from_secs(8)).await;
    assert_eq!(offline["data"]["user_id"], only_on_doomed, "only the user without another device: {offline}");
    assert_eq!(offline["data"]["online"], false);
    assert!(killed.elapsed() < Duration::from_secs(5), "offline {:?} after the crash (TTL 3 s)", killed.elapsed());
    // The other user stays online: nothing more for a while.
    w.quiet(Duration::from_millis(1_500)).await;
    let mut db = c.env.db.connect();
    let seen: Option<chrono::DateTime<chrono::Utc>> =
        users::table.find(only_on_doomed).select(users::last_seen_at).first(&mut db).expect("user");
    assert!(seen.is_some(), "the sweep recorded last_seen_at");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_node_closes_its_sockets_with_1012_and_refuses_new_ones() {
    let mut c = Cluster::start(1).await;
    let alice = c.user("alice");
    let mut a = c.connect(0, alice).await;
    let node = &mut c.nodes[0];
    node.shutdown.as_ref().expect("in-process").trigger();
    assert_eq!(a.close_code(WAIT).await, Some(1012));
    let task = node.task.take().expect("in-process");
    let result = tokio::time::timeout(Duration::from_secs(7), task).await.expect("stops in time");
    assert!(result.expect("no panic").is_ok());
}

/// A raw HTTP/1.1 exchange on `stream`: sends `request`, returns the status code of the answer
/// (None when the server closed the connection instead), reading the body when it has a length.
async fn exchange(stream: &mut tokio::net::TcpStream, request: &str) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&got[..head_end]).to_lowercase();
    let length = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok());
    while got.len() < head_end + length.unwrap_or(0) {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf)).await.ok()?.ok()?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    head.split_whitespace().nth(1)?.parse().ok()
}

fn upgrade_request(port: u16, ticket: &str) -> String {
    format!(
        "GET /ws?ticket={ticket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {ORIGIN}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigterm_no_new_socket_is_admitted_until_the_process_exits() {
    let mut c = Cluster::start(0).await;
    let mut node = c.spawn_process(&[]).await;
    let [alice, bob] = c.users(&["alice", "bob"])[..] else { unreachable!() };
    let mut a = c.connect(0, alice).await;
    let port = c.nodes[0].port;
    // A kept-alive HTTP connection: an upgrade on it after SIGTERM is not even read (the
    // stopping server drops it), like every new connection (the listener is closed).
    let mut kept = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let health = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    assert_eq!(exchange(&mut kept, &health).await, Some(200));

    assert!(Command::new("kill").args(["-TERM", &node.child.id().to_string()]).status().expect("kill").success());
    assert_eq!(a.close_code(WAIT).await, Some(1012), "the node is stopping");
    let on_kept = exchange(&mut kept, &upgrade_request(port, &c.ticket(bob))).await;
    assert!(matches!(on_kept, None | Some(503)), "refused on the open connection, got {on_kept:?}");
    // Until the process is gone, no upgrade is admitted (connection refused, dropped, or 503).
    let mut attempts = 0;
    while node.child.try_wait().expect("wait").is_none() {
        attempts += 1;
        assert!(attempts < 200, "the process did not exit");
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let status = exchange(&mut stream, &upgrade_request(port, &c.ticket(bob))).await;
            assert!(matches!(status, None | Some(503)), "a new upgrade while stopping got {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
