//! Ending a session reaches every socket: a real api-server next to the nodes (logout, device
//! sign-out, password reset, suspension close the session's sockets and refuse the tickets minted
//! before), and a node that missed the event finds out on its next periodic check.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use ws_server::config::Tuning;

use crate::helpers::{open, Client, Cluster, ORIGIN, QUIET, WAIT};

/// A real api-server on the cluster's database, exchange and key prefix (its outbox relay
/// publishes what the nodes consume).
struct Api {
    address: String,
    http: reqwest::Client,
}

/// What a sign-in answers.
struct Session {
    user_id: i64,
    access: String,
    refresh: String,
}

impl Api {
    async fn start(c: &Cluster) -> Self {
        let app = api_server::startup::Application::build(c.env.settings.clone()).await.expect("api-server builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self { address, http: reqwest::Client::new() }
    }

    async fn call(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.address)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("api answers");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, body).await
    }

    fn session(body: &Value) -> Session {
        Session {
            user_id: body["user"]["id"].as_i64().expect("user id"),
            access: body["access_token"].as_str().expect("access token").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh token").to_owned(),
        }
    }

    async fn register(&self, username: &str) -> Session {
        let (status, body) =
            self.post("/api/auth/register", None, json!({"username": username, "password": "password123"})).await;
        assert_eq!(status, 201, "{body}");
        Self::session(&body)
    }

    async fn login(&self, username: &str) -> Session {
        let (status, body) =
            self.post("/api/auth/login", None, json!({"username": username, "password": "password123"})).await;
        assert_eq!(status, 200, "{body}");
        Self::session(&body)
    }

    async fn ticket(&self, session: &Session) -> String {
        let (status, body) = self.post("/api/auth/ws-ticket", Some(&session.access), json!({})).await;
        assert_eq!(status, 200, "{body}");
        body["ticket"].as_str().expect("ticket").to_owned()
    }

    /// The id of the session this access token belongs to.
    async fn session_id(&self, session: &Session) -> String {
        let (_, list) = self.call(reqwest::Method::GET, "/api/sessions", Some(&session.access), Value::Null).await;
        let current = list.as_array().expect("sessions").iter().find(|s| s["current"] == true).expect("current");
        current["id"].as_str().expect("id").to_owned()
    }
}

async fn connect(c: &Cluster, ticket: &str) -> Client {
    let mut client = open(&c.url(0, ticket), Some(ORIGIN)).await.expect("upgrade");
    assert_eq!(client.event(WAIT).await["type"], "ready");
    client
}

fn assert_refused(result: Result<Client, crate::helpers::Refused>, case: &str) {
    let refused = result.err().unwrap_or_else(|| panic!("{case}: a ticket minted before it still opened a socket"));
    assert_eq!((refused.status, &refused.body["error"]["code"]), (401, &json!("invalid_ticket")), "{case}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_closes_that_sessions_sockets_and_its_unused_tickets_open_nothing() {
    let c = Cluster::start(1).await;
    let api = Api::start(&c).await;
    let laptop = api.register("anna").await;
    let phone = api.login("anna").await;
    let mut laptop_socket = connect(&c, &api.ticket(&laptop).await).await;
    let mut phone_socket = connect(&c, &api.ticket(&phone).await).await;
    let spare = api.ticket(&laptop).await;

    let (status, _) = api.post("/api/auth/logout", None, json!({"refresh_token": laptop.refresh})).await;
    assert_eq!(status, 204);

    assert_eq!(laptop_socket.close_code(WAIT).await, Some(4001), "the logged-out session's socket");
    assert_refused(open(&c.url(0, &spare), Some(ORIGIN)).await, "logout");
    // The other device hears which session ended and stays connected.
    let told = phone_socket.event_of("session.revoked", WAIT).await;
    assert_eq!(told["data"]["reason"], "signed_out");
    phone_socket.heartbeat().await;
    phone_socket.quiet(QUIET).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_minted_before_a_sign_out_reset_or_suspension_open_nothing() {
    let c = Cluster::start(1).await;
    let api = Api::start(&c).await;

    // Device sign-out: the signed-out device's ticket, and this device's older one.
    let laptop = api.register("ben").await;
    let phone = api.login("ben").await;
    let (phone_ticket, laptop_ticket) = (api.ticket(&phone).await, api.ticket(&laptop).await);
    let phone_id = api.session_id(&phone).await;
    let (status, _) = api
        .call(reqwest::Method::DELETE, &format!("/api/sessions/{phone_id}"), Some(&laptop.access), Value::Null)
        .await;
    assert_eq!(status, 204);
    assert_refused(open(&c.url(0, &phone_ticket), Some(ORIGIN)).await, "device sign-out");
    assert_refused(open(&c.url(0, &laptop_ticket), Some(ORIGIN)).await, "a ticket of the older token version");

    // Password reset (the link's token put in place here: the mail is not what is tested).
    let carl = api.register("carl").await;
    let ticket = api.ticket(&carl).await;
    let reset_token = "reset-token-for-carl-0123456789abcdef";
    c.exec(&format!(
        "INSERT INTO email_tokens (user_id, purpose, email, token_hash, expires_at) \
         VALUES ({}, 'reset', 'carl@example.com', '{}', now() + interval '1 hour')",
        carl.user_id,
        shared::auth::hash_token(reset_token)
    ));
    let (status, body) =
        api.post("/api/auth/password/reset", None, json!({"token": reset_token, "password": "new-password-1"})).await;
    assert_eq!(status, 204, "{body}");
    assert_refused(open(&c.url(0, &ticket), Some(ORIGIN)).await, "password reset");

    // Suspension by an administrator.
    let admin = api.register("root").await;
    c.exec(&format!("UPDATE users SET role = 'admin' WHERE id = {}", admin.user_id));
    let dora = api.register("dora").await;
    let ticket = api.ticket(&dora).await;
    let path = format!("/api/admin/users/{}/suspend", dora.user_id);
    let (status, body) = api.post(&path, Some(&admin.access), json!({"reason": "spam"})).await;
    assert_eq!(status, 200, "{body}");
    assert_refused(open(&c.url(0, &ticket), Some(ORIGIN)).await, "suspension");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_whose_session_ended_unannounced_is_closed_by_the_periodic_check() {
    let tuning = Tuning::from_lookup(|k| (k == "WS_SESSION_CHECK_MS").then(|| "500".into()))
        .expect("tuning with a short period");
    let c = Cluster::start_with(1, &[], tuning).await;
    let alice = c.user("alice");
    let (laptop, phone) = (c.session(alice), c.session(alice));
    let mut laptop_socket = c.connect_device(0, alice, Some(laptop)).await;
    let mut phone_socket = c.connect_device(0, alice, Some(phone)).await;

    // The session ends while the node hears nothing (its event lost, say).
    c.exec(&format!("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = '{laptop}'"));

    assert_eq!(laptop_socket.close_code(Duration::from_secs(4)).await, Some(4001));
    phone_socket.heartbeat().await;
    phone_socket.quiet(Duration::from_secs(1)).await;
}
