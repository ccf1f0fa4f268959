//! Register, login, refresh rotation and reuse detection, logout, tokens, rate limits.

use serde_json::json;
use shared::auth::{TokenKeys, AUD_API, AUD_WS};

use crate::helpers::{spawn_app, spawn_app_with};
use shared::ids::UserId;

#[tokio::test]
async fn register_returns_tokens_and_the_user_without_secrets() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/api/auth/register",
            None,
            json!({"username": "Alice", "password": "password123", "display_name": "Alice A."}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["user"]["username"], "alice", "usernames are case-insensitive, stored lower-case");
    assert_eq!(reply.body["user"]["display_name"], "Alice A.");
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    let text = reply.body.to_string();
    assert!(!text.contains("password123") && !text.contains("argon2"), "{text}");
    let user = reply.body["user"].as_object().expect("user");
    assert!(user.keys().all(|k| k == "has_password" || !k.contains("password")), "{text}");
    assert_eq!(user["has_password"], true);
}

#[tokio::test]
async fn usernames_are_unique_regardless_of_case() {
    let app = spawn_app().await;
    app.register("bob").await;
    let reply = app.post("/api/auth/register", None, json!({"username": "BOB", "password": "password123"})).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.code(), "username_taken");
    assert_eq!(app.count("users"), 1);
}

#[tokio::test]
async fn login_accepts_the_right_password_only() {
    let app = spawn_app().await;
    app.register("carol").await;
    let ok = app.post("/api/auth/login", None, json!({"username": "Carol", "password": "password123"})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body["access_token"].is_string());
    let wrong = app.post("/api/auth/login", None, json!({"username": "carol", "password": "password124"})).await;
    assert_eq!((wrong.status.as_u16(), wrong.code()), (401, "invalid_credentials"));
    let unknown = app.post("/api/auth/login", None, json!({"username": "nobody", "password": "password123"})).await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (401, "invalid_credentials"),
        "same answer as a wrong password"
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_family() {
    let app = spawn_app().await;
    let user = app.register("dave").await;
    let first = app.post("/api/auth/refresh", None, json!({"refresh_token": user.refresh})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let second_token = first.body["refresh_token"].as_str().expect("rotated").to_owned();
    assert_ne!(second_token, user.refresh);

    // The spent token comes back (stolen copy) after the few seconds a lost answer is forgiven
    // in: 401, and the family is revoked.
    app.exec("UPDATE refresh_tokens SET revoked_at = revoked_at - interval '1 minute' WHERE replaced_by IS NOT NULL");
    let reuse = app.post("/api/auth/refresh", None, json!({"refresh_token": user.refresh})).await;
    assert_eq!((reuse.status.as_u16(), reuse.code()), (401, "refresh_token_reused"));
    let after = app.post("/api/auth/refresh", None, json!({"refresh_token": second_token})).await;
    assert_eq!(after.status, 401, "the legitimate newer token is revoked too");

    // Another login (another family) is unaffected.
    let login = app.post("/api/auth/login", None, json!({"username": "dave", "password": "password123"})).await;
    let other = login.body["refresh_token"].as_str().expect("token").to_owned();
    assert_eq!(app.post("/api/auth/refresh", None, json!({"refresh_token": other})).await.status, 200);
}

#[tokio::test]
async fn a_refresh_token_reused_right_after_its_rotation_gets_the_same_pair_once() {
    let app = spawn_app().await;
    let user = app.register("dana").await;
    let refresh = |token: String| app.post("/api/auth/refresh", None, json!({"refresh_token": token}));
    let first = refresh(user.refresh.clone()).await;
    assert_eq!(first.status, 200, "{}", first.body);

    // The answer was lost (or a second tab raced): the same token again within seconds.
    let again = refresh(user.refresh.clone()).await;
    assert_eq!(again.status, 200, "a lost answer is forgiven once: {}", again.body);
    assert_eq!(again.body["refresh_token"], first.body["refresh_token"], "the same successor");
    assert_eq!(again.body["access_token"], first.body["access_token"], "the same access token");
    assert_eq!(app.get("/api/me", again.body["access_token"].as_str()).await.status, 200);
    // No usable token is stored in clear: the successor exists only as its hash.
    let successor = first.body["refresh_token"].as_str().expect("token").to_owned();
    assert!(!app.count_where("refresh_tokens", &format!("token_hash = '{successor}'")));

    // A second reuse is theft after all: the family is revoked, the successor with it.
    let third = refresh(user.refresh.clone()).await;
    assert_eq!((third.status.as_u16(), third.code()), (401, "refresh_token_reused"));
    assert_eq!(refresh(successor).await.status, 401, "the family is revoked");
}

#[tokio::test]
async fn a_refresh_racing_a_sign_out_or_reset_leaves_no_live_token_in_the_family() {
    let app = spawn_app().await;
    let user = app.register("rita").await;
    let live = |family: &str| app.count(&format!("refresh_tokens WHERE family_id = '{family}' AND revoked_at IS NULL"));
    for round in 0..12 {
        // A device refreshing over and over (a loop of rotations) while it is signed out...
        let device = app.login(&user).await;
        let access = device.body["access_token"].as_str().expect("access").to_owned();
        let list = app.get("/api/sessions", Some(&access)).await;
        let family = list.body.as_array().expect("sessions").iter().find(|s| s["current"] == true).expect("current")
            ["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let spinning = refresh_until_refused(&app, device.body["refresh_token"].as_str().expect("refresh"));
        let sign_out = async {
            tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            app.delete(&format!("/api/sessions/{family}"), Some(&access)).await
        };
        let (_, out) = tokio::join!(spinning, sign_out);
        assert_eq!(live(&family), 0, "round {round}: a refresh token outlived the sign-out");
        assert_eq!(out.status, 204, "{}", out.body);

        // ...or while the password is reset (every session ends).
        let device = app.login(&user).await;
        let token = format!("reset-{round}-0123456789abcdef0123456789");
        app.exec(&format!(
            "INSERT INTO email_tokens (user_id, purpose, email, token_hash, expires_at) \
             VALUES ({}, 'reset', 'rita@example.com', '{}', now() + interval '1 hour')",
            user.id,
            shared::auth::hash_token(&token)
        ));
        let spinning = refresh_until_refused(&app, device.body["refresh_token"].as_str().expect("refresh"));
        let reset = app.post("/api/auth/password/reset", None, json!({"token": token, "password": "password123"}));
        let (_, reset) = tokio::join!(spinning, reset);
        assert_eq!(
            app.count(&format!("refresh_tokens WHERE user_id = {} AND revoked_at IS NULL", user.id)),
            0,
            "round {round}: a refresh token outlived the password reset"
        );
        assert_eq!(reset.status, 204, "{}", reset.body);
    }
}

/// Rotates the token again and again until the server refuses (or 300 rotations).
async fn refresh_until_refused(app: &crate::helpers::TestApp, first: &str) {
    let mut token = first.to_owned();
    for _ in 0..300 {
        let reply = app.post("/api/auth/refresh", None, json!({"refresh_token": token})).await;
        match reply.body["refresh_token"].as_str() {
            Some(next) if reply.status == 200 => token = next.to_owned(),
            _ => return,
        }
    }
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let user = app.register("erin").await;
    assert_eq!(app.post("/api/auth/logout", None, json!({"refresh_token": user.refresh})).await.status, 204);
    let reply = app.post("/api/auth/refresh", None, json!({"refresh_token": user.refresh})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (401, "invalid_refresh_token"));
    assert_eq!(app.post("/api/auth/logout", None, json!({"refresh_token": "unknown"})).await.status, 204, "idempotent");
}

#[tokio::test]
async fn tampered_expired_and_foreign_tokens_are_rejected() {
    let app = spawn_app().await;
    let user = app.register("frank").await;
    let keys = TokenKeys::new(&app.settings.jwt_secret);
    let other_keys =
        TokenKeys::new(&secrecy::SecretString::from("another-secret-another-secret-another-00".to_owned()));
    let payload = user.token.split('.').nth(1).expect("payload").to_owned();
    let none_header = base64_url(r#"{"alg":"none","typ":"JWT"}"#);
    let cases = [
        ("expired", keys.issue(UserId(user.id), AUD_API, -120), "token_expired"),
        ("wrong signature", other_keys.issue(UserId(user.id), AUD_API, 60), "invalid_token"),
        ("alg none", format!("{none_header}.{payload}."), "invalid_token"),
        ("wrong audience (a ws ticket)", keys.issue(UserId(user.id), AUD_WS, 30), "invalid_token"),
        ("garbage", "not.a.jwt".to_owned(), "invalid_token"),
        ("flipped signature", flip_last_char(&user.token), "invalid_token"),
    ];
    for (name, token, code) in cases {
        let reply = app.get("/api/me", Some(&token)).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (401, code), "{name}");
    }
    let missing = app.get("/api/me", None).await;
    assert_eq!((missing.status.as_u16(), missing.code()), (401, "missing_token"));
    assert_eq!(app.get("/api/me", Some(&user.token)).await.status, 200);
}

#[tokio::test]
async fn ws_ticket_is_a_short_lived_token_for_the_ws_audience() {
    let app = spawn_app().await;
    let user = app.register("gina").await;
    let reply = app.post("/api/auth/ws-ticket", Some(&user.token), json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["expires_in"], 30);
    let ticket = reply.body["ticket"].as_str().expect("ticket");
    let claims = TokenKeys::new(&app.settings.jwt_secret).verify(ticket, AUD_WS).expect("valid ws ticket");
    assert_eq!(claims.user_id(), Some(UserId(user.id)));
    assert_eq!(app.get("/api/me", Some(ticket)).await.status, 401, "a ticket is not an access token");
    assert_eq!(app.post("/api/auth/ws-ticket", None, json!({})).await.status, 401);
}

#[tokio::test]
async fn login_and_register_are_rate_limited_per_ip() {
    let app = spawn_app_with(&[("AUTH_RATE_LIMIT_PER_MIN", "3")]).await;
    for _ in 0..3 {
        let r = app.post("/api/auth/login", None, json!({"username": "x_user", "password": "password123"})).await;
        assert_eq!(r.status, 401);
    }
    let limited = app.post("/api/auth/login", None, json!({"username": "x_user", "password": "password123"})).await;
    assert_eq!((limited.status.as_u16(), limited.code()), (429, "rate_limited"));
    let retry: u64 =
        limited.headers.get("retry-after").expect("Retry-After").to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry));
    let register =
        app.post("/api/auth/register", None, json!({"username": "new_user", "password": "password123"})).await;
    assert_eq!(register.status, 429, "register shares the per-IP budget");
    assert_eq!(app.count("users"), 0);
}

#[tokio::test]
async fn guesses_at_one_account_from_many_addresses_are_bounded_per_account() {
    let app = spawn_app_with(&[("LOGIN_FAILURES_PER_ACCOUNT", "3")]).await;
    let victim = app.register("victim").await;
    app.register("bystander").await;
    let login = |ip: String, username: &str, password: &str| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({"username": username, "password": password}))
            .send()
    };
    for i in 0..3 {
        let r = login(format!("198.51.100.{i}"), "victim", "wrong-password").await.expect("answer");
        assert_eq!(r.status(), 401);
    }
    // A fourth address: the account's budget is spent, whatever the password.
    for password in ["wrong-password", "password123"] {
        let r = login("203.0.113.7".into(), "VICTIM", password).await.expect("answer");
        assert_eq!(r.status(), 429, "{password}");
        let retry: u64 = r.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
        assert!((1..=900).contains(&retry), "the account is free again within 15 minutes: {retry}");
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["error"]["code"], "rate_limited");
    }
    // Other accounts are not affected; unknown names are counted the same way (no oracle).
    assert_eq!(login("203.0.113.7".into(), "bystander", "password123").await.expect("answer").status(), 200);
    for i in 0..4 {
        let r = login(format!("192.0.2.{i}"), "nobody_here", "wrong-password").await.expect("answer");
        assert_eq!(r.status(), if i < 3 { 401 } else { 429 });
    }
    assert_eq!(app.get("/api/me", Some(&victim.token)).await.status, 200, "signed-in devices are untouched");
}

#[tokio::test]
async fn ipv6_clients_are_limited_by_their_64_bit_prefix() {
    let app = spawn_app_with(&[("AUTH_RATE_LIMIT_PER_MIN", "3")]).await;
    let login = |ip: &'static str, n: usize| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({"username": format!("user_{n}"), "password": "password123"}))
            .send()
    };
    let same_prefix = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:aaaa::3", "2001:db8:1:2:ffff:1:2:3"];
    for (n, ip) in same_prefix.iter().enumerate() {
        let status = login(ip, n).await.expect("answer").status();
        assert_eq!(status, if n < 3 { 401 } else { 429 }, "{ip}: one /64 shares one budget");
    }
    assert_eq!(login("2001:db8:1:3::1", 9).await.expect("answer").status(), 401, "another /64");
}

#[tokio::test]
async fn ws_tickets_are_capped_per_user_per_minute() {
    let app = spawn_app_with(&[("WS_TICKETS_PER_MIN", "3")]).await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    for _ in 0..3 {
        assert_eq!(app.post("/api/auth/ws-ticket", Some(&ann.token), json!({})).await.status, 200);
    }
    let limited = app.post("/api/auth/ws-ticket", Some(&ann.token), json!({})).await;
    assert_eq!((limited.status.as_u16(), limited.code()), (429, "rate_limited"));
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(app.post("/api/auth/ws-ticket", Some(&bob.token), json!({})).await.status, 200, "per user");
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn flip_last_char(token: &str) -> String {
    let mut t = token.to_owned();
    let last = t.pop().expect("non-empty");
    t.push(if last == 'A' { 'B' } else { 'A' });
    t
}
