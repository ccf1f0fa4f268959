//! Broker events reach exactly the right sockets, on any node.

use shared::events::RoutingKey;

use crate::helpers::{message, metric, Cluster, QUIET, WAIT};
use shared::ids::{GroupId, UserId};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_comes_after_the_bindings_so_an_event_published_right_after_it_arrives() {
    let c = Cluster::start(1).await;
    let (gid, channel) = c.group(&c.users(&["owner"]));
    for i in 0..5 {
        let uid = c.user(&format!("user{i}"));
        c.exec(&format!("INSERT INTO group_members (group_id, user_id) VALUES ({gid}, {uid})"));
        let mut client = c.connect(0, uid).await;
        c.publish(&RoutingKey::User(UserId(uid)).to_string(), &[], &message(1, i, uid, "to me")).await;
        assert_eq!(client.event(WAIT).await["data"]["body"], "to me", "user event #{i}");
        // Only this user is in the group on this node: its group binding was made for it.
        c.publish(&RoutingKey::Group(GroupId(gid)).to_string(), &[], &message(channel, i, uid, "to the group")).await;
        assert_eq!(client.event(WAIT).await["data"]["body"], "to the group", "group event #{i}");
        drop(client); // its bindings go; the next user's must be made afresh
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_reaches_the_peer_and_every_device_of_the_sender_on_any_node() {
    let c = Cluster::start(2).await;
    let [alice, bob] = c.users(&["alice", "bob"])[..] else { unreachable!() };
    let conversation = c.direct(alice, bob);
    let mut bob_0 = c.connect(0, bob).await;
    let mut alice_0 = c.connect(0, alice).await;
    let mut alice_1 = c.connect(1, alice).await;

    // What the relay does for a direct chat: routing key user.<a>, CC user.<b>.
    c.publish(
        &RoutingKey::User(UserId(alice)).to_string(),
        &[RoutingKey::User(UserId(bob)).to_string()],
        &message(conversation, 1, alice, "hi bob"),
    )
    .await;

    for (name, client) in [("bob on node 0", &mut bob_0), ("alice on 0", &mut alice_0), ("alice on 1", &mut alice_1)] {
        let e = client.event(WAIT).await;
        assert_eq!((e["type"].as_str(), e["data"]["body"].as_str()), (Some("message.new"), Some("hi bob")), "{name}");
    }
    for client in [&mut bob_0, &mut alice_0, &mut alice_1] {
        client.quiet(QUIET).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_event_reaches_each_member_socket_once_on_three_nodes_and_no_outsider() {
    let c = Cluster::start(3).await;
    let [m1, m2, m3, outsider] = c.users(&["m1", "m2", "m3", "outsider"])[..] else { unreachable!() };
    let (gid, channel) = c.group(&[m1, m2, m3]);
    let mut members = [
        c.connect(0, m1).await,
        c.connect(1, m2).await,
        c.connect(2, m3).await,
        c.connect(2, m1).await, // a second device of m1 on another node
    ];
    let mut outsiders = [c.connect(0, outsider).await, c.connect(1, outsider).await];

    c.publish(&RoutingKey::Group(GroupId(gid)).to_string(), &[], &message(channel, 1, m1, "hello group")).await;

    for (i, client) in members.iter_mut().enumerate() {
        assert_eq!(client.event(WAIT).await["data"]["body"], "hello group", "member socket {i}");
    }
    for client in members.iter_mut().chain(outsiders.iter_mut()) {
        client.quiet(QUIET).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_stops_receiving_at_once_and_an_added_one_starts() {
    let c = Cluster::start(2).await;
    let [a, b, other] = c.users(&["a", "b", "other"])[..] else { unreachable!() };
    let (gid, channel) = c.group(&[a, b, other]);
    let mut a0 = c.connect(0, a).await;
    let mut b1 = c.connect(1, b).await;
    let mut other1 = c.connect(1, other).await; // keeps group.<gid> bound on node 1

    c.set_member(gid, b, false).await;
    let removed = b1.event(WAIT).await;
    assert_eq!(
        (removed["type"].as_str(), removed["data"]["reason"].as_str()),
        (Some("conversation.updated"), Some("member_removed"))
    );
    c.publish(&RoutingKey::Group(GroupId(gid)).to_string(), &[], &message(channel, 1, a, "after removal")).await;
    assert_eq!(a0.event(WAIT).await["data"]["body"], "after removal");
    assert_eq!(other1.event(WAIT).await["data"]["body"], "after removal");
    b1.quiet(QUIET).await;

    c.set_member(gid, b, true).await;
    assert_eq!(b1.event(WAIT).await["data"]["reason"], "member_added");
    c.publish(&RoutingKey::Group(GroupId(gid)).to_string(), &[], &message(channel, 2, a, "welcome back")).await;
    assert_eq!(b1.event(WAIT).await["data"]["body"], "welcome back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_alone_on_its_node_gets_group_events_once_added_and_none_once_removed() {
    let c = Cluster::start(2).await;
    let [a, b] = c.users(&["a", "b"])[..] else { unreachable!() };
    let (gid, channel) = c.group(&[a]);
    let mut b1 = c.connect(1, b).await;

    c.set_member(gid, b, true).await;
    assert_eq!(b1.event(WAIT).await["data"]["reason"], "member_added");
    // The node binds group.<gid> after the event: the client catches up through REST meanwhile,
    // and from then on receives group events.
    let mut seq = 0;
    let got = loop {
        seq += 1;
        c.publish(&RoutingKey::Group(GroupId(gid)).to_string(), &[], &message(channel, seq, a, "hello")).await;
        if let Some(crate::helpers::Incoming::Event(e)) = b1.recv(std::time::Duration::from_millis(200)).await {
            break e;
        }
        assert!(seq < 25, "group events never reached the added member");
    };
    assert_eq!(got["data"]["body"], "hello");

    c.set_member(gid, b, false).await;
    assert_eq!(b1.event_of("conversation.updated", WAIT).await["data"]["reason"], "member_removed");
    while b1.recv(std::time::Duration::from_millis(100)).await.is_some() {}
    c.publish(&RoutingKey::Group(GroupId(gid)).to_string(), &[], &message(channel, 100, a, "gone")).await;
    b1.quiet(QUIET).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_revoked_closes_every_socket_of_that_user_on_every_node_and_no_other() {
    let c = Cluster::start(2).await;
    let [mallory, alice] = c.users(&["mallory", "alice"])[..] else { unreachable!() };
    let mut m0 = c.connect(0, mallory).await;
    let mut m1 = c.connect(1, mallory).await;
    let mut a0 = c.connect(0, alice).await;

    let revoked =
        shared::events::Event::SessionRevoked { user_id: UserId(mallory), reason: "suspended".into(), sessions: None };
    c.publish(&RoutingKey::User(UserId(mallory)).to_string(), &[], &revoked).await;

    assert_eq!(m0.close_code(WAIT).await, Some(4001), "node 0");
    assert_eq!(m1.close_code(WAIT).await, Some(4001), "node 1");
    c.publish(&RoutingKey::User(UserId(alice)).to_string(), &[], &message(1, 1, alice, "still here")).await;
    assert_eq!(a0.event(WAIT).await["data"]["body"], "still here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_one_device_out_closes_only_that_devices_sockets() {
    let c = Cluster::start(2).await;
    let alice = c.user("alice");
    let (laptop, phone) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let mut laptop_0 = c.connect_device(0, alice, Some(laptop)).await;
    let mut laptop_1 = c.connect_device(1, alice, Some(laptop)).await;
    let mut phone_0 = c.connect_device(0, alice, Some(phone)).await;

    let revoked = shared::events::Event::SessionRevoked {
        user_id: UserId(alice),
        reason: "signed_out".into(),
        sessions: Some(vec![laptop]),
    };
    c.publish(&RoutingKey::User(UserId(alice)).to_string(), &[], &revoked).await;
    assert_eq!(laptop_0.close_code(WAIT).await, Some(4001));
    assert_eq!(laptop_1.close_code(WAIT).await, Some(4001));
    c.publish(&RoutingKey::User(UserId(alice)).to_string(), &[], &message(1, 1, alice, "phone still here")).await;
    assert_eq!(phone_0.event_of("message.new", WAIT).await["data"]["body"], "phone still here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_broker_message_never_reaches_a_socket_as_an_empty_frame() {
    let c = Cluster::start(1).await;
    let alice = c.user("alice");
    let mut client = c.connect(0, alice).await;

    c.publish_raw(&RoutingKey::User(UserId(alice)).to_string(), b"").await;
    c.publish(&RoutingKey::User(UserId(alice)).to_string(), &[], &message(1, 1, alice, "after the empty one")).await;

    // The test client parses every text frame as JSON: an empty frame would fail here.
    assert_eq!(client.event(WAIT).await["data"]["body"], "after the empty one");
    client.quiet(QUIET).await;
    assert_eq!(metric(&c.metrics(0).await, "chat_ws_dropped_total", r#"reason="empty_event""#), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_change_reaches_each_contact_peer_and_co_member_socket_once_on_any_node() {
    let c = Cluster::start(2).await;
    let [ann, contact, mate, both, stranger] = c.users(&["ann", "contact", "mate", "both", "stranger"])[..] else {
        unreachable!()
    };
    let (gid, _) = c.group(&[ann, mate, both]);
    let mut sockets = [
        ("ann's other device", c.connect(1, ann).await),
        ("a contact", c.connect(0, contact).await),
        ("a co-member", c.connect(1, mate).await),
        ("a contact who is also a co-member", c.connect(0, both).await),
    ];
    let mut outsider = c.connect(0, stranger).await;

    // What the api-server's outbox writes for `user.updated`: user.<uid>, CC contacts and groups.
    let event = shared::events::Event::UserUpdated(shared::events::UserUpdated {
        user_id: UserId(ann),
        username: "ann".into(),
        display_name: "Ann".into(),
        bio: String::new(),
        avatar_id: None,
        status_text: Some("on holiday".into()),
        status_emoji: Some("🌴".into()),
    });
    let cc = [RoutingKey::User(UserId(contact)), RoutingKey::User(UserId(both)), RoutingKey::Group(GroupId(gid))];
    c.publish(&RoutingKey::User(UserId(ann)).to_string(), &cc.map(|k| k.to_string()), &event).await;

    for (name, client) in sockets.iter_mut() {
        let e = client.event(WAIT).await;
        assert_eq!(
            (e["type"].as_str(), e["data"]["status_text"].as_str()),
            (Some("user.updated"), Some("on holiday")),
            "{name}"
        );
    }
    for (_, client) in sockets.iter_mut() {
        client.quiet(QUIET).await;
    }
    outsider.quiet(QUIET).await;
}
