//! A member's removal and the group's messages, end to end through real api-servers (REST,
//! transactions, outbox relays) and a node: the removed member's socket never gets a message
//! committed after the removal, whichever relay publishes.

use std::time::Duration;

use serde_json::json;
use shared::auth::{SessionRef, AUD_API};
use shared::config::Settings;
use shared::testing::BrokerProxy;

use crate::helpers::{Client, Cluster, Incoming, WAIT};
use shared::ids::UserId;

/// An api-server in process on the cluster's database and exchange; returns its address.
async fn api_server(settings: Settings) -> String {
    let app = api_server::startup::Application::build(settings).await.expect("api-server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    address
}

struct Rest {
    address: String,
    client: reqwest::Client,
}

impl Rest {
    fn token(c: &Cluster, user: i64) -> String {
        c.keys().issue_for(UserId(user), AUD_API, 900, SessionRef::default())
    }

    async fn send(&self, c: &Cluster, user: i64, conversation: i64, body: &str) -> u16 {
        let url = format!("{}/api/conversations/{conversation}/messages", self.address);
        let request = json!({"client_id": uuid::Uuid::new_v4(), "body": body});
        let res = self.client.post(url).bearer_auth(Self::token(c, user)).json(&request).send().await.expect("send");
        res.status().as_u16()
    }

    async fn membership(&self, c: &Cluster, admin: i64, group: i64, user: i64, member: bool) -> u16 {
        let url = format!("{}/api/groups/{group}/members/{user}", self.address);
        let request = if member { self.client.post(url) } else { self.client.delete(url) };
        request.bearer_auth(Self::token(c, admin)).send().await.expect("membership").status().as_u16()
    }

    async fn wait_broker(&self) {
        for _ in 0..100 {
            let res = self.client.get(format!("{}/readyz", self.address)).send().await.expect("readyz");
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            if body["checks"]["rabbitmq"] == "up" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the api-server never reached the broker");
    }
}

/// The bodies of the `message.new` events a client gets within `wait`.
async fn message_bodies(client: &mut Client, wait: Duration) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut bodies = Vec::new();
    while let Some(left) = deadline.checked_duration_since(tokio::time::Instant::now()) {
        match client.recv(left).await {
            Some(Incoming::Event(e)) if e["type"] == "message.new" => {
                bodies.push(e["data"]["body"].as_str().unwrap_or_default().to_owned());
            }
            Some(Incoming::Event(_)) => {}
            _ => break,
        }
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_never_gets_a_message_committed_after_the_removal_while_a_relay_stalls() {
    let c = Cluster::start(1).await;
    let [owner, x, y] = c.users(&["owner", "x", "y"])[..] else { unreachable!() };
    let (group, channel) = c.group(&[owner, x, y]);
    let mut xs = c.connect(0, x).await;
    let mut ys = c.connect(0, y).await;

    // api-1: takes the requests; its relay's broker stops confirming (memory alarm).
    let proxy = BrokerProxy::start().await;
    let mut first = c.env.settings.clone();
    (first.node_id, first.amqp_url) = ("api-1".into(), proxy.url().into());
    first.outbox_confirm_timeout = Duration::from_millis(1_500);
    let api = Rest { address: api_server(first).await, client: reqwest::Client::new() };
    api.wait_broker().await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    proxy.set_alarm(true);
    assert_eq!(api.membership(&c, owner, group, x, false).await, 204, "x removed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // api-2: a second relay on a working broker, started while the removal is stuck at api-1's.
    let mut second = c.env.settings.clone();
    second.node_id = "api-2".into();
    Rest { address: api_server(second).await, client: reqwest::Client::new() }.wait_broker().await;
    assert_eq!(api.send(&c, y, channel, "after x left").await, 201);

    assert!(message_bodies(&mut xs, Duration::from_secs(3)).await.is_empty(), "x hears nothing after its removal");
    proxy.set_alarm(false);
    assert_eq!(message_bodies(&mut ys, WAIT).await.first().map(String::as_str), Some("after x left"));
    assert!(message_bodies(&mut xs, Duration::from_secs(1)).await.is_empty(), "nor later");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removals_interleaved_with_sends_through_three_relays_cut_each_removed_member_off_in_commit_order() {
    let c = Cluster::start(1).await;
    let names = ["owner", "sender", "m1", "m2", "m3", "m4", "m5"];
    let users = c.users(&names);
    let (owner, sender, removed) = (users[0], users[1], users[2..].to_vec());
    let (group, channel) = c.group(&users);
    let mut sockets = Vec::new();
    for &m in &removed {
        sockets.push(c.connect(0, m).await);
    }
    let mut sender_socket = c.connect(0, sender).await;
    let mut apis = Vec::new();
    for i in 0..3 {
        let mut settings = c.env.settings.clone();
        settings.node_id = format!("api-{i}");
        let api = Rest { address: api_server(settings).await, client: reqwest::Client::new() };
        api.wait_broker().await;
        apis.push(api);
    }

    const SENDS: usize = 60;
    let sends = async {
        for i in 0..SENDS {
            assert_eq!(apis[i % 3].send(&c, sender, channel, &format!("m{i}")).await, 201);
        }
    };
    let removals = async {
        for (i, &m) in removed.iter().enumerate() {
            tokio::time::sleep(Duration::from_millis(60)).await;
            assert_eq!(apis[(i + 1) % 3].membership(&c, owner, group, m, false).await, 204);
        }
    };
    tokio::join!(sends, removals);
    assert_eq!(message_bodies(&mut sender_socket, Duration::from_secs(10)).await.len(), SENDS, "all published");

    let mut checked = 0;
    for (socket, &m) in sockets.iter_mut().zip(&removed) {
        let removal =
            c.outbox_id(&format!("routing_key = 'user.{m}' AND payload->'data'->>'reason' = 'member_removed'"));
        for body in message_bodies(socket, Duration::from_millis(200)).await {
            let message =
                c.outbox_id(&format!("payload->>'type' = 'message.new' AND payload->'data'->>'body' = '{body}'"));
            assert!(
                message < removal,
                "user {m} got {body} (outbox {message}), committed after its removal ({removal})"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "the members received messages before their removals");
}
