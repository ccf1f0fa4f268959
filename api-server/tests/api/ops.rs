//! Health, readiness, metrics, uniform errors, configuration errors of the binary.

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_and_readyz_answer_when_all_services_are_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.status, 200);
    // The relay connects in the background: wait for it.
    let mut reply = app.get("/readyz", None).await;
    for _ in 0..50 {
        if reply.body["status"] == "ready" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        reply = app.get("/readyz", None).await;
    }
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["checks"]["postgres"], "up");
    assert_eq!(reply.body["checks"]["rabbitmq"], "up");
    assert_eq!(reply.body["checks"]["memcached"], "up");
}

#[tokio::test]
async fn readyz_names_a_stopped_dependency() {
    // Nothing listens on port 1.
    let app = spawn_app_with(&[
        ("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/%2f"),
        ("MEMCACHED_URL", "memcache://127.0.0.1:1"),
    ])
    .await;
    let reply = app.get("/readyz", None).await;
    assert_eq!(reply.status, 200, "api keeps serving: sends wait in the outbox");
    assert_eq!(reply.body["status"], "degraded");
    assert_eq!(reply.body["checks"]["rabbitmq"], "down");
    assert_eq!(reply.body["checks"]["memcached"], "down");
    assert_eq!(reply.body["checks"]["postgres"], "up");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors_with_a_request_id() {
    let app = spawn_app().await;
    let reply = app.get("/api/nope", None).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "route_not_found");
    let id = reply.headers.get("x-request-id").expect("request id header");
    assert!(!id.is_empty());
    let reply = app.request(reqwest::Method::DELETE, "/healthz", None, None).await;
    assert!(reply.status.is_client_error());
    assert!(reply.body["error"]["code"].is_string(), "{:?}", reply.body);
}

#[tokio::test]
async fn metrics_are_exported_with_the_design_names() {
    let app = spawn_app().await;
    app.get("/healthz", None).await;
    let text = app.client.get(app.url("/metrics")).send().await.expect("scrape").text().await.expect("text");
    for name in [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "chat_messages_sent_total",
        "chat_outbox_pending",
        "chat_broker_reconnects_total",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
}

#[test]
fn the_binary_reports_a_bad_setting_in_one_line() {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_api-server")).env("API_ADDR", "nowhere").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("API_ADDR"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_binary_refuses_production_with_the_default_secret() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_api-server"))
        .env("APP_ENV", "production")
        .env_remove("JWT_SECRET")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET"));
}

#[test]
fn the_binary_refuses_production_with_the_secret_from_env_example() {
    let published = include_str!("../../../.env.example")
        .lines()
        .find_map(|l| l.strip_prefix("JWT_SECRET="))
        .expect(".env.example names a secret");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_api-server"))
        .env("APP_ENV", "production")
        .env("JWT_SECRET", published)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("JWT_SECRET") && stderr.contains("published in the repository"), "{stderr}");
    assert!(!stderr.contains(published), "the secret is not echoed: {stderr}");
}

#[tokio::test]
async fn openapi_document_covers_the_routes_with_error_responses() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc.body["paths"].as_object().expect("paths");
    for p in crate::helpers::ROUTES {
        assert!(paths.contains_key(*p), "{p} missing from the OpenAPI document");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let responses = op["responses"].as_object().expect("responses");
            if path.starts_with("/api/") {
                assert!(responses.keys().any(|k| k.starts_with('4')), "{method} {path} documents no error response");
            }
        }
    }
    assert!(doc.body["components"]["schemas"]["ErrorBody"].is_object());
}
