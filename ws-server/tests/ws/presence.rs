//! Presence across nodes: online, offline after a clean close, no flapping between devices.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use shared::db::schema::users;
use ws_server::config::Tuning;

use crate::helpers::{Client, Cluster, QUIET, WAIT};
use shared::ids::UserId;

fn tuning() -> Tuning {
    Tuning { offline_grace: Duration::from_millis(500), ..Tuning::default() }
}

async fn presence_of(client: &mut Client, user_id: i64, timeout: Duration) -> serde_json::Value {
    let p = client.event_of("presence", timeout).await;
    assert_eq!(p["data"]["user_id"], user_id, "{p}");
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_another_node_sees_online_then_offline_soon_after_a_clean_close() {
    let c = Cluster::start_with(2, &[], tuning()).await;
    let [watcher, user] = c.users(&["watcher", "user"])[..] else { unreachable!() };
    let mut w = c.connect(1, watcher).await;
    w.subscribe(&[user]).await;
    let first = presence_of(&mut w, user, WAIT).await;
    assert_eq!(first["data"]["online"], false, "answered at once: not connected yet");

    let u = c.connect(0, user).await;
    assert_eq!(presence_of(&mut w, user, WAIT).await["data"]["online"], true);

    let closed_at = Instant::now();
    u.close().await;
    let offline = presence_of(&mut w, user, WAIT).await;
    assert_eq!(offline["data"]["online"], false);
    assert!(closed_at.elapsed() < Duration::from_secs(5), "offline within 5 s of a clean close");
    assert!(offline["data"]["last_seen_at"].is_string(), "{offline}");
    let mut db = c.env.db.connect();
    let seen: Option<chrono::DateTime<chrono::Utc>> =
        users::table.find(user).select(users::last_seen_at).first(&mut db).expect("user");
    assert!(seen.is_some(), "last_seen_at written on offline");
    w.quiet(QUIET).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_device_on_another_node_keeps_the_user_online_without_flapping() {
    let c = Cluster::start_with(3, &[], tuning()).await;
    let [watcher, user] = c.users(&["watcher", "user"])[..] else { unreachable!() };
    let mut w = c.connect(2, watcher).await;
    let phone = c.connect(0, user).await;
    let laptop = c.connect(1, user).await;
    w.subscribe(&[user]).await;
    // Online shows up once, whether from the answer or from an event.
    let deadline = Instant::now() + WAIT;
    while presence_of(&mut w, user, WAIT).await["data"]["online"] != true {
        assert!(Instant::now() < deadline, "never saw the user online");
    }

    phone.close().await;
    // Longer than the grace, a presence tick and a sweep: no offline may show up.
    w.quiet(Duration::from_millis(2_500)).await;

    laptop.close().await;
    assert_eq!(presence_of(&mut w, user, WAIT).await["data"]["online"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_is_bounded_and_replaced() {
    let c = Cluster::start(1).await;
    let [watcher, a, b] = c.users(&["watcher", "a", "b"])[..] else { unreachable!() };
    let mut w = c.connect(0, watcher).await;

    let many: Vec<i64> = (1..=501).map(|i| i + 1_000_000).collect();
    w.subscribe(&many).await;
    assert_eq!(w.event(WAIT).await["data"]["code"], "too_many_user_ids");
    for _ in 0..500 {
        assert_eq!(w.event(WAIT).await["type"], "presence");
    }
    w.quiet(QUIET).await;

    w.subscribe(&[a]).await;
    assert_eq!(presence_of(&mut w, a, WAIT).await["data"]["online"], false);
    let _b = c.connect(0, b).await; // not followed any more: nothing arrives
    w.quiet(Duration::from_millis(800)).await;
    let _a = c.connect(0, a).await;
    assert_eq!(presence_of(&mut w, a, WAIT).await["data"]["online"], true);
}

#[tokio::test]
async fn entries_of_two_nodes_never_overwrite_each_other() {
    use shared::presence::{online_many, update};
    let prefix = format!("t{}:", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let cache = shared::cache::Cache::new(&shared::testing::services().memcached_url, &prefix);
    tokio::task::spawn_blocking(move || {
        let (now, ttl) = (shared::broker::now_ms(), 30_000);
        let t = |node: &str, on: bool| {
            update(&cache, UserId(7), node, on.then_some(now + ttl), now, ttl).expect("memcached")
        };
        assert!(t("a", true).came_online());
        let both = t("b", true);
        assert!(both.was_online && both.is_online);
        let one_left = t("a", false);
        assert!(one_left.was_online && one_left.is_online, "b still vouches: no flap");
        assert_eq!(
            online_many(&cache, &[UserId(7), UserId(8)], now).expect("read"),
            [(UserId(7), true), (UserId(8), false)].into()
        );
        assert!(t("b", false).went_offline());
        // An entry that ran out (a crashed node) does not count.
        update(&cache, UserId(9), "dead", Some(now - 1), now - 1_000, ttl).expect("write");
        assert_eq!(online_many(&cache, &[UserId(9)], now).expect("read"), [(UserId(9), false)].into());
    })
    .await
    .expect("no panic");
}
