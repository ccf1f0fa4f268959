//! Two-factor authentication: enrol, confirm, log in in two steps; codes work once, recovery
//! codes work once, forged / expired / wrong-audience tokens and wrong codes are refused,
//! attempts are limited.

use serde_json::{json, Value};
use shared::auth::{TokenKeys, AUD_API, AUD_MFA};
use shared::totp;

use crate::helpers::{spawn_app, TestApp, User};
use shared::ids::UserId;

fn code(secret: &str, steps_ahead: i64) -> String {
    totp::code_at(secret, totp::step_of(chrono::Utc::now().timestamp()) + steps_ahead).expect("code")
}

/// Enrols and confirms; returns the secret and the recovery codes.
async fn turn_on(app: &TestApp, user: &User) -> (String, Vec<String>) {
    let enrol = app.post("/api/me/2fa", Some(&user.token), json!({})).await;
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    let secret = enrol.body["secret"].as_str().expect("secret").to_owned();
    let body = json!({"code": code(&secret, 0), "password": "password123"});
    let confirmed = app.post("/api/me/2fa/confirm", Some(&user.token), body).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let codes = confirmed.body["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    (secret, codes)
}

async fn second_step(app: &TestApp, body: Value) -> crate::helpers::Reply {
    app.post("/api/auth/login/second-factor", None, body).await
}

#[tokio::test]
async fn login_needs_a_fresh_code_or_an_unused_recovery_code() {
    let app = spawn_app().await;
    let anna = app.register("anna").await;
    let early =
        app.post("/api/me/2fa/confirm", Some(&anna.token), json!({"code": "123456", "password": "password123"})).await;
    assert_eq!((early.status.as_u16(), early.code()), (409, "no_enrolment"));

    let enrol = app.post("/api/me/2fa", Some(&anna.token), json!({})).await;
    let secret = enrol.body["secret"].as_str().expect("secret").to_owned();
    assert!(enrol.body["otpauth_uri"].as_str().expect("uri").starts_with("otpauth://totp/Chat:anna?secret="));
    let wrong =
        app.post("/api/me/2fa/confirm", Some(&anna.token), json!({"code": "abcdef", "password": "password123"})).await;
    assert_eq!((wrong.status.as_u16(), wrong.code()), (422, "invalid_code"));
    assert_eq!(app.get("/api/me", Some(&anna.token)).await.body["two_factor"], false, "nothing changed yet");

    let body = json!({"code": code(&secret, 0), "password": "password123"});
    let confirmed = app.post("/api/me/2fa/confirm", Some(&anna.token), body).await;
    let recovery: Vec<String> = confirmed.body["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("c").to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert!(recovery.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{recovery:?}");
    assert_eq!(app.get("/api/me", Some(&anna.token)).await.body["two_factor"], true);
    assert_eq!(app.post("/api/me/2fa", Some(&anna.token), json!({})).await.code(), "two_factor_on");

    // Step one: the right password gives no tokens, only the way to step two.
    let first = app.login(&anna).await;
    assert_eq!(first.status, 202, "{}", first.body);
    assert!(first.body["access_token"].is_null());
    let mfa = first.body["mfa_token"].as_str().expect("mfa token").to_owned();

    // Tokens that are not a live mfa token for this step.
    let keys = TokenKeys::new(&app.settings.jwt_secret);
    let bad_tokens = [
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl".to_owned(), "invalid_mfa_token"),
        (keys.issue(UserId(anna.id), AUD_API, 60), "invalid_mfa_token"),
        (keys.issue(UserId(anna.id), AUD_MFA, -60), "mfa_token_expired"),
    ];
    for (token, expected) in bad_tokens {
        let reply = second_step(&app, json!({"mfa_token": token, "code": code(&secret, 1)})).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (401, expected));
    }
    let both = second_step(&app, json!({"mfa_token": mfa, "code": "1", "recovery_code": "x"})).await;
    assert_eq!(both.status, 422);

    // Attempts 1-5 of the window: wrong code, the next code, its replay, a recovery code, its reuse.
    let wrong = second_step(&app, json!({"mfa_token": mfa, "code": "000000"})).await;
    let wrong_expected = if code(&secret, 0) == "000000" || code(&secret, 1) == "000000" { 200 } else { 401 };
    assert_eq!(wrong.status.as_u16(), wrong_expected);
    let next = code(&secret, 1); // the confirm used this step's code; a code works once
    let ok = second_step(&app, json!({"mfa_token": mfa, "code": next})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(app.get("/api/me", ok.body["access_token"].as_str()).await.status, 200);
    let replay = second_step(&app, json!({"mfa_token": mfa, "code": next})).await;
    assert_eq!((replay.status.as_u16(), replay.code()), (401, "invalid_code"));
    let rescue = second_step(&app, json!({"mfa_token": mfa, "recovery_code": recovery[3].to_uppercase()})).await;
    assert_eq!(rescue.status, 200, "recovery codes are case-insensitive: {}", rescue.body);
    let again = second_step(&app, json!({"mfa_token": mfa, "recovery_code": recovery[3]})).await;
    assert_eq!((again.status.as_u16(), again.code()), (401, "invalid_code"));
    let sixth = second_step(&app, json!({"mfa_token": mfa, "recovery_code": recovery[4]})).await;
    assert_eq!((sixth.status.as_u16(), sixth.code()), (429, "rate_limited"), "5 attempts per 5 minutes");
}

#[tokio::test]
async fn turning_it_off_needs_a_second_factor() {
    let app = spawn_app().await;
    let bob = app.register("bob").await;
    let (_secret, recovery) = turn_on(&app, &bob).await;
    let off = |body: Value| app.request(reqwest::Method::DELETE, "/api/me/2fa", Some(&bob.token), Some(body));
    assert_eq!(off(json!({"code": "999999x", "password": "password123"})).await.code(), "invalid_code");
    assert_eq!(off(json!({"password": "password123"})).await.status, 422);
    assert_eq!(off(json!({"recovery_code": recovery[0], "password": "password123"})).await.status, 204);
    assert_eq!(app.get("/api/me", Some(&bob.token)).await.body["two_factor"], false);
    assert_eq!(app.login(&bob).await.status, 200, "one step again");
    assert_eq!(app.count(&format!("recovery_codes WHERE user_id = {}", bob.id)), 0);
}

#[tokio::test]
async fn turning_it_on_or_off_needs_the_password() {
    let app = spawn_app().await;
    let cleo = app.register("cleo").await;
    let enrol = app.post("/api/me/2fa", Some(&cleo.token), json!({})).await;
    let secret = enrol.body["secret"].as_str().expect("secret").to_owned();

    // A stolen access token alone cannot turn it on (and lock the owner out with the thief's app).
    for body in [json!({"code": code(&secret, 0)}), json!({"code": code(&secret, 0), "password": "not-the-password"})] {
        let reply = app.post("/api/me/2fa/confirm", Some(&cleo.token), body).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (403, "invalid_password"), "{}", reply.body);
    }
    assert_eq!(app.get("/api/me", Some(&cleo.token)).await.body["two_factor"], false, "still off");
    let body = json!({"code": code(&secret, 0), "password": "password123"});
    assert_eq!(app.post("/api/me/2fa/confirm", Some(&cleo.token), body).await.status, 200);

    // Nor turn it off with a code read over the owner's shoulder.
    let off = |body: Value| app.request(reqwest::Method::DELETE, "/api/me/2fa", Some(&cleo.token), Some(body));
    let reply = off(json!({"code": code(&secret, 1)})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (403, "invalid_password"), "{}", reply.body);
    assert_eq!(app.get("/api/me", Some(&cleo.token)).await.body["two_factor"], true, "still on");
    assert_eq!(off(json!({"code": code(&secret, 1), "password": "password123"})).await.status, 204);
}
