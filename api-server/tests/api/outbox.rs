//! The outbox: sends succeed while RabbitMQ is away and are published when it is back; a
//! process killed after commit and before publish loses nothing.

use std::process::{Command, Stdio};
use std::time::Duration;

use secrecy::ExposeSecret;
use shared::events::{routing, Event};

use crate::broker::{BrokerProxy, TestConsumer};
use crate::helpers::{spawn_app, spawn_app_with, Reply, TestApp};

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
    let mut consumer = TestConsumer::new(&app.settings, &[routing::user(b.id)]).await;

    proxy.set_up(false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..10 {
        assert_eq!(app.send(&a, dm, &format!("while down {i}")).await.status, 201, "sent = committed, broker or not");
    }
    let readyz = app.get("/readyz", None).await;
    assert_eq!((readyz.status.as_u16(), readyz.body["checks"]["rabbitmq"].as_str()), (200, Some("down")));
    assert!(consumer.rest(Duration::from_millis(500)).await.iter().all(|(_, e)| !matches!(e, Event::MessageNew(_))));

    proxy.set_up(true);
    let events = consumer.take(10, Duration::from_secs(30)).await;
    assert_eq!(
        message_seqs(&events),
        (1..=10).collect::<Vec<_>>(),
        "every message published once the broker is back: {events:?}"
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
    let dm = app.direct(&a, &b).await;
    let mut consumer = TestConsumer::new(&app.settings, &[routing::user(b.id)]).await;
    for i in 0..50 {
        assert_eq!(app.send(&a, dm, &format!("{i}")).await.status, 201);
    }
    let events = consumer.take(50, Duration::from_secs(20)).await;
    assert_eq!(message_seqs(&events), (1..=50).collect::<Vec<_>>());
    let extra = consumer.rest(Duration::from_millis(700)).await;
    assert!(extra.is_empty(), "no row published twice: {extra:?}");
}
