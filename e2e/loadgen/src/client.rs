//! REST client (through nginx) and WebSocket sessions (straight to a ws replica).
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// `<base>/api` with JSON bodies and bearer tokens.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(base: &str) -> Result<Self> {
        let http = reqwest::Client::builder().pool_max_idle_per_host(512).timeout(Duration::from_secs(30)).build()?;
        Ok(Self { http, base: format!("{}/api", base.trim_end_matches('/')) })
    }

    /// A setup call. A 503 `overloaded` (refused before the server did anything) is sent again
    /// after a pause, as the web client does; only the measured sends count refusals.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut attempt = 0u32;
        let (status, text) = loop {
            let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let res = req.send().await.with_context(|| format!("{method} {path}"))?;
            let status = res.status();
            let text = res.text().await?;
            if status.as_u16() == 503 && text.contains("\"overloaded\"") && attempt < 20 {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt.min(8)))).await;
                continue;
            }
            break (status, text);
        };
        if !status.is_success() {
            bail!("{method} {path} -> {status} {text}");
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_str(&text)?)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, Some(token), None).await
    }

    pub async fn ticket(&self, token: &str) -> Result<String> {
        let v = self.post("/auth/ws-ticket", Some(token), json!({})).await?;
        v["ticket"].as_str().map(str::to_owned).ok_or_else(|| anyhow!("no ticket in {v}"))
    }

    /// Sends one message; returns its seq.
    pub async fn send(&self, token: &str, conversation_id: i64, body: String) -> Result<i64> {
        let v = self
            .post(
                &format!("/conversations/{conversation_id}/messages"),
                Some(token),
                json!({ "client_id": uuid::Uuid::new_v4(), "body": body }),
            )
            .await?;
        v["seq"].as_i64().ok_or_else(|| anyhow!("no seq in {v}"))
    }

    /// Sends one message, telling a refusal (429 or 503: the server shedding load) from an
    /// error: `Ok(Ok(seq))`, `Ok(Err(status))` or `Err`.
    pub async fn send_or_refused(&self, token: &str, conversation_id: i64, body: String) -> Result<Result<i64, u16>> {
        let res = self
            .http
            .post(format!("{}/conversations/{conversation_id}/messages", self.base))
            .bearer_auth(token)
            .json(&json!({ "client_id": uuid::Uuid::new_v4(), "body": body }))
            .send()
            .await
            .context("POST messages")?;
        let status = res.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            return Ok(Err(status.as_u16()));
        }
        let text = res.text().await?;
        if !status.is_success() {
            bail!("POST messages -> {status} {text}");
        }
        let v: Value = serde_json::from_str(&text)?;
        Ok(Ok(v["seq"].as_i64().ok_or_else(|| anyhow!("no seq in {v}"))?))
    }

    /// Creates a group with these members; returns the id of its `general` channel.
    pub async fn group(&self, owner: &User, members: &[i64], name: &str) -> Result<i64> {
        let v = self.post("/groups", Some(&owner.token), json!({ "name": name, "member_ids": members })).await?;
        v["channels"][0]["id"].as_i64().ok_or_else(|| anyhow!("no channel in {v}"))
    }

    pub async fn direct(&self, me: &User, peer: i64) -> Result<i64> {
        let v = self.post("/conversations/direct", Some(&me.token), json!({ "user_id": peer })).await?;
        v["id"].as_i64().ok_or_else(|| anyhow!("no id in {v}"))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password: String,
    #[serde(skip)]
    pub token: String,
    pub refresh_token: String,
}

impl User {
    fn from_tokens(v: &Value, username: &str, password: &str) -> Result<Self> {
        Ok(Self {
            id: v["user"]["user"]["id"]
                .as_i64()
                .or(v["user"]["id"].as_i64())
                .ok_or_else(|| anyhow!("no user id in {v}"))?,
            username: username.to_owned(),
            password: password.to_owned(),
            token: v["access_token"].as_str().unwrap_or_default().to_owned(),
            refresh_token: v["refresh_token"].as_str().unwrap_or_default().to_owned(),
        })
    }
}

/// `n` users: the ones saved in `pool` (refreshed, no argon2) first, then new registrations,
/// `concurrency` at a time (registration hashes a password: slow and rate-limited per IP).
pub async fn users(api: &Api, pool: &Path, n: usize, concurrency: usize) -> Result<Vec<User>> {
    let saved: Vec<User> = std::fs::read(pool).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let fast = Arc::new(Semaphore::new(32));
    let run = format!("{:x}", now_micros() % 0xff_ffff);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (api, sem, fast, old) = (api.clone(), sem.clone(), fast.clone(), saved.get(i).cloned());
        let name = format!("lg_{run}_{i}");
        tasks.push(tokio::spawn(async move {
            if let Some(old) = old {
                let _p = fast.acquire().await?;
                let r = api.post("/auth/refresh", None, json!({ "refresh_token": old.refresh_token })).await;
                if let Ok(v) = r {
                    return User::from_tokens(&v, &old.username, &old.password);
                }
            }
            let _p = sem.acquire().await?;
            let v =
                api.post("/auth/register", None, json!({ "username": name, "password": "loadgen-password" })).await?;
            User::from_tokens(&v, &name, "loadgen-password")
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await??);
        if out.len() % 100 == 0 {
            eprintln!("  users: {}/{n}", out.len());
        }
    }
    let mut all = out.clone();
    all.extend(saved.into_iter().skip(n));
    if let Some(dir) = pool.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(pool, serde_json::to_vec(&all)?)?;
    Ok(out)
}

pub fn now_micros() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// The fields of a server event the scenarios read; everything else is skipped.
#[derive(Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: Option<Data>,
}

#[derive(Deserialize, Default)]
pub struct Data {
    pub conversation_id: Option<i64>,
    pub seq: Option<i64>,
    pub body: Option<String>,
    pub heartbeat_ms: Option<u64>,
}

pub fn parse(msg: &Message) -> Option<Event> {
    match msg {
        Message::Text(t) => serde_json::from_str(t.as_str()).ok(),
        _ => None,
    }
}

/// Opens `<ws_url>/ws?ticket=…` with a fresh ticket and waits for `ready`: (socket, heartbeat).
pub async fn connect(api: &Api, ws_url: &str, token: &str) -> Result<(Ws, Duration)> {
    let ticket = api.ticket(token).await?;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{ws_url}/ws?ticket={ticket}")).await?;
    let ready = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(m) = ws.next().await {
            if let Some(e) = parse(&m?) {
                if e.kind == "ready" {
                    return Ok(e.data.and_then(|d| d.heartbeat_ms).unwrap_or(25_000));
                }
            }
        }
        bail!("closed before ready")
    })
    .await
    .map_err(|_| anyhow!("no ready within 15 s"))??;
    Ok((ws, Duration::from_millis(ready)))
}

pub async fn heartbeat(ws: &mut Ws) -> Result<()> {
    ws.send(Message::text(r#"{"type":"heartbeat"}"#)).await?;
    Ok(())
}
