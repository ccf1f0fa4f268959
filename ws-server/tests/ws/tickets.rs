//! A ticket opens one socket, whatever Memcached does: its single use is recorded in
//! PostgreSQL, so a used ticket stays used when the Memcached server that would have held its
//! id restarts empty, is unreachable, or is another server (a node with another server list).

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{open, Cluster, Refused, ORIGIN, WAIT};

/// A Memcached process of this test's own (the shared one must not be restarted).
struct Memcached {
    port: u16,
    child: Child,
}

impl Memcached {
    fn start(port: u16) -> Self {
        let child = Command::new("memcached")
            .args(["-l", "127.0.0.1", "-p", &port.to_string(), "-U", "0", "-m", "16", "-u", "nobody"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("memcached (the binary) starts");
        // Owned at once: dropped (killed and waited for) whichever way this ends.
        let started = Self { port, child };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return started;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("memcached did not listen on {port}");
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
    }

    fn url(&self) -> String {
        format!("memcache://127.0.0.1:{}?timeout=0.3", self.port)
    }

    /// Killed and started again on the same port: empty.
    fn restart_empty(mut self) -> Self {
        let port = self.port;
        self.stop();
        Self::start(port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Memcached {
    fn drop(&mut self) {
        self.stop();
    }
}

fn assert_reused(result: Result<crate::helpers::Client, Refused>, case: &str) {
    let refused = result.err().unwrap_or_else(|| panic!("{case}: a used ticket opened a second socket"));
    assert_eq!(refused.status, 401, "{case}: {:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "invalid_ticket", "{case}: {}", refused.body);
    assert_eq!(refused.body["error"]["message"], "the ticket was already used", "{case}: {}", refused.body);
}

/// Before: single use was `add wst:<jti>` in Memcached, and each of these let the ticket in once
/// more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_ticket_is_refused_after_a_memcached_restart_outage_or_server_change() {
    let mut mc = Memcached::start(Memcached::free_port());
    let other = Memcached::start(Memcached::free_port());
    let mut c = Cluster::start_with(1, &[("MEMCACHED_URL", &mc.url())], Default::default()).await;
    let other_url = other.url();
    let elsewhere = c.add_node(|s| s.memcached_url = other_url).await;
    let alice = c.user("alice");

    let ticket = c.ticket(alice);
    let mut first = open(&c.url(0, &ticket), Some(ORIGIN)).await.expect("a fresh ticket connects");
    assert_eq!(first.event(WAIT).await["type"], "ready");
    assert_reused(open(&c.url(0, &ticket), Some(ORIGIN)).await, "the same node");
    assert_reused(
        open(&c.url(elsewhere, &ticket), Some(ORIGIN)).await,
        "a node whose ring puts the id on another server",
    );

    mc = mc.restart_empty();
    assert_reused(open(&c.url(0, &ticket), Some(ORIGIN)).await, "after Memcached restarted empty");

    let second = c.ticket(alice);
    let mut socket = open(&c.url(0, &second), Some(ORIGIN)).await.expect("a fresh ticket connects");
    assert_eq!(socket.event(WAIT).await["type"], "ready");
    mc.stop();
    assert_reused(open(&c.url(0, &second), Some(ORIGIN)).await, "while Memcached is unreachable");
    let mut third =
        open(&c.url(0, &c.ticket(alice)), Some(ORIGIN)).await.expect("fresh tickets still connect without Memcached");
    assert_eq!(third.event(WAIT).await["type"], "ready");
}

/// Several redeems of one ticket at once, on two nodes: exactly one socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_redeems_of_one_ticket_open_exactly_one_socket() {
    let c = Cluster::start(2).await;
    let alice = c.user("alice");
    let ticket = c.ticket(alice);
    let attempts = (0..8).map(|i| open_owned(c.url(i % 2, &ticket)));
    let results = futures_util::future::join_all(attempts).await;
    let opened = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(opened, 1, "{:?}", results.iter().map(|r| r.as_ref().err().map(|e| e.status)).collect::<Vec<_>>());
}

async fn open_owned(url: String) -> Result<crate::helpers::Client, Refused> {
    open(&url, Some(ORIGIN)).await
}
