//! The one broker reconnect loop (`shared::broker::run_connected`) against the real RabbitMQ,
//! behind a proxy the test takes down and brings back.
#![expect(clippy::expect_used, reason = "test helpers fail the test loudly on a broken setup")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::Connection;
use shared::broker::{self, Backoff, BrokerStatus, Connected, Ended, Reconnect};
use shared::testing::BrokerProxy;
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(10);

/// An owner that only holds the connection and records what the loop told it.
struct Probe {
    url: String,
    attempts: AtomicUsize,
    told: Mutex<Vec<&'static str>>,
}

impl Probe {
    fn told(&self) -> Vec<&'static str> {
        self.told.lock().expect("told").clone()
    }

    fn tell(&self, what: &'static str) {
        self.told.lock().expect("told").push(what);
    }
}

impl Connected for Probe {
    type Link = Connection;
    type Error = lapin::Error;

    async fn connect(&self) -> lapin::Result<Connection> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        broker::connect(&self.url, "reconnect-probe").await
    }

    async fn serve(&self, conn: &mut Connection, shutdown: &mut watch::Receiver<bool>) -> Ended {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(50)) => if !conn.status().connected() {
                    return Ended::Lost("connection closed".into());
                },
                _ = shutdown.changed() => return Ended::Shutdown,
            }
        }
    }

    fn connection(conn: &Connection) -> &Connection {
        conn
    }

    fn on_connected(&self, _conn: &Connection, again: bool) {
        self.tell(if again { "reconnected" } else { "connected" });
    }

    fn on_lost(&self) {
        self.tell("lost");
    }
}

async fn until(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_retries_a_setup_reconnects_after_an_outage_and_stops_on_shutdown() {
    let proxy = BrokerProxy::start().await;
    proxy.set_up(false);
    let probe = Arc::new(Probe { url: proxy.url(), attempts: AtomicUsize::new(0), told: Mutex::default() });
    let status = BrokerStatus::default();
    let reconnect = Reconnect {
        backoff: Backoff::new(Duration::from_millis(20), Duration::from_millis(100)),
        ..Reconnect::new("reconnect-probe", status.clone(), Duration::from_secs(2))
    };
    let (stop, stopped) = watch::channel(false);
    let owner = probe.clone();
    let running = tokio::spawn(async move { broker::run_connected(&*owner, reconnect, stopped).await });

    until("setups failed twice", || probe.attempts.load(Ordering::SeqCst) >= 2).await;
    assert!(!status.is_up() && probe.told().is_empty(), "a failed setup is neither up nor told");

    proxy.set_up(true);
    until("connected", || probe.told().len() == 1).await;
    assert!(status.is_up());
    assert_eq!(probe.told(), ["connected"]);

    proxy.set_up(false);
    until("the loss is noticed", || probe.told().len() == 2).await;
    assert!(!status.is_up());
    proxy.set_up(true);
    until("connected again", || probe.told().len() == 3).await;
    assert!(status.is_up());
    assert_eq!(probe.told(), ["connected", "lost", "reconnected"]);

    stop.send(true).expect("loop running");
    tokio::time::timeout(WAIT, running).await.expect("the loop ends on shutdown").expect("no panic");
    assert!(!status.is_up());
    assert_eq!(probe.told(), ["connected", "lost", "reconnected", "lost"]);
}

fn probe(url: String) -> Arc<Probe> {
    Arc::new(Probe { url, attempts: AtomicUsize::new(0), told: Mutex::default() })
}

fn quick(status: &BrokerStatus, setup_timeout: Duration) -> Reconnect {
    Reconnect {
        backoff: Backoff::new(Duration::from_millis(20), Duration::from_millis(100)),
        ..Reconnect::new("reconnect-probe", status.clone(), setup_timeout)
    }
}

/// `AMQP_URL` listing two nodes of a cluster: the node in use dies and stays dead, the loop
/// comes back on the other one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_of_nodes_fails_over_to_the_surviving_node() {
    let (first, second) = (BrokerProxy::start().await, BrokerProxy::start().await);
    let probe = probe(format!("{},{}", first.url(), second.url()));
    let status = BrokerStatus::default();
    let (stop, stopped) = watch::channel(false);
    let owner = probe.clone();
    let reconnect = quick(&status, Duration::from_secs(2));
    let running = tokio::spawn(async move { broker::run_connected(&*owner, reconnect, stopped).await });
    until("connected", || probe.told().len() == 1).await;

    // Whichever node it is on goes; the other one must take over.
    first.set_up(false);
    second.set_up(false);
    until("the loss is noticed", || probe.told().len() == 2).await;
    second.set_up(true);
    until("connected to the survivor", || probe.told().len() == 3).await;
    assert!(status.is_up());
    assert_eq!(probe.told(), ["connected", "lost", "reconnected"]);
    stop.send(true).expect("loop running");
    tokio::time::timeout(WAIT, running).await.expect("the loop ends on shutdown").expect("no panic");
}

/// A node that accepts the TCP connection and then says nothing (cut off without a reset):
/// the setup times out and the next attempt starts with the other node, not the stuck one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_hangs_is_passed_over_for_the_next() {
    let (stuck, good) = (BrokerProxy::start().await, BrokerProxy::start().await);
    stuck.freeze(true);
    let probe = probe(format!("{},{}", stuck.url(), good.url()));
    let status = BrokerStatus::default();
    let (stop, stopped) = watch::channel(false);
    let owner = probe.clone();
    let reconnect = quick(&status, Duration::from_millis(700));
    let running = tokio::spawn(async move { broker::run_connected(&*owner, reconnect, stopped).await });
    until("connected past the stuck node", || probe.told().len() == 1).await;
    assert!(status.is_up());
    stop.send(true).expect("loop running");
    tokio::time::timeout(WAIT, running).await.expect("the loop ends on shutdown").expect("no panic");
}
