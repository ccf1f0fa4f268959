//! `DEMO_DATA`: a new database gets alice, bob and carol with their chats, once.

use api_server::startup::Application;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn a_new_database_gets_the_demo_users_and_chats_once() {
    let app = spawn_app_with(&[("DEMO_DATA", "true")]).await;
    let login = app.post("/api/auth/login", None, json!({"username": "alice", "password": "password123"})).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let token = login.body["access_token"].as_str().expect("token").to_owned();
    let sidebar = app.get("/api/conversations", Some(&token)).await;
    let chats = sidebar.body["items"].as_array().expect("items").clone();
    assert_eq!(chats.len(), 2, "a direct chat and the group's channel: {}", sidebar.body);
    for chat in &chats {
        assert_eq!(chat["last_seq"], 3, "three messages each: {chat}");
    }
    for name in ["bob", "carol"] {
        let reply = app.post("/api/auth/login", None, json!({"username": name, "password": "password123"})).await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
    }
    let (users, messages) = (app.count("users"), app.count("messages"));
    assert_eq!((users, messages), (3, 6));

    // Another replica starting on the same database (or a restart) adds nothing.
    let again = Application::build(app.settings.clone()).await.expect("second api-server");
    drop(again);
    assert_eq!((app.count("users"), app.count("messages")), (users, messages));
}

#[tokio::test]
async fn a_database_with_accounts_is_never_seeded() {
    let app = spawn_app().await;
    app.register("dana").await;
    let settings = shared::config::Settings { demo_data: true, ..app.settings.clone() };
    drop(Application::build(settings).await.expect("api-server with DEMO_DATA"));
    assert_eq!(app.count("users"), 1, "only dana");
}

#[test]
fn production_refuses_demo_data() {
    // A random secret of this run: production accepts it, so only DEMO_DATA can be refused.
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let vars = [("APP_ENV", "production"), ("JWT_SECRET", secret.as_str()), ("DEMO_DATA", "1")];
    let err = shared::config::Settings::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
        .expect_err("refused");
    assert_eq!(err.var, "DEMO_DATA");
}
