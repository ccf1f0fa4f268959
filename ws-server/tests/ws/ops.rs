//! ws-server health, readiness, metrics.

use shared::testing::TestEnv;
use ws_server::startup::Application;

async fn spawn(extra: &[(&str, &str)]) -> (String, TestEnv) {
    let env = TestEnv::new(extra);
    let app = Application::build(env.settings.clone()).await.expect("ws-server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (address, env)
}

async fn readyz(address: &str) -> (u16, serde_json::Value) {
    let res = reqwest::get(format!("{address}/readyz")).await.expect("readyz");
    (res.status().as_u16(), res.json().await.expect("json"))
}

#[tokio::test]
async fn readyz_is_200_once_the_node_queue_is_declared() {
    let (address, _db) = spawn(&[]).await;
    let mut last = readyz(&address).await;
    for _ in 0..50 {
        if last.0 == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        last = readyz(&address).await;
    }
    assert_eq!(last.0, 200, "{}", last.1);
    assert_eq!(last.1["status"], "ready");
}

#[tokio::test]
async fn readyz_is_503_and_names_rabbitmq_when_the_broker_is_unreachable() {
    let (address, _db) = spawn(&[("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/%2f")]).await;
    let (status, body) = readyz(&address).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["rabbitmq"], "down");
    assert_eq!(body["checks"]["postgres"], "up");
}

#[tokio::test]
async fn metrics_have_the_ws_names() {
    let (address, _db) = spawn(&[]).await;
    let text = reqwest::get(format!("{address}/metrics")).await.expect("scrape").text().await.expect("text");
    for name in
        ["chat_ws_connections", "chat_ws_deliveries_total", "chat_presence_online", "chat_broker_reconnects_total"]
    {
        assert!(text.contains(name), "{name} missing");
    }
}
