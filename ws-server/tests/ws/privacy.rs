//! Privacy on the socket: presence only for those the user's settings let in (and re-checked
//! when the settings change), receipts without reads for users who keep theirs to themselves.

use shared::api::ReceiptDto;
use shared::events::{Event, RoutingKey};

use crate::helpers::{Client, Cluster, WAIT};
use shared::ids::{ConversationId, UserId};

/// The next `presence` event about `user_id` (others are skipped).
async fn presence_of(client: &mut Client, user_id: i64) -> serde_json::Value {
    loop {
        let p = client.event_of("presence", WAIT).await;
        if p["data"]["user_id"] == user_id {
            return p;
        }
    }
}

fn hidden(p: &serde_json::Value) -> bool {
    p["data"]["online"] == false && p["data"]["last_seen_at"].is_null()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_follows_the_users_last_seen_setting_and_its_changes() {
    let c = Cluster::start(2).await;
    let [user, friend, stranger] = c.users(&["user", "friend", "stranger"])[..] else { unreachable!() };
    c.exec(&format!("UPDATE users SET last_seen_visibility = 'contacts', last_seen_at = now() WHERE id = {user}"));
    c.exec(&format!("INSERT INTO contacts (owner_id, contact_id) VALUES ({user}, {friend})"));
    let _online = c.connect(0, user).await;

    let mut f = c.connect(1, friend).await;
    f.subscribe(&[user]).await;
    let mut s = c.connect(1, stranger).await;
    s.subscribe(&[user]).await;
    // The friend sees the user online (from the answer or the join event).
    while presence_of(&mut f, user).await["data"]["online"] != true {}
    let p = presence_of(&mut s, user).await;
    assert!(hidden(&p), "a stranger sees neither online nor last seen: {p}");

    // Nobody: the friend is told "offline, never seen" at once.
    c.exec(&format!("UPDATE users SET last_seen_visibility = 'nobody' WHERE id = {user}"));
    c.publish(
        &RoutingKey::Presence(UserId(user)).to_string(),
        &[],
        &Event::PrivacyUpdated { user_id: UserId(user), read_receipts: true },
    )
    .await;
    let p = presence_of(&mut f, user).await;
    assert!(hidden(&p), "{p}");

    // Everyone: both follow again and hear the current state.
    c.exec(&format!("UPDATE users SET last_seen_visibility = 'everyone' WHERE id = {user}"));
    c.publish(
        &RoutingKey::Presence(UserId(user)).to_string(),
        &[],
        &Event::PrivacyUpdated { user_id: UserId(user), read_receipts: true },
    )
    .await;
    assert_eq!(presence_of(&mut f, user).await["data"]["online"], true);
    assert_eq!(presence_of(&mut s, user).await["data"]["online"], true);
    // The nodes never forward the privacy event itself.
    for client in [&mut f, &mut s] {
        while let Some(event) = client.recv(std::time::Duration::from_millis(300)).await {
            assert!(!format!("{event:?}").contains("privacy.updated"), "{event:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_hides_reads_sees_nobody_elses_and_the_setting_follows_changes() {
    let c = Cluster::start(1).await;
    let [reader, viewer] = c.users(&["reader", "viewer"])[..] else { unreachable!() };
    let conversation_id = c.direct(reader, viewer);
    c.exec(&format!("UPDATE users SET read_receipts = false WHERE id = {viewer}"));
    let mut v = c.connect(0, viewer).await;
    let receipt = |read_seq| {
        Event::Receipt(ReceiptDto {
            conversation_id: ConversationId(conversation_id),
            user_id: UserId(reader),
            delivered_seq: 5,
            read_seq,
        })
    };
    c.publish(&RoutingKey::User(UserId(viewer)).to_string(), &[], &receipt(5)).await;
    let r = v.event_of("receipt", WAIT).await;
    assert_eq!((r["data"]["delivered_seq"].as_i64(), r["data"]["read_seq"].as_i64()), (Some(5), Some(0)), "{r}");

    // Turned back on: reads show again.
    c.exec(&format!("UPDATE users SET read_receipts = true WHERE id = {viewer}"));
    c.publish(
        &RoutingKey::Presence(UserId(viewer)).to_string(),
        &[],
        &Event::PrivacyUpdated { user_id: UserId(viewer), read_receipts: true },
    )
    .await;
    c.publish(&RoutingKey::User(UserId(viewer)).to_string(), &[], &receipt(5)).await;
    let r = v.event_of("receipt", WAIT).await;
    assert_eq!(r["data"]["read_seq"], 5, "{r}");
}
