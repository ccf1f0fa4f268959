//! One request id finds every line of a request: the JSON log lines of a login and of a send,
//! printed by a real api-server process, carry the request's `request_id` (and, once the token
//! is checked, `user_id`), the lines written on blocking threads included.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{json, Value};
use shared::testing::TestEnv;

use crate::helpers::TestApp;

/// A real api-server process printing JSON lines (debug for its own targets); its stdout lines.
fn spawn_logging_process(env: &TestEnv, port: u16) -> (std::process::Child, Arc<Mutex<Vec<String>>>) {
    let s = &env.settings;
    let mut child = Command::new(env!("CARGO_BIN_EXE_api-server"))
        .env("DATABASE_URL", s.database_url.expose_secret())
        .env("AMQP_URL", s.amqp_url.expose_secret())
        .env("MEMCACHED_URL", &s.memcached_url)
        .env("MEMCACHED_PREFIX", &s.cache_prefix)
        .env("CHAT_EXCHANGE", &s.exchange)
        .env("JWT_SECRET", s.jwt_secret.expose_secret())
        .env("API_ADDR", format!("127.0.0.1:{port}"))
        .env("AUTH_RATE_LIMIT_PER_MIN", "1000")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info,api_server=debug,shared=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("api-server starts");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (out, sink) = (child.stdout.take().expect("stdout"), lines.clone());
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            sink.lock().expect("lines").push(line);
        }
    });
    (child, lines)
}

async fn post_with_id(app: &TestApp, path: &str, token: Option<&str>, request_id: &str, body: Value) -> u16 {
    let mut req = app.client.post(app.url(path)).header("x-request-id", request_id).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("sent").status().as_u16()
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_request_id() {
    let env = TestEnv::new(&[]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let (mut child, lines) = spawn_logging_process(&env, port);
    let settings = env.settings.clone();
    let app = TestApp { address: format!("http://127.0.0.1:{port}"), env, settings, client: reqwest::Client::new() };
    for _ in 0..100 {
        if app.client.get(app.url("/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let a = app.register("lia").await;
    let b = app.register("max").await;
    let dm = app.direct(&a, &b).await;

    let login = json!({"username": "lia", "password": "password123"});
    assert_eq!(post_with_id(&app, "/api/auth/login", None, "rid-login-1", login).await, 200);
    let send = json!({"client_id": uuid::Uuid::new_v4(), "kind": "text", "body": "logged"});
    let path = format!("/api/conversations/{dm}/messages");
    assert_eq!(post_with_id(&app, &path, Some(&a.token), "rid-send-1", send).await, 201);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = child.kill();
    let _ = child.wait();

    let parsed: Vec<Value> = lines.lock().expect("lines").iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let of = |rid: &str| -> Vec<&Value> { parsed.iter().filter(|l| l["request_id"] == rid).collect() };
    let messages =
        |ls: &[&Value]| -> Vec<String> { ls.iter().map(|l| l["msg"].as_str().unwrap_or("").to_owned()).collect() };
    let login_lines = of("rid-login-1");
    for wanted in ["session started", "request"] {
        assert!(
            messages(&login_lines).iter().any(|m| m == wanted),
            "login: {wanted:?} in {:?}",
            messages(&login_lines)
        );
    }
    let send_lines = of("rid-send-1");
    for wanted in ["message stored", "message sent", "request"] {
        assert!(messages(&send_lines).iter().any(|m| m == wanted), "send: {wanted:?} in {:?}", messages(&send_lines));
    }
    assert!(send_lines.iter().all(|l| l["user_id"] == a.id), "the checked user on every line: {send_lines:?}");
    // A line about the user or the chat that is not the relay's and carries no request id lost
    // its request on the way (a blocking hop or a spawned task outside the request's span).
    let orphans: Vec<&Value> = parsed
        .iter()
        .filter(|l| l["user_id"] == a.id || l["conversation_id"] == dm)
        .filter(|l| !l["target"].as_str().unwrap_or("").starts_with("api_server::outbox"))
        .filter(|l| l.get("request_id").is_none())
        .collect();
    assert!(orphans.is_empty(), "lines without their request id: {orphans:?}");
}
