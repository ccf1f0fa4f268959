//! A cluster of ws-server nodes on one test's database, exchange and key prefix; WebSocket
//! clients; SQL fixtures; a publisher doing what api-server's outbox relay does.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use diesel::sql_types::BigInt;
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use futures_util::{SinkExt, StreamExt};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use shared::api::MessageDto;
use shared::auth::{TokenKeys, AUD_WS};
use shared::broker::{self, Outgoing};
use shared::events::{ConversationUpdated, Event, RoutingKey, UpdateReason};
use shared::ids::{ConversationId, GroupId, MessageId, UserId};
use shared::testing::TestEnv;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;
use ws_server::config::Tuning;
use ws_server::shutdown::ShutdownHandle;
use ws_server::startup::Application;

pub const ORIGIN: &str = "http://localhost:8000";
pub const WAIT: Duration = Duration::from_secs(5);
/// How long "nothing else arrives" is watched for.
pub const QUIET: Duration = Duration::from_millis(400);

pub struct Node {
    pub port: u16,
    pub node_id: String,
    /// In-process nodes only.
    pub shutdown: Option<ShutdownHandle>,
    pub task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A ws-server process, killed when dropped.
pub struct Proc {
    pub child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Cluster {
    pub env: TestEnv,
    pub nodes: Vec<Node>,
    keys: TokenKeys,
    channel: lapin::Channel,
    _broker: lapin::Connection,
    db: Mutex<PgConnection>,
}

impl Cluster {
    pub async fn start(nodes: usize) -> Self {
        Self::start_with(nodes, &[], Tuning::default()).await
    }

    /// `nodes` in-process nodes sharing the env's settings (each with its own NODE_ID).
    pub async fn start_with(nodes: usize, extra: &[(&str, &str)], tuning: Tuning) -> Self {
        let mut env = TestEnv::new(extra);
        env.settings.database_url = without_tls(env.settings.database_url.expose_secret()).into();
        let mut started = Vec::new();
        for i in 0..nodes {
            let mut settings = env.settings.clone();
            settings.node_id = format!("{}-{i}", env.settings.node_id);
            let node_id = settings.node_id.clone();
            let app = Application::build_with(settings, tuning.clone()).await.expect("ws-server builds");
            let (port, shutdown) = (app.port(), app.shutdown_handle());
            let task = tokio::spawn(app.run_until_stopped());
            started.push(Node { port, node_id, shutdown: Some(shutdown), task: Some(task) });
        }
        for node in &started {
            wait_ready(node.port).await;
        }
        // The real broker, even when the nodes go through a proxy.
        let broker = broker::connect(&shared::testing::services().amqp_url, "ws-test-publisher").await.expect("broker");
        let channel = broker::publisher_channel(&broker, &env.settings.exchange).await.expect("channel");
        let db = Mutex::new(env.db.connect());
        let keys = TokenKeys::new(&env.settings.jwt_secret);
        Self { env, nodes: started, keys, channel, _broker: broker, db }
    }

    /// One more in-process node on the same database and broker, its settings changed by
    /// `change` (e.g. another Memcached).
    pub async fn add_node(&mut self, change: impl FnOnce(&mut shared::config::Settings)) -> usize {
        let mut settings = self.env.settings.clone();
        settings.node_id = format!("{}-{}", self.env.settings.node_id, self.nodes.len());
        change(&mut settings);
        let node_id = settings.node_id.clone();
        let app = Application::build_with(settings, Tuning::default()).await.expect("ws-server builds");
        let (port, shutdown) = (app.port(), app.shutdown_handle());
        let task = tokio::spawn(app.run_until_stopped());
        wait_ready(port).await;
        self.nodes.push(Node { port, node_id, shutdown: Some(shutdown), task: Some(task) });
        self.nodes.len() - 1
    }

    /// Starts the real binary as one more node (same settings, its own NODE_ID and port).
    pub async fn spawn_process(&mut self, env: &[(&str, &str)]) -> Proc {
        let s = &self.env.settings;
        let node_id = format!("{}-p{}", s.node_id, self.nodes.len());
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ws-server"));
        cmd.env("DATABASE_URL", s.database_url.expose_secret())
            .env("AMQP_URL", s.amqp_url.expose_secret())
            .env("MEMCACHED_URL", &s.memcached_url)
            .env("CHAT_EXCHANGE", &s.exchange)
            .env("MEMCACHED_PREFIX", &s.cache_prefix)
            .env("JWT_SECRET", s.jwt_secret.expose_secret())
            .env("ALLOWED_ORIGINS", s.allowed_origins.join(","))
            .env("HEARTBEAT_MS", s.heartbeat.as_millis().to_string())
            .env("WS_ADDR", format!("127.0.0.1:{port}"))
            .env("NODE_ID", &node_id)
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", std::env::var("WS_TEST_CHILD_LOG").unwrap_or_else(|_| "warn".into()))
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        let proc = Proc { child: cmd.spawn().expect("ws-server binary starts") };
        wait_ready(port).await;
        self.nodes.push(Node { port, node_id, shutdown: None, task: None });
        proc
    }

    /// A ticket like api-server mints: naming a live session of the user (a new one) and the
    /// user's current token version.
    pub fn ticket(&self, user_id: i64) -> String {
        let device = self.session(user_id);
        self.ticket_for(user_id, device)
    }

    /// A ticket of this signed-in device (session), which must exist (see [`Cluster::session`]).
    pub fn ticket_for(&self, user_id: i64, device: uuid::Uuid) -> String {
        let version = self.token_version(user_id);
        self.keys.issue_for(UserId(user_id), AUD_WS, 30, shared::auth::SessionRef { version, id: Some(device) })
    }

    /// A new live session (refresh-token family) of the user, as a login makes.
    pub fn session(&self, user_id: i64) -> uuid::Uuid {
        let device = uuid::Uuid::new_v4();
        self.add_session(user_id, device);
        device
    }

    /// Makes `device` a live session of the user unless it is one already.
    fn add_session(&self, user_id: i64, device: uuid::Uuid) {
        self.exec(&format!(
            "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) \
             SELECT {user_id}, '{device}', md5(random()::text) || '{device}', now() + interval '30 days' \
             WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = '{device}')"
        ));
    }

    pub fn token_version(&self, user_id: i64) -> i32 {
        #[derive(QueryableByName)]
        struct Version {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            token_version: i32,
        }
        let mut db = self.db.lock().expect("db");
        diesel::sql_query(format!("SELECT token_version FROM users WHERE id = {user_id}"))
            .get_result::<Version>(&mut *db)
            .expect("user")
            .token_version
    }

    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    pub fn url(&self, node: usize, ticket: &str) -> String {
        format!("ws://127.0.0.1:{}/ws?ticket={ticket}", self.nodes[node].port)
    }

    /// Connects `user_id` to `node` and waits for `ready`.
    pub async fn connect(&self, node: usize, user_id: i64) -> Client {
        self.connect_device(node, user_id, None).await
    }

    /// Connects with a ticket naming the signed-in device (session) and waits for `ready`.
    /// A device named for the first time becomes a live session of the user.
    pub async fn connect_device(&self, node: usize, user_id: i64, device: Option<uuid::Uuid>) -> Client {
        let ticket = match device {
            Some(device) => {
                self.add_session(user_id, device);
                self.ticket_for(user_id, device)
            }
            None => self.ticket(user_id),
        };
        let mut client = open(&self.url(node, &ticket), Some(ORIGIN)).await.expect("upgrade");
        let ready = client.event(WAIT).await;
        assert_eq!(ready["type"], "ready", "{ready}");
        client
    }

    /// Publishes like the outbox relay: persistent, confirmed, CC for direct chats.
    pub async fn publish(&self, key: &str, cc: &[String], event: &Event) {
        let msg =
            Outgoing { routing_key: key.into(), cc: cc.to_vec(), payload: serde_json::to_vec(event).expect("json") };
        broker::publish_confirmed(&self.channel, &self.env.settings.exchange, &msg).await.expect("published");
    }

    /// Publishes `payload` as it is (a broken publisher), confirmed.
    pub async fn publish_raw(&self, key: &str, payload: &[u8]) {
        let msg = Outgoing { routing_key: key.into(), cc: vec![], payload: payload.to_vec() };
        broker::publish_confirmed(&self.channel, &self.env.settings.exchange, &msg).await.expect("published");
    }

    /// Publishes without waiting for each confirm (many events at once).
    pub async fn publish_many(&self, key: &str, events: &[Event]) {
        let mut confirms = Vec::new();
        for event in events {
            let msg =
                Outgoing { routing_key: key.into(), cc: vec![], payload: serde_json::to_vec(event).expect("json") };
            confirms
                .push(broker::publish(&self.channel, &self.env.settings.exchange, &msg, true).await.expect("publish"));
        }
        for c in confirms {
            c.await.expect("confirmed");
        }
    }

    pub async fn metrics(&self, node: usize) -> String {
        let url = format!("http://127.0.0.1:{}/metrics", self.nodes[node].port);
        reqwest::get(url).await.expect("scrape").text().await.expect("text")
    }

    // ---- fixtures (plain SQL until api-server's endpoints land) ----

    pub fn exec(&self, sql: &str) {
        let mut db = self.db.lock().expect("db");
        diesel::sql_query(sql).execute(&mut *db).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn insert(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let mut db = self.db.lock().expect("db");
        diesel::sql_query(sql).get_result::<Id>(&mut *db).unwrap_or_else(|e| panic!("{sql}: {e}")).id
    }

    /// The id of the first outbox row matching `condition` (rows written by api-servers).
    pub fn outbox_id(&self, condition: &str) -> i64 {
        self.insert(&format!("SELECT id FROM outbox_log WHERE {condition} ORDER BY id LIMIT 1"))
    }

    pub fn user(&self, name: &str) -> i64 {
        self.insert(&format!(
            "INSERT INTO users (username, display_name, password_hash) VALUES ('user_{name}', '{name}', 'x') RETURNING id"
        ))
    }

    pub fn users(&self, names: &[&str]) -> Vec<i64> {
        names.iter().map(|n| self.user(n)).collect()
    }

    /// A group owned by the first member, with a channel; returns (group_id, channel_id).
    pub fn group(&self, members: &[i64]) -> (i64, i64) {
        let gid =
            self.insert(&format!("INSERT INTO groups (name, created_by) VALUES ('g', {}) RETURNING id", members[0]));
        for (i, uid) in members.iter().enumerate() {
            let role = if i == 0 { "owner" } else { "member" };
            self.exec(&format!("INSERT INTO group_members (group_id, user_id, role) VALUES ({gid}, {uid}, '{role}')"));
        }
        let cid = self.insert(&format!(
            "INSERT INTO conversations (kind, group_id, name) VALUES ('channel', {gid}, 'general') RETURNING id"
        ));
        for uid in members {
            self.exec(&format!("INSERT INTO conversation_members (conversation_id, user_id) VALUES ({cid}, {uid})"));
        }
        (gid, cid)
    }

    pub fn direct(&self, a: i64, b: i64) -> i64 {
        let (low, high) = (a.min(b), a.max(b));
        let cid = self.insert(&format!(
            "INSERT INTO conversations (kind, direct_low, direct_high) VALUES ('direct', {low}, {high}) RETURNING id"
        ));
        for uid in [a, b] {
            self.exec(&format!("INSERT INTO conversation_members (conversation_id, user_id) VALUES ({cid}, {uid})"));
        }
        cid
    }

    /// What api-server does when a member is added or removed: the row, then the event on
    /// `user.<uid>`.
    pub async fn set_member(&self, gid: i64, uid: i64, member: bool) {
        let reason = if member {
            self.exec(&format!("INSERT INTO group_members (group_id, user_id) VALUES ({gid}, {uid})"));
            UpdateReason::MemberAdded
        } else {
            self.exec(&format!("DELETE FROM group_members WHERE group_id = {gid} AND user_id = {uid}"));
            UpdateReason::MemberRemoved
        };
        let event = Event::ConversationUpdated(ConversationUpdated {
            conversation_id: None,
            group_id: Some(GroupId(gid)),
            reason,
            user_id: Some(UserId(uid)),
        });
        self.publish(&RoutingKey::User(UserId(uid)).to_string(), &[], &event).await;
    }
}

/// The nodes' pools talk to the local PostgreSQL in clear: libpq connections over TLS that are
/// torn down by actix worker threads while the test process exits race OpenSSL's exit-time
/// cleanup (rare "double free" / SIGSEGV after a passing test).
fn without_tls(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}sslmode=disable&gssencmode=disable")
}

pub fn message(conversation_id: i64, seq: i64, sender_id: i64, body: &str) -> Event {
    Event::MessageNew(MessageDto {
        id: MessageId(seq),
        conversation_id: ConversationId(conversation_id),
        seq,
        sender_id: UserId(sender_id),
        client_id: uuid::Uuid::new_v4(),
        kind: shared::api::MessageKind::Text,
        body: body.into(),
        attachment_id: None,
        reply_to_id: None,
        edited_at: None,
        deleted_at: None,
        created_at: chrono::Utc::now(),
        reactions: Vec::new(),
        attachment: None,
        change_version: 0,
    })
}

pub async fn wait_ready(port: u16) {
    let url = format!("http://127.0.0.1:{port}/readyz");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(res) = reqwest::get(&url).await {
            if res.status() == 200 {
                return;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "node on port {port} never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a client reads.
#[derive(Debug)]
pub enum Incoming {
    Event(Value),
    Closed(Option<u16>),
}

pub struct Client {
    ws: WebSocketStream<TcpStream>,
    /// `heartbeat` answers read so far (they are skipped like pongs, see [`Client::recv`]).
    pub heartbeat_answers: usize,
}

/// A refused upgrade: status and JSON body.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: Value,
}

pub async fn open(url: &str, origin: Option<&str>) -> Result<Client, Refused> {
    open_with(url, origin, None).await
}

/// Opens a socket; `recv_buffer` shrinks the client's TCP receive buffer (slow-client tests).
pub async fn open_with(url: &str, origin: Option<&str>, recv_buffer: Option<u32>) -> Result<Client, Refused> {
    let mut request = url.into_client_request().expect("request");
    if let Some(origin) = origin {
        request.headers_mut().insert("Origin", HeaderValue::from_str(origin).expect("header"));
    }
    let addr: SocketAddr =
        url.trim_start_matches("ws://").split('/').next().and_then(|hp| hp.parse().ok()).expect("host:port in url");
    let socket = TcpSocket::new_v4().expect("socket");
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size).expect("rcvbuf");
    }
    let stream = socket.connect(addr).await.expect("tcp connect");
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((ws, _)) => Ok(Client { ws, heartbeat_answers: 0 }),
        Err(tungstenite::Error::Http(res)) => {
            let body = res.body().as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
            Err(Refused { status: res.status().as_u16(), body })
        }
        Err(e) => panic!("websocket handshake failed: {e}"),
    }
}

impl Client {
    /// Next event or close (pings/pongs and `heartbeat` answers skipped, the answers counted);
    /// `None` on timeout.
    pub async fn recv(&mut self, timeout: Duration) -> Option<Incoming> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next()).await.ok()?;
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let event: Value = serde_json::from_str(&t).expect("json event");
                    if event["type"] == "heartbeat" {
                        self.heartbeat_answers += 1;
                        continue;
                    }
                    return Some(Incoming::Event(event));
                }
                Some(Ok(Message::Close(frame))) => return Some(Incoming::Closed(frame.map(|f| u16::from(f.code)))),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(other)) => panic!("unexpected frame {other:?}"),
                Some(Err(_)) | None => return Some(Incoming::Closed(None)),
            }
        }
    }

    /// The next event; panics on timeout or close.
    pub async fn event(&mut self, timeout: Duration) -> Value {
        match self.recv(timeout).await {
            Some(Incoming::Event(v)) => v,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// The next event of `kind`, skipping others.
    pub async fn event_of(&mut self, kind: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let v = self.event(left).await;
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// The `seq`s of up to `n` events of `kind` (others skipped), until `timeout` or a close.
    pub async fn seqs_of(&mut self, kind: &str, n: usize, timeout: Duration) -> Vec<i64> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut seqs = Vec::new();
        while seqs.len() < n {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.recv(left).await {
                Some(Incoming::Event(e)) if e["type"] == kind => seqs.extend(e["data"]["seq"].as_i64()),
                Some(Incoming::Event(_)) => {}
                _ => break,
            }
        }
        seqs
    }

    /// Asserts nothing (but pings) arrives for `duration`.
    pub async fn quiet(&mut self, duration: Duration) {
        if let Some(got) = self.recv(duration).await {
            panic!("expected nothing, got {got:?}");
        }
    }

    /// Reads until the close frame and returns its code (skipping events).
    pub async fn close_code(&mut self, timeout: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.recv(left).await {
                Some(Incoming::Event(_)) => continue,
                Some(Incoming::Closed(code)) => {
                    // Like a browser: answer the close (tungstenite does on the next poll) and
                    // wait for the server to drop the connection.
                    let _ =
                        tokio::time::timeout(Duration::from_secs(1), async { while self.ws.next().await.is_some() {} })
                            .await;
                    return code;
                }
                None => panic!("socket still open after {timeout:?}"),
            }
        }
    }

    pub async fn send(&mut self, value: Value) {
        self.ws.send(Message::Text(value.to_string().into())).await.expect("send");
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.ws.send(msg).await.expect("send");
    }

    /// Sends without expecting success (the server may already have closed a hostile client).
    pub async fn try_send(&mut self, msg: Message) -> bool {
        self.ws.send(msg).await.is_ok()
    }

    pub async fn subscribe(&mut self, user_ids: &[i64]) {
        self.send(json!({"type": "presence.subscribe", "data": {"user_ids": user_ids}})).await;
    }

    pub async fn typing(&mut self, conversation_id: i64, active: bool) {
        self.send(json!({"type": "typing", "data": {"conversation_id": conversation_id, "active": active}})).await;
    }

    pub async fn heartbeat(&mut self) {
        self.send(json!({"type": "heartbeat"})).await;
    }

    /// Sends a heartbeat and waits for its answer; false when none came within `timeout`
    /// (panics on any other frame).
    pub async fn heartbeat_answered(&mut self, timeout: Duration) -> bool {
        self.heartbeat().await;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let Ok(msg) = tokio::time::timeout_at(deadline, self.ws.next()).await else { return false };
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let event: Value = serde_json::from_str(&t).expect("json event");
                    assert_eq!(event, json!({"type": "heartbeat"}), "expected a heartbeat answer");
                    self.heartbeat_answers += 1;
                    return true;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a heartbeat answer, got {other:?}"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        // Wait for the server's answer so the close is complete on its side.
        let _ = tokio::time::timeout(Duration::from_secs(2), async { while self.ws.next().await.is_some() {} }).await;
    }
}

/// The value of a Prometheus series (summing every label set that contains `labels`).
pub fn metric(text: &str, name: &str, labels: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with(&format!("{name}_")) && l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
