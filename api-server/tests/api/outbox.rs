//! The outbox: sends succeed while RabbitMQ is away and are published when it is back; a
//! process killed after commit and before publish loses nothing; one relay leads, the others
//! stand by; a broker that does not confirm neither wedges the relay nor holds a transaction.

use std::process::{Command, Stdio};
use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::json;
use shared::events::{Event, RoutingKey};

use crate::broker::{BrokerProxy, TestConsumer};
use crate::helpers::{spawn_app, spawn_app_with, Reply, TestApp};
use shared::ids::UserId;

fn message_seqs(events: &[(String, Event)]) -> Vec<i64> {
    let mut seqs: Vec<i64> =
        events.iter().filter_map(|(_, e)| if let Event::MessageNew(m) = e { Some(m.seq) } else { None }).collect();
    seqs.sort_unstable();
    seqs
}

#[tokio::test]
async fn sends_succeed_while_the_broker_is_away_and_are_published_when_it_returns() {
    let proxy = BrokerProxy::start().await;
    let app = spawn_app_with(&[("AMQP_URL", &proxy.url())]).await;
    let a = app.register("ann").await;
    let b = app.register("bob").await;
    let dm = app.direct(&a, &b).await;
    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(b.id)).to_string()]).await;

    proxy.set_up(false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..10 {
        assert_eq!(app.send(&a, dm, &format!("while down {i}")).await.status, 201, "sent = committed, broker or not");
    }
    let readyz = app.get("/readyz", None).await;
    assert_eq!((readyz.status.as_u16(), readyz.body["checks"]["rabbitmq"].as_str()), (200, Some("down")));
    assert!(consumer.rest(Duration::from_millis(500)).await.iter().all(|(_, e)| !matches!(e, Event::MessageNew(_))));

    proxy.set_up(true);
    assert_eq!(
        take_messages(&mut consumer, 10, Duration::from_secs(30)).await,
        (1..=10).collect::<Vec<_>>(),
        "every message published once the broker is back"
    );
    for _ in 0..50 {
        if !app.count_where("outbox", "published_at IS NULL") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the outbox did not drain");
}

#[tokio::test]
async fn a_confirmed_row_leaves_the_outbox_table() {
    // The table holds the backlog only: a row the broker confirmed is deleted, not kept marked
    // (kept rows made every read of the pending rows slower: BENCHMARKS.md, issue 18).
    let app = spawn_app().await;
    let a = app.register("ann").await;
    let b = app.register("bob").await;
    let dm = app.direct(&a, &b).await;
    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(b.id)).to_string()]).await;
    for i in 0..5 {
        assert_eq!(app.send(&a, dm, &format!("m{i}")).await.status, 201);
    }
    assert_eq!(take_messages(&mut consumer, 5, Duration::from_secs(10)).await, (1..=5).collect::<Vec<_>>());
    for _ in 0..100 {
        if app.count("outbox") == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} published rows are still in the outbox table", app.count("outbox"));
}

#[tokio::test]
async fn a_process_killed_between_commit_and_publish_loses_nothing() {
    // Process 1: a real api-server whose broker is unreachable, so it commits and never publishes.
    let env = shared::testing::TestEnv::new(&[]);
    let s = env.settings.clone();
    let mut consumer = TestConsumer::new(&s, &["user.*".to_owned()]).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_api-server"))
        .env("DATABASE_URL", s.database_url.expose_secret())
        .env("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/%2f")
        .env("MEMCACHED_URL", &s.memcached_url)
        .env("MEMCACHED_PREFIX", &s.cache_prefix)
        .env("CHAT_EXCHANGE", &s.exchange)
        .env("JWT_SECRET", s.jwt_secret.expose_secret())
        .env("API_ADDR", format!("127.0.0.1:{port}"))
        .env("NODE_ID", "doomed")
        .env("AUTH_RATE_LIMIT_PER_MIN", "1000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("api-server starts");
    let client = reqwest::Client::new();
    let doomed = TestApp { address: format!("http://127.0.0.1:{port}"), env, settings: s.clone(), client };
    wait_ready(&doomed).await;
    let a = doomed.register("kim").await;
    let b = doomed.register("lou").await;
    let dm = doomed.direct(&a, &b).await;
    for i in 0..5 {
        let r: Reply = doomed.send(&a, dm, &format!("committed {i}")).await;
        assert_eq!(r.status, 201);
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(doomed.count_where("outbox", "published_at IS NULL"), "rows were committed and not published");
    assert!(consumer.rest(Duration::from_millis(300)).await.is_empty());

    // Process 2: same database, working broker: its relay publishes what process 1 committed.
    let survivor = api_server::startup::Application::build(s.clone()).await.expect("second process");
    tokio::spawn(survivor.run_until_stopped());
    let events = consumer.take(6, Duration::from_secs(30)).await;
    assert_eq!(message_seqs(&events), (1..=5).collect::<Vec<_>>(), "{events:?}");
    for _ in 0..50 {
        if !doomed.count_where("outbox", "published_at IS NULL") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the outbox did not drain");
}

async fn wait_ready(app: &TestApp) {
    for _ in 0..100 {
        if let Ok(r) = app.client.get(app.url("/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("api-server process did not start");
}

#[tokio::test]
async fn two_relays_on_one_database_publish_each_row_once() {
    let app = spawn_app().await;
    // A second api-server process (in-process here) on the same database and exchange.
    let second = api_server::startup::Application::build(app.settings.clone()).await.expect("second");
    tokio::spawn(second.run_until_stopped());
    let a = app.register("mia").await;
    let b = app.register("noa").await;
    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(b.id)).to_string()]).await;
    let dm = app.direct(&a, &b).await;
    for i in 0..50 {
        assert_eq!(app.send(&a, dm, &format!("{i}")).await.status, 201);
    }
    let events = consumer.take(51, Duration::from_secs(20)).await;
    assert_eq!(message_seqs(&events), (1..=50).collect::<Vec<_>>(), "the chat's creation, then each row once");
    let extra = consumer.rest(Duration::from_millis(700)).await;
    assert!(extra.is_empty(), "no row published twice: {extra:?}");
}

/// Collects events until `n` distinct `message.new` seqs arrived (or `timeout`); returns them
/// sorted (at-least-once: a batch whose confirm timed out may arrive twice).
async fn take_messages(consumer: &mut TestConsumer, n: usize, timeout: Duration) -> Vec<i64> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut seqs = std::collections::BTreeSet::new();
    while seqs.len() < n {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some((_, event)) = consumer.take(1, left).await.into_iter().next() else { break };
        if let Event::MessageNew(m) = event {
            seqs.insert(m.seq);
        }
    }
    seqs.into_iter().collect()
}

/// Waits until the app's relay is connected to the broker.
async fn wait_relay_connected(app: &TestApp) {
    for _ in 0..100 {
        if app.get("/readyz", None).await.body["checks"]["rabbitmq"] == "up" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the relay never connected");
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app.client.get(app.url("/metrics")).send().await.expect("scrape").text().await.expect("text");
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with(&format!("{name}_")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

const OPEN_TRANSACTIONS: &str =
    "pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'";

#[tokio::test]
async fn while_it_waits_for_a_confirm_the_relay_holds_no_transaction_open() {
    let proxy = BrokerProxy::start().await;
    let app = spawn_app_with(&[("AMQP_URL", &proxy.url())]).await;
    let a = app.register("ada").await;
    let b = app.register("ben").await;
    let dm = app.direct(&a, &b).await;
    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(b.id)).to_string()]).await;
    wait_relay_connected(&app).await;

    // A memory alarm: the relay's publish is not read by the broker, so no confirm comes.
    proxy.set_alarm(true);
    assert_eq!(app.send(&a, dm, "waiting for a confirm").await.status, 201);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(app.count_where("outbox", "published_at IS NULL"), "not confirmed, so not marked");
    assert_eq!(app.count(OPEN_TRANSACTIONS), 0, "no transaction stays open across publish and confirm");

    proxy.set_alarm(false);
    assert_eq!(take_messages(&mut consumer, 1, Duration::from_secs(15)).await, vec![1]);
}

#[tokio::test]
async fn a_broker_that_never_confirms_does_not_wedge_the_relay() {
    let proxy = BrokerProxy::start().await;
    let app = spawn_app_with(&[("AMQP_URL", &proxy.url()), ("OUTBOX_CONFIRM_TIMEOUT_MS", "700")]).await;
    let a = app.register("cid").await;
    let b = app.register("dan").await;
    let dm = app.direct(&a, &b).await;
    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(b.id)).to_string()]).await;
    wait_relay_connected(&app).await;
    let reconnects = metric(&app, "chat_broker_reconnects_total").await;

    proxy.set_alarm(true);
    for i in 0..3 {
        assert_eq!(app.send(&a, dm, &format!("unconfirmed {i}")).await.status, 201);
    }
    // Each round: 700 ms without a confirm, a close the blocked broker never answers (1 s),
    // backoff, connect, publish again.
    let mut after = reconnects;
    for _ in 0..100 {
        after = metric(&app, "chat_broker_reconnects_total").await;
        if after >= reconnects + 2.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(after >= reconnects + 2.0, "confirm timeouts make the relay reconnect: {reconnects} -> {after}");
    assert!(app.count_where("outbox", "published_at IS NULL"), "the rows stay pending");

    proxy.set_alarm(false);
    assert_eq!(take_messages(&mut consumer, 3, Duration::from_secs(15)).await, vec![1, 2, 3]);
}

/// Where the relay lock is held, on the test's database.
const RELAY_LOCKS: &str = "pg_locks WHERE locktype = 'advisory' AND granted \
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";

#[tokio::test]
async fn one_relay_leads_and_a_killed_leaders_rows_are_published_by_the_standby() {
    // The leader: a real process whose broker never confirms (memory alarm), with a confirm
    // timeout long enough that it keeps leading until it is killed.
    let proxy = BrokerProxy::start().await;
    let env = shared::testing::TestEnv::new(&[]);
    let s = env.settings.clone();
    let mut consumer = TestConsumer::new(&s, &["user.*".to_owned()]).await;
    let (mut leader, leader_app) =
        spawn_process(env, &[("AMQP_URL", &proxy.url()), ("OUTBOX_CONFIRM_TIMEOUT_MS", "60000")]).await;
    wait_relay_connected(&leader_app).await;
    for _ in 0..50 {
        if leader_app.count(RELAY_LOCKS) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(leader_app.count(RELAY_LOCKS), 1, "the process leads");

    // The standby: in process, working broker.
    let standby = api_server::startup::Application::build(s.clone()).await.expect("standby");
    tokio::spawn(standby.run_until_stopped());
    let a = leader_app.register("eve").await;
    let b = leader_app.register("fay").await;
    let dm = leader_app.direct(&a, &b).await;
    proxy.set_alarm(true);
    for i in 0..5 {
        assert_eq!(leader_app.send(&a, dm, &format!("stuck at the leader {i}")).await.status, 201);
    }
    assert!(
        take_messages(&mut consumer, 1, Duration::from_secs(2)).await.is_empty(),
        "the standby publishes nothing while the leader lives"
    );

    leader.kill().expect("SIGKILL");
    let _ = leader.wait();
    assert_eq!(take_messages(&mut consumer, 5, Duration::from_secs(20)).await, vec![1, 2, 3, 4, 5]);
    proxy.set_alarm(false);
}

/// A real api-server process on `env`'s database, exchange and key prefix, with `vars` on top.
async fn spawn_process(env: shared::testing::TestEnv, vars: &[(&str, &str)]) -> (std::process::Child, TestApp) {
    let s = env.settings.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let child = Command::new(env!("CARGO_BIN_EXE_api-server"))
        .env("DATABASE_URL", s.database_url.expose_secret())
        .env("AMQP_URL", s.amqp_url.expose_secret())
        .env("MEMCACHED_URL", &s.memcached_url)
        .env("MEMCACHED_PREFIX", &s.cache_prefix)
        .env("CHAT_EXCHANGE", &s.exchange)
        .env("JWT_SECRET", s.jwt_secret.expose_secret())
        .env("API_ADDR", format!("127.0.0.1:{port}"))
        .env("NODE_ID", "process")
        .env("OUTBOX_POLL_MS", "100")
        .env("AUTH_RATE_LIMIT_PER_MIN", "1000")
        .env("RUST_LOG", "warn")
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("api-server starts");
    let app = TestApp { address: format!("http://127.0.0.1:{port}"), env, settings: s, client: reqwest::Client::new() };
    wait_ready(&app).await;
    (child, app)
}

/// Set for the child run of [`a_test_process_that_panics_mid_publish_exits_at_once`].
const PANIC_CHILD: &str = "CHAT_TEST_PANIC_MID_PUBLISH";

/// Does nothing unless run as that test's child: panics while the relay awaits a confirm.
#[tokio::test]
async fn panics_while_the_relay_awaits_a_confirm() {
    if std::env::var_os(PANIC_CHILD).is_none() {
        return;
    }
    let proxy = BrokerProxy::start().await;
    let app = spawn_app_with(&[("AMQP_URL", &proxy.url())]).await;
    let a = app.register("gil").await;
    let b = app.register("hal").await;
    let dm = app.direct(&a, &b).await;
    wait_relay_connected(&app).await;
    proxy.set_alarm(true);
    assert_eq!(app.send(&a, dm, "never confirmed").await.status, 201);
    tokio::time::sleep(Duration::from_millis(800)).await;
    panic!("planned: the relay is awaiting a confirm");
}

#[test]
fn a_test_process_that_panics_mid_publish_exits_at_once() {
    let started = std::time::Instant::now();
    let log = std::env::temp_dir().join(format!("panic-mid-publish-{}.log", uuid::Uuid::new_v4()));
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "outbox::panics_while_the_relay_awaits_a_confirm", "--nocapture"])
        .env(PANIC_CHILD, "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("child test process");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(40) {
            let _ = child.kill();
            panic!("the panicking test process still runs after 40 s (its runtime waits on the relay)");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(!status.success() && output.contains("planned: the relay is awaiting a confirm"), "{output}");
    assert!(started.elapsed() < Duration::from_secs(25), "exited after {:?}", started.elapsed());
}

/// Polls that would take a minute: only a wake-up publishes within the tests' seconds.
const NO_POLL: &[(&str, &str)] = &[("OUTBOX_POLL_MS", "60000"), ("OUTBOX_SAFETY_POLL_MS", "60000")];

/// Waits until some relay of the app's database holds the leadership lock.
async fn wait_leader(app: &TestApp) {
    for _ in 0..100 {
        if app.count_where(
            "pg_locks",
            "locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        ) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no relay took the lead");
}

#[tokio::test]
async fn privacy_contact_and_block_changes_are_published_without_waiting_for_a_poll() {
    let app = spawn_app_with(NO_POLL).await;
    let a = app.register("pia").await;
    let b = app.register("quin").await;
    wait_relay_connected(&app).await;
    wait_leader(&app).await;
    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::Presence(UserId(a.id)).to_string()]).await;

    let reply = app
        .request(reqwest::Method::PUT, "/api/me/privacy", Some(&a.token), Some(json!({"last_seen": "contacts"})))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(consumer.take(1, Duration::from_secs(3)).await.len(), 1, "privacy.updated published at once");

    assert_eq!(app.post("/api/contacts", Some(&a.token), json!({"user_id": b.id})).await.status, 201);
    assert_eq!(consumer.take(1, Duration::from_secs(3)).await.len(), 1, "a contact change at once");

    assert_eq!(app.put(&format!("/api/blocks/{}", b.id), Some(&a.token)).await.status, 204);
    assert_eq!(consumer.take(1, Duration::from_secs(3)).await.len(), 1, "a block at once");
}

#[tokio::test]
async fn a_commit_on_another_replica_wakes_the_leading_relay() {
    let leader = spawn_app_with(NO_POLL).await;
    wait_relay_connected(&leader).await;
    wait_leader(&leader).await;
    // A second api-server on the same database: its relay stands by (and would try again only
    // after a minute), so only the leader's LISTEN can publish what it commits.
    let mut settings = leader.settings.clone();
    settings.node_id = "replica-2".into();
    let second = api_server::startup::Application::build(settings.clone()).await.expect("second");
    let replica = TestApp {
        address: format!("http://127.0.0.1:{}", second.port()),
        env: shared::testing::TestEnv::new(&[]),
        settings,
        client: reqwest::Client::new(),
    };
    tokio::spawn(second.run_until_stopped());
    let a = replica.register("rae").await;
    let b = replica.register("sol").await;
    let mut consumer = TestConsumer::new(&leader.settings, &[RoutingKey::User(UserId(b.id)).to_string()]).await;
    let dm = replica.direct(&a, &b).await;
    assert_eq!(replica.send(&a, dm, "through the other replica").await.status, 201);
    let events = consumer.take(2, Duration::from_secs(3)).await;
    assert_eq!(message_seqs(&events), vec![1], "published by the leader within seconds: {events:?}");
}

#[tokio::test]
async fn an_outbox_row_that_does_not_decode_is_set_aside_and_counted_never_published() {
    let app = spawn_app().await;
    let a = app.register("tao").await;
    let b = app.register("uma").await;
    let mut consumer = TestConsumer::new(&app.settings, &["#".to_owned()]).await;
    wait_relay_connected(&app).await;
    {
        use diesel::RunQueryDsl;
        let mut conn = app.env.db.connect();
        diesel::sql_query(
            "INSERT INTO outbox (routing_key, cc, payload) VALUES \
             ('user.1', '{}', '{\"type\":\"no.such.event\"}'), ('no-key', '{}', '{\"type\":\"resync\",\"data\":{\"reason\":\"x\"}}'), \
             ('user.1', '{\"user.x\"}', '{\"type\":\"resync\",\"data\":{\"reason\":\"x\"}}')",
        )
        .execute(&mut conn)
        .expect("bad rows");
    }
    let dm = app.direct(&a, &b).await;
    assert_eq!(app.send(&a, dm, "after the bad rows").await.status, 201);
    let events = consumer.take(2, Duration::from_secs(10)).await;
    assert_eq!(message_seqs(&events), vec![1], "the rows behind them still go out: {events:?}");
    assert!(consumer.rest(Duration::from_millis(500)).await.is_empty(), "nothing else, empty or not");
    let set_aside = || app.count("outbox WHERE failed_at IS NOT NULL AND failure <> '' AND published_at IS NULL");
    for _ in 0..50 {
        if set_aside() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(set_aside(), 3, "set aside with the reason, kept for an operator");
    assert!(!app.count_where("outbox", "failed_at IS NULL AND published_at IS NULL"), "nothing left pending");
    assert_eq!(metric(&app, shared::metrics::OUTBOX_FAILED).await, 3.0, "counted");
}
