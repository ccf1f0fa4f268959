//! `spawn_app()`: a real api-server on a free port with its own database, exchange and key
//! prefix; `TestApp` has typed helpers for the common calls.
#![allow(dead_code)]

use api_server::startup::Application;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use shared::config::Settings;
use shared::testing::TestEnv;

pub struct TestApp {
    pub address: String,
    pub env: TestEnv,
    pub settings: Settings,
    pub client: reqwest::Client,
}

/// The rate limits count in fixed windows of a wall-clock minute. A test that sets a small
/// per-minute limit and expects the hit past it to be refused would see the count start over
/// if its calls straddled the minute's end (it did, in a CI run): such a test starts only with
/// at least 20 s of the current minute left.
async fn early_in_a_minute() {
    let into_minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() % 60.0)
        .unwrap_or(0.0);
    if into_minute > 40.0 {
        tokio::time::sleep(std::time::Duration::from_secs_f64(60.0 - into_minute + 0.1)).await;
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    if extra.iter().any(|(name, value)| name.ends_with("_PER_MIN") && value.parse::<u64>().is_ok_and(|n| n < 100)) {
        early_in_a_minute().await;
    }
    let env = TestEnv::new(extra);
    let settings = env.settings.clone();
    let app = Application::build(settings.clone()).await.expect("api-server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { address, env, settings, client }
}

/// A response's status and JSON body (Null when the body is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        Reply { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), headers }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body)).await
    }

    /// Sends raw bytes with a content type.
    pub async fn post_raw(&self, path: &str, token: Option<&str>, content_type: &str, body: Vec<u8>) -> Reply {
        let mut req = self.client.post(self.url(path)).header("content-type", content_type).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        Reply { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), headers }
    }
}

/// A registered user with a session.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub token: String,
    pub refresh: String,
}

impl TestApp {
    pub async fn register(&self, username: &str) -> User {
        let reply = self
            .post("/api/auth/register", None, serde_json::json!({"username": username, "password": "password123"}))
            .await;
        assert_eq!(reply.status, 201, "register {username}: {}", reply.body);
        User {
            id: reply.body["user"]["id"].as_i64().expect("id"),
            username: username.to_owned(),
            token: reply.body["access_token"].as_str().expect("access").to_owned(),
            refresh: reply.body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    /// A new session of an existing user (another device).
    pub async fn login(&self, user: &User) -> Reply {
        self.post("/api/auth/login", None, serde_json::json!({"username": user.username, "password": "password123"}))
            .await
    }

    /// Rows in a table (to check that a rejected request changed nothing).
    pub fn count(&self, table: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.env.db.connect();
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result::<N>(&mut conn).expect("count").n
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::PUT, path, token, None).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::DELETE, path, token, None).await
    }
}

/// Every REST route, for the OpenAPI coverage test (add new routes here).
pub const ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/refresh",
    "/api/auth/logout",
    "/api/auth/ws-ticket",
    "/api/auth/email/verify",
    "/api/auth/password/forgot",
    "/api/auth/password/reset",
    "/api/me/email",
    "/api/me/email/verification",
    "/api/auth/oidc/providers",
    "/api/auth/oidc/{provider}/start",
    "/api/auth/oidc/{provider}/callback",
    "/api/auth/oidc/complete",
    "/api/sessions",
    "/api/auth/login/second-factor",
    "/api/me/2fa",
    "/api/me/2fa/confirm",
    "/api/me/privacy",
    "/api/sessions/{id}",
    "/api/me",
    "/api/avatars/me",
    "/api/users",
    "/api/users/{id}",
    "/api/users/{id}/profile",
    "/api/presence",
    "/api/search",
    "/api/media",
    "/api/conversations/{id}/retention",
    "/api/messages/{id}/report",
    "/api/admin/users",
    "/api/admin/users/{id}/suspend",
    "/api/admin/users/{id}/unsuspend",
    "/api/admin/reports",
    "/api/admin/flags",
    "/api/admin/overview",
    "/api/me/media-usage",
    "/api/admin/reports/{id}/resolve",
    "/api/media/{id}",
    "/api/media/{id}/thumb",
    "/api/contacts",
    "/api/contacts/{user_id}",
    "/api/blocks",
    "/api/blocks/{user_id}",
    "/api/conversations",
    "/api/conversations/direct",
    "/api/conversations/{id}",
    "/api/conversations/{id}/messages",
    "/api/conversations/{id}/receipts",
    "/api/conversations/{id}/pin",
    "/api/conversations/{id}/archive",
    "/api/conversations/{id}/mute",
    "/api/conversations/{id}/clear",
    "/api/messages/{id}",
    "/api/messages/{id}/reactions/{emoji}",
    "/api/groups",
    "/api/groups/{id}",
    "/api/avatars/groups/{id}",
    "/api/groups/{id}/members/{user_id}",
    "/api/groups/{id}/leave",
    "/api/groups/{id}/channels",
    "/api/groups/{id}/channels/{cid}",
    "/api/groups/{id}/invites",
    "/api/groups/{id}/invites/{invite_id}",
    "/api/invites/{token}/accept",
];

impl TestApp {
    /// `a` opens the direct chat with `b`; returns its id.
    pub async fn direct(&self, a: &User, b: &User) -> i64 {
        let reply = self.post("/api/conversations/direct", Some(&a.token), serde_json::json!({"user_id": b.id})).await;
        assert!(reply.status.is_success(), "direct: {}", reply.body);
        reply.body["id"].as_i64().expect("id")
    }

    /// Sends a text message; returns the reply.
    pub async fn send(&self, user: &User, conversation: i64, body: &str) -> Reply {
        self.post(
            &format!("/api/conversations/{conversation}/messages"),
            Some(&user.token),
            serde_json::json!({"client_id": uuid::Uuid::new_v4(), "body": body}),
        )
        .await
    }

    /// Creates a group owned by `owner` with `members`; returns (group id, general channel id).
    pub async fn group(&self, owner: &User, members: &[&User]) -> (i64, i64) {
        let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
        let reply =
            self.post("/api/groups", Some(&owner.token), serde_json::json!({"name": "Team", "member_ids": ids})).await;
        assert_eq!(reply.status, 201, "group: {}", reply.body);
        (reply.body["id"].as_i64().expect("id"), reply.body["channels"][0]["id"].as_i64().expect("channel"))
    }

    pub fn seqs(page: &Value) -> Vec<i64> {
        page["items"].as_array().expect("items").iter().map(|m| m["seq"].as_i64().expect("seq")).collect()
    }
}

impl TestApp {
    /// Runs SQL in the test database (to set up states the API cannot reach quickly).
    pub fn exec(&self, sql: &str) {
        use diesel::prelude::*;
        let mut conn = self.env.db.connect();
        diesel::sql_query(sql).execute(&mut conn).expect("sql");
    }

    pub fn count_where(&self, table: &str, condition: &str) -> bool {
        self.count(&format!("{table} WHERE {condition}")) > 0
    }

    /// The files of an upload (its bytes and its thumbnail, if any) under MEDIA_DIR.
    pub fn media_files(&self, attachment: i64) -> Vec<std::path::PathBuf> {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Keys {
            #[diesel(sql_type = diesel::sql_types::Text)]
            key: String,
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            thumb: Option<String>,
        }
        let mut conn = self.env.db.connect();
        let row: Keys = diesel::sql_query(format!(
            "SELECT storage_key AS key, thumb_key AS thumb FROM attachments WHERE id = {attachment}"
        ))
        .get_result(&mut conn)
        .expect("attachment row");
        std::iter::once(row.key).chain(row.thumb).map(|k| self.settings.media_dir.join(&k[..2]).join(&k)).collect()
    }
}

/// A PNG of one colour.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, Rgb([30, 120, 200])))
        .write_to(&mut out, ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// A `multipart/form-data` body with one part (built by hand, so tests can also send broken ones).
pub fn multipart(part: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----chat-test-boundary-7d93a1";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl TestApp {
    /// `POST /api/media?kind=…` with the bytes as the `file` part.
    pub async fn upload(&self, user: &User, kind: &str, file_name: &str, bytes: &[u8]) -> Reply {
        let (content_type, body) = multipart("file", file_name, bytes);
        self.post_raw(&format!("/api/media?kind={kind}"), Some(&user.token), &content_type, body).await
    }

    /// A GET whose body is kept as bytes: (status, headers, body).
    pub async fn get_bytes(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request sent");
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.bytes().await.expect("body").to_vec())
    }

    /// Sends a message of `kind` carrying an upload.
    pub async fn send_media(&self, user: &User, conversation: i64, kind: &str, attachment: i64) -> Reply {
        self.post(
            &format!("/api/conversations/{conversation}/messages"),
            Some(&user.token),
            serde_json::json!({"client_id": uuid::Uuid::new_v4(), "kind": kind, "body": "", "attachment_id": attachment}),
        )
        .await
    }
}

/// A media sweep every 200 ms (tests that wait for uploads' bytes to go).
pub const FAST_SWEEP: (&str, &str) = ("MEDIA_SWEEP_MS", "200");

/// Waits up to 10 s for `done`.
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
