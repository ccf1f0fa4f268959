//! A database outage is never a 404 or a 422: lookups that find nothing and lookups that could
//! not ask answer differently. PostgreSQL sits behind a TCP proxy that the test cuts while the
//! pool holds connections: every answer must then be 503 `database_unavailable`.

use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;
use shared::testing::{host_port, TcpProxy, TestEnv};

use crate::helpers::{Reply, TestApp};

/// An api-server whose PostgreSQL connections all go through `proxy`.
async fn spawn_behind_proxy() -> (TestApp, TcpProxy) {
    let env = TestEnv::new(&[]);
    let upstream = host_port(&env.db.url, "127.0.0.1:5432");
    let proxy = TcpProxy::start(upstream.clone()).await;
    let mut settings = env.settings.clone();
    settings.database_url = SecretString::from(env.db.url.replacen(&upstream, &format!("127.0.0.1:{}", proxy.port), 1));
    let app = api_server::startup::Application::build(settings.clone()).await.expect("api-server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (TestApp { address, env, settings, client: reqwest::Client::new() }, proxy)
}

#[tokio::test]
async fn lookups_during_a_database_outage_answer_503_never_404_or_422() {
    let (app, proxy) = spawn_behind_proxy().await;
    let a = app.register("ada").await;
    let b = app.register("ben").await;
    let dm = app.direct(&a, &b).await;
    let message = app.send(&a, dm, "hello").await.body["id"].as_i64().expect("message id");
    assert_eq!(app.post("/api/contacts", Some(&a.token), json!({"user_id": b.id})).await.status, 201);
    // Token versions cached, and the pool full of idle connections (that the cut breaks).
    let path = format!("/api/users/{}", b.id);
    let warm: Vec<_> = (0..12).map(|_| app.get(&path, Some(&a.token))).collect();
    for reply in futures_util::future::join_all(warm).await {
        assert_eq!(reply.status, 200);
    }
    assert_eq!(app.get("/api/me", Some(&b.token)).await.status, 200);

    proxy.set_up(false);
    let calls: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, "/api/me".into(), None),
        (Method::GET, format!("/api/users/{}", b.id), None),
        (Method::PATCH, format!("/api/contacts/{}", b.id), Some(json!({"alias": "B"}))),
        (Method::POST, "/api/contacts".into(), Some(json!({"user_id": b.id}))),
        (Method::PUT, format!("/api/blocks/{}", b.id), None),
        (Method::PATCH, format!("/api/messages/{message}"), Some(json!({"body": "edited"}))),
        (Method::POST, "/api/conversations/direct".into(), Some(json!({"user_id": b.id}))),
        (Method::POST, "/api/groups".into(), Some(json!({"name": "g", "member_ids": [b.id]}))),
    ];
    let mut wrong = Vec::new();
    for (method, path, body) in calls {
        let reply: Reply = app.request(method.clone(), &path, Some(&a.token), body).await;
        if reply.status != 503 || reply.code() != "database_unavailable" {
            wrong.push(format!("{method} {path}: {} {}", reply.status, reply.body));
        }
    }
    assert!(wrong.is_empty(), "answers while PostgreSQL is cut off:\n{}", wrong.join("\n"));

    proxy.set_up(true);
    let mut back = 0;
    for _ in 0..50 {
        back = app.get(&format!("/api/users/{}", b.id), Some(&a.token)).await.status.as_u16();
        if back == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(back, 200, "the same process recovers once PostgreSQL is back");
}
