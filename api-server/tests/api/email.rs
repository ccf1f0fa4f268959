//! Account email against the real services and a real SMTP server (an in-process
//! `smtp_sink::MailSink` per test): verification links, password reset, and the bad inputs
//! (forged, reused, expired, wrong-purpose tokens; unknown addresses; floods).

use std::time::Duration;

use serde_json::{json, Value};
use shared::events::{Event, RoutingKey};
use smtp_sink::{MailSink, Message};

use crate::broker::TestConsumer;
use crate::helpers::{spawn_app_with, Reply, TestApp, User};
use shared::ids::UserId;

const WAIT: Duration = Duration::from_secs(10);

async fn app_with_sink(extra: &[(&str, &str)]) -> (TestApp, MailSink) {
    let sink = MailSink::start_ephemeral().await.expect("mail sink starts");
    let url = sink.smtp_url();
    let mut vars = vec![("SMTP_URL", url.as_str()), ("PUBLIC_URL", "https://chat.example")];
    vars.extend_from_slice(extra);
    (spawn_app_with(&vars).await, sink)
}

/// The token of the `{PUBLIC_URL}/<page>?token=` link in a mail.
fn token_in(mail: &Message, page: &str) -> String {
    let prefix = format!("https://chat.example/{page}?token=");
    let start = mail.body.find(&prefix).unwrap_or_else(|| panic!("no {page} link in: {}", mail.body)) + prefix.len();
    mail.body[start..].split_whitespace().next().expect("token").to_owned()
}

async fn one_mail(sink: &MailSink, to: &str) -> Message {
    let mails = sink.wait_for(to, 1, WAIT).await;
    assert_eq!(mails.len(), 1, "one mail to {to}: {mails:?}");
    mails.into_iter().next().expect("mail")
}

async fn register_with_email(app: &TestApp, username: &str, email: &str) -> (User, Reply) {
    let reply = app
        .post("/api/auth/register", None, json!({"username": username, "password": "password123", "email": email}))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let user = User {
        id: reply.body["user"]["id"].as_i64().expect("id"),
        username: username.to_owned(),
        token: reply.body["access_token"].as_str().expect("access").to_owned(),
        refresh: reply.body["refresh_token"].as_str().expect("refresh").to_owned(),
    };
    (user, reply)
}

/// Registers with an address and opens the link mailed to it.
async fn verified_user(app: &TestApp, sink: &MailSink, username: &str, email: &str) -> User {
    let (user, _) = register_with_email(app, username, email).await;
    let token = token_in(&one_mail(sink, email).await, "verify-email");
    assert_eq!(app.post("/api/auth/email/verify", None, json!({"token": token})).await.status, 204);
    sink.store().clear();
    user
}

async fn me(app: &TestApp, token: &str) -> Value {
    let reply = app.get("/api/me", Some(token)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn exec(app: &TestApp, sql: &str) {
    use diesel::RunQueryDsl;
    let mut conn = app.env.db.connect();
    diesel::sql_query(sql).execute(&mut conn).expect(sql);
}

#[tokio::test]
async fn registering_with_an_address_mails_a_link_that_verifies_it_once() {
    let (app, sink) = app_with_sink(&[]).await;
    let (anna, reply) = register_with_email(&app, "anna", "Anna@Example.com").await;
    assert_eq!(reply.body["user"]["email"], "Anna@Example.com");
    assert_eq!(reply.body["user"]["email_verified"], false);

    let mail = one_mail(&sink, "Anna@Example.com").await;
    assert_eq!(mail.subject, "Confirm your email address");
    assert_eq!(mail.from, "no-reply@localhost");
    let token = token_in(&mail, "verify-email");
    assert!(token.len() >= 43, "32 random bytes: {token}");
    assert_eq!(app.count("email_tokens"), 1);
    assert_eq!(app.count(&format!("email_tokens WHERE token_hash = '{token}'")), 0, "only the hash is stored");

    let verified = app.post("/api/auth/email/verify", None, json!({"token": token})).await;
    assert_eq!(verified.status, 204, "{}", verified.body);
    assert_eq!(me(&app, &anna.token).await["email_verified"], true);

    let again = app.post("/api/auth/email/verify", None, json!({"token": token})).await;
    assert_eq!((again.status.as_u16(), again.code()), (400, "invalid_token"));
}

#[tokio::test]
async fn forged_expired_and_wrong_purpose_tokens_are_refused_and_change_nothing() {
    let (app, sink) = app_with_sink(&[]).await;
    let bob = verified_user(&app, &sink, "bob", "bob@example.com").await;
    let (carl, _) = register_with_email(&app, "carl", "carl@example.com").await;
    let verify_token = token_in(&one_mail(&sink, "carl@example.com").await, "verify-email");
    assert_eq!(app.post("/api/auth/password/forgot", None, json!({"email": "bob@example.com"})).await.status, 202);
    let reset_token = token_in(&one_mail(&sink, "bob@example.com").await, "reset-password");

    let forged = shared::auth::new_opaque_token();
    for token in [forged.as_str(), "", "x", &"a".repeat(5000), reset_token.as_str()] {
        let reply = app.post("/api/auth/email/verify", None, json!({"token": token})).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (400, "invalid_token"), "{token:.20}");
    }
    for token in [forged.as_str(), verify_token.as_str()] {
        let reply =
            app.post("/api/auth/password/reset", None, json!({"token": token, "password": "new-password-1"})).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (400, "invalid_token"));
    }
    assert_eq!(me(&app, &carl.token).await["email_verified"], false);
    assert_eq!(app.login(&bob).await.status, 200, "the password did not change");

    // Expired: both tokens are still unused, but their time is up.
    exec(&app, "UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL");
    let reply = app.post("/api/auth/email/verify", None, json!({"token": verify_token})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (400, "invalid_token"));
    let reply =
        app.post("/api/auth/password/reset", None, json!({"token": reset_token, "password": "new-password-1"})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (400, "invalid_token"));
    assert_eq!(me(&app, &carl.token).await["email_verified"], false);
    assert_eq!(app.login(&bob).await.status, 200);

    // Malformed bodies are 422 / 400, not 500.
    let reply = app.post("/api/auth/password/reset", None, json!({"token": reset_token, "password": "short"})).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(app.post("/api/auth/email/verify", None, json!({"nope": 1})).await.status, 422);
}

#[tokio::test]
async fn forgot_answers_the_same_for_any_address_and_mails_only_a_verified_account() {
    let (app, sink) = app_with_sink(&[]).await;
    verified_user(&app, &sink, "dora", "dora@example.com").await;
    register_with_email(&app, "emil", "emil@example.com").await; // never verified
    one_mail(&sink, "emil@example.com").await;
    sink.store().clear();

    let ask = |email: &'static str| app.post("/api/auth/password/forgot", None, json!({"email": email}));
    let known = ask("DORA@example.com").await;
    let unknown = ask("nobody@example.com").await;
    let unverified = ask("emil@example.com").await;
    assert_eq!(known.status, 202);
    assert_eq!((unknown.status, &unknown.body), (known.status, &known.body));
    assert_eq!((unverified.status, &unverified.body), (known.status, &known.body));

    let mail = one_mail(&sink, "dora@example.com").await;
    assert_eq!(mail.subject, "Reset your password");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 1, "no mail to unknown or unverified addresses: {:?}", sink.messages());

    let reply = app.post("/api/auth/password/forgot", None, json!({"email": "not an address"})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (422, "validation_failed"));
}

#[tokio::test]
async fn a_reset_signs_out_every_device_and_only_the_new_password_works() {
    let (app, sink) = app_with_sink(&[]).await;
    let fred = verified_user(&app, &sink, "fred", "fred@example.com").await;
    let phone = app.login(&fred).await;
    let phone_refresh = phone.body["refresh_token"].as_str().expect("refresh").to_owned();
    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(fred.id)).to_string()]).await;

    app.post("/api/auth/password/forgot", None, json!({"email": "fred@example.com"})).await;
    let token = token_in(&one_mail(&sink, "fred@example.com").await, "reset-password");
    let reply = app.post("/api/auth/password/reset", None, json!({"token": token, "password": "brand-new-pass"})).await;
    assert_eq!(reply.status, 204, "{}", reply.body);

    assert_eq!(app.get("/api/me", Some(&fred.token)).await.status, 401, "old access token refused");
    for refresh in [&fred.refresh, &phone_refresh] {
        let reply = app.post("/api/auth/refresh", None, json!({"refresh_token": refresh})).await;
        assert_eq!(reply.status, 401, "old refresh token refused: {}", reply.body);
    }
    let events = consumer.take(1, Duration::from_secs(5)).await;
    match &events[0].1 {
        Event::SessionRevoked { reason, sessions: None, .. } => assert_eq!(reason, "password_reset"),
        other => panic!("expected session.revoked for every device, got {other:?}"),
    }
    assert_eq!(app.login(&fred).await.code(), "invalid_credentials", "the old password is gone");
    let login = app.post("/api/auth/login", None, json!({"username": "fred", "password": "brand-new-pass"})).await;
    assert_eq!(login.status, 200, "{}", login.body);

    let again = app.post("/api/auth/password/reset", None, json!({"token": token, "password": "another-pass-1"})).await;
    assert_eq!((again.status.as_u16(), again.code()), (400, "invalid_token"), "a reset link works once");
}

#[tokio::test]
async fn mails_to_one_address_and_forgot_requests_from_one_ip_are_rate_limited() {
    let (app, sink) = app_with_sink(&[("AUTH_RATE_LIMIT_PER_MIN", "8")]).await;
    let per_address = api_server::routes::email::MAILS_PER_ADDRESS_PER_HOUR;
    for _ in 0..per_address {
        assert_eq!(app.post("/api/auth/password/forgot", None, json!({"email": "gus@example.com"})).await.status, 202);
    }
    let reply = app.post("/api/auth/password/forgot", None, json!({"email": "GUS@example.com"})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (429, "rate_limited"));
    assert!(reply.headers.contains_key("retry-after"));
    // Another address is still fine, until this IP is over its limit.
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(
            app.post("/api/auth/password/forgot", None, json!({"email": format!("h{i}@example.com")})).await.status,
        );
    }
    assert_eq!(statuses[0], 202);
    assert_eq!(statuses.last().map(|s| s.as_u16()), Some(429), "{statuses:?}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn addresses_are_unique_whatever_their_case() {
    let (app, sink) = app_with_sink(&[]).await;
    let (ida, _) = register_with_email(&app, "ida", "ida@example.com").await;
    let reply = app
        .post(
            "/api/auth/register",
            None,
            json!({"username": "ida2", "password": "password123", "email": "IDA@Example.COM"}),
        )
        .await;
    assert_eq!((reply.status.as_u16(), reply.code()), (409, "email_taken"));
    let jan = app.register("jan").await;
    let reply = app
        .request(
            reqwest::Method::PUT,
            "/api/me/email",
            Some(&jan.token),
            Some(json!({"email": "Ida@example.com", "password": "password123"})),
        )
        .await;
    assert_eq!((reply.status.as_u16(), reply.code()), (409, "email_taken"));
    let reply = app
        .post(
            "/api/auth/register",
            None,
            json!({"username": "kim", "password": "password123", "email": "kim@@example"}),
        )
        .await;
    assert_eq!((reply.status.as_u16(), reply.body["error"]["fields"][0]["field"].as_str()), (422, Some("email")));
    assert_eq!(me(&app, &ida.token).await["email"], "ida@example.com");
    one_mail(&sink, "ida@example.com").await;
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn changing_the_address_needs_the_password_and_makes_older_links_useless() {
    let (app, sink) = app_with_sink(&[]).await;
    let (lea, _) = register_with_email(&app, "lea", "lea@example.com").await;
    let first = token_in(&one_mail(&sink, "lea@example.com").await, "verify-email");
    let put = |body: Value| app.request(reqwest::Method::PUT, "/api/me/email", Some(&lea.token), Some(body));

    let wrong = put(json!({"email": "lea@new.example", "password": "not-my-password"})).await;
    assert_eq!((wrong.status.as_u16(), wrong.code()), (403, "invalid_password"));
    let changed = put(json!({"email": "lea@new.example", "password": "password123"})).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!((&changed.body["email"], &changed.body["email_verified"]), (&json!("lea@new.example"), &json!(false)));

    let second = token_in(&one_mail(&sink, "lea@new.example").await, "verify-email");
    let reply = app.post("/api/auth/email/verify", None, json!({"token": first})).await;
    assert_eq!(reply.code(), "invalid_token", "the link to the old address proves nothing now");

    // Resend: a third link; the second stops working.
    assert_eq!(app.post("/api/me/email/verification", Some(&lea.token), json!({})).await.status, 202);
    let mails = sink.wait_for("lea@new.example", 2, WAIT).await;
    let third = token_in(&mails[1], "verify-email");
    assert_eq!(app.post("/api/auth/email/verify", None, json!({"token": second})).await.code(), "invalid_token");
    assert_eq!(app.post("/api/auth/email/verify", None, json!({"token": third})).await.status, 204);
    assert_eq!(me(&app, &lea.token).await["email_verified"], true);

    let reply = app.post("/api/me/email/verification", Some(&lea.token), json!({})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (409, "email_already_verified"));
    // The same address again: still verified, no mail.
    let same = put(json!({"email": "lea@new.example", "password": "password123"})).await;
    assert_eq!((same.status.as_u16(), &same.body["email_verified"]), (200, &json!(true)));
    assert_eq!(sink.messages_to("lea@new.example").len(), 2, "no mail for the same address");

    let told = |to: &str| sink.messages_to(to).iter().any(|m| m.subject == "Your email address was changed");
    assert!(!told("lea@example.com"), "an unverified old address is not told");

    // A reset link to an address dies when the address changes.
    let mia = verified_user(&app, &sink, "mia", "mia@example.com").await;
    app.post("/api/auth/password/forgot", None, json!({"email": "mia@example.com"})).await;
    let reset = token_in(&one_mail(&sink, "mia@example.com").await, "reset-password");
    let body = json!({"email": "mia@other.example", "password": "password123"});
    assert_eq!(app.request(reqwest::Method::PUT, "/api/me/email", Some(&mia.token), Some(body)).await.status, 200);
    let reply = app.post("/api/auth/password/reset", None, json!({"token": reset, "password": "new-password-1"})).await;
    assert_eq!(reply.code(), "invalid_token");
    // The old, verified address is told, without any link.
    let mails = sink.wait_for("mia@example.com", 2, WAIT).await;
    assert_eq!(mails[1].subject, "Your email address was changed", "{mails:?}");
    assert!(mails[1].body.contains("mia@other.example") && !mails[1].body.contains("token="), "{}", mails[1].body);
    let max = app.register("max").await;
    let reply = app.post("/api/me/email/verification", Some(&max.token), json!({})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (409, "no_email"));
}

#[tokio::test]
async fn a_mail_server_that_comes_back_gets_the_mail_on_a_later_attempt() {
    // A free port with nothing on it yet: the first attempt is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(&[("SMTP_URL", url.as_str()), ("PUBLIC_URL", "https://chat.example")]).await;
    register_with_email(&app, "olga", "olga@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let sink = MailSink::start(&format!("127.0.0.1:{port}"), "127.0.0.1:0").await.expect("sink on that port");
    let mail = one_mail(&sink, "olga@example.com").await;
    token_in(&mail, "verify-email");
}

#[tokio::test]
async fn a_mail_server_that_is_down_never_fails_the_request() {
    // Nothing listens on port 9 of localhost.
    let app = spawn_app_with(&[("SMTP_URL", "smtp://127.0.0.1:9")]).await;
    let (nina, _) = register_with_email(&app, "nina", "nina@example.com").await;
    let reply = app.post("/api/auth/password/forgot", None, json!({"email": "nina@example.com"})).await;
    assert_eq!(reply.status, 202);
    assert_eq!(app.post("/api/me/email/verification", Some(&nina.token), json!({})).await.status, 202);
}
