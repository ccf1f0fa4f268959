//! Typing: to the other members only, checked and rate-limited.

use std::time::Duration;

use crate::helpers::{Cluster, QUIET, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_in_a_direct_chat_reaches_the_peer_and_none_of_the_typing_users_devices() {
    let c = Cluster::start(2).await;
    let [alice, bob] = c.users(&["alice", "bob"])[..] else { unreachable!() };
    let conversation = c.direct(alice, bob);
    let mut alice_0 = c.connect(0, alice).await;
    let mut alice_1 = c.connect(1, alice).await;
    let mut bob_1 = c.connect(1, bob).await;

    alice_0.typing(conversation, true).await;
    let t = bob_1.event(WAIT).await;
    assert_eq!(t["type"], "typing", "{t}");
    assert_eq!(t["data"], serde_json::json!({"conversation_id": conversation, "user_id": alice, "active": true}));
    for client in [&mut alice_0, &mut alice_1, &mut bob_1] {
        client.quiet(QUIET).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_in_a_channel_reaches_the_other_members_only() {
    let c = Cluster::start(2).await;
    let [a, b, m, outsider] = c.users(&["a", "b", "m", "outsider"])[..] else { unreachable!() };
    let (_gid, channel) = c.group(&[a, b, m]);
    let mut a0 = c.connect(0, a).await;
    let mut a1 = c.connect(1, a).await;
    let mut b0 = c.connect(0, b).await;
    let mut m1 = c.connect(1, m).await;
    let mut outsider0 = c.connect(0, outsider).await;

    a0.typing(channel, false).await;
    for client in [&mut b0, &mut m1] {
        let t = client.event(WAIT).await;
        assert_eq!((t["type"].as_str(), t["data"]["user_id"].as_i64()), (Some("typing"), Some(a)), "{t}");
        assert_eq!(t["data"]["active"], false);
    }
    for client in [&mut a0, &mut a1, &mut b0, &mut m1, &mut outsider0] {
        client.quiet(QUIET).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_from_a_non_member_is_refused_and_a_flood_is_cut_to_the_rate_limit() {
    let c = Cluster::start(1).await;
    let [a, b, outsider] = c.users(&["a", "b", "outsider"])[..] else { unreachable!() };
    let (_gid, channel) = c.group(&[a, b]);
    let direct = c.direct(a, b);
    let mut a0 = c.connect(0, a).await;
    let mut b0 = c.connect(0, b).await;
    let mut outsider0 = c.connect(0, outsider).await;

    outsider0.typing(channel, true).await;
    assert_eq!(outsider0.event(WAIT).await["data"]["code"], "not_a_member");
    outsider0.typing(direct, true).await;
    assert_eq!(outsider0.event(WAIT).await["data"]["code"], "not_a_member");
    outsider0.typing(999_999, true).await;
    assert_eq!(outsider0.event(WAIT).await["data"]["code"], "not_a_member");

    for _ in 0..20 {
        a0.typing(direct, true).await;
    }
    let mut received = 0;
    while let Some(crate::helpers::Incoming::Event(e)) = b0.recv(Duration::from_millis(500)).await {
        assert_eq!(e["type"], "typing");
        received += 1;
    }
    // 5 at once, plus what refills (5/s) while the server works through the burst.
    assert!((5..=9).contains(&received), "a burst of 20 is cut to about 5, got {received}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_in_a_direct_chat_with_a_block_either_way_is_refused_and_not_published() {
    let c = Cluster::start(1).await;
    let [blocker, blocked] = c.users(&["blocker", "blocked"])[..] else { unreachable!() };
    let direct = c.direct(blocker, blocked);
    c.exec(&format!("INSERT INTO blocks (blocker_id, blocked_id) VALUES ({blocker}, {blocked})"));
    let mut blocker0 = c.connect(0, blocker).await;
    let mut blocked0 = c.connect(0, blocked).await;

    blocked0.typing(direct, true).await;
    let refused = blocked0.event(WAIT).await;
    assert_eq!(
        (refused["type"].as_str(), refused["data"]["code"].as_str()),
        (Some("error"), Some("blocked")),
        "{refused}"
    );
    blocker0.typing(direct, true).await;
    assert_eq!(blocker0.event(WAIT).await["data"]["code"], "blocked");
    // Nothing was published: neither side sees the other typing.
    blocker0.quiet(QUIET).await;
    blocked0.quiet(QUIET).await;

    // Unblocked: typing flows again.
    c.exec(&format!("DELETE FROM blocks WHERE blocker_id = {blocker}"));
    blocked0.typing(direct, true).await;
    let t = blocker0.event(WAIT).await;
    assert_eq!((t["type"].as_str(), t["data"]["user_id"].as_i64()), (Some("typing"), Some(blocked)), "{t}");
}
