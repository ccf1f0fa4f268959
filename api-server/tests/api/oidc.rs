//! Sign-in with OpenID Connect against a real provider started in this process
//! (`e2e/oidc-provider`): the whole browser round trip (start -> provider -> callback -> one-time
//! code -> tokens), account linking by verified address only, and the refusals: state mismatch,
//! reused and expired state, a provider error, forged or altered id_tokens (signature, unknown
//! key, nonce, audience, issuer, expiry), reused and expired one-time codes, unknown providers,
//! suspended accounts; with two-factor authentication on, the second step is still required.

use oidc_provider::{Config, Running};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;
use shared::totp;

use crate::helpers::{spawn_app_with, Reply, TestApp};

const PUBLIC_URL: &str = "http://localhost:8000";

struct Setup {
    app: TestApp,
    provider: Running,
    /// The cookie this "browser" holds after its last callback (the one-time code's binding).
    binding: std::sync::Mutex<Option<String>>,
}

impl Setup {
    fn new(app: TestApp, provider: Running) -> Self {
        Self { app, provider, binding: std::sync::Mutex::default() }
    }

    fn binding(&self) -> Option<String> {
        self.binding.lock().expect("binding").clone()
    }
}

async fn setup() -> Setup {
    setup_with(&[]).await
}

/// The app offering the test provider as `local`, with `extra` settings.
async fn setup_with(extra: &[(&str, &str)]) -> Setup {
    let provider = oidc_provider::spawn(Config::new("chat-test", "test-secret")).await.expect("provider starts");
    let mut vars = vec![
        ("OIDC_PROVIDERS", "local"),
        ("OIDC_LOCAL_ISSUER", provider.issuer.as_str()),
        ("OIDC_LOCAL_CLIENT_ID", "chat-test"),
        ("OIDC_LOCAL_CLIENT_SECRET", "test-secret"),
        ("OIDC_LOCAL_LABEL", "Local OIDC"),
        ("PUBLIC_URL", PUBLIC_URL),
    ];
    vars.extend_from_slice(extra);
    let app = spawn_app_with(&vars).await;
    Setup::new(app, provider)
}

/// `?a=1&b=2` of a URL, decoded enough for the tokens used here (base64url, codes).
fn query(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| v.to_owned())
}

fn location(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 302, "expected a redirect");
    res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).expect("Location").to_owned()
}

/// A sign-in in progress: the provider's authorization URL and this browser's state cookie.
struct Flow {
    authorize: String,
    cookie: Option<String>,
}

impl Setup {
    async fn start(&self) -> Flow {
        self.start_at("/api/auth/oidc/local/start").await
    }

    /// `GET` of a start URL (any provider, any query): the redirect and the state cookie.
    async fn start_at(&self, path: &str) -> Flow {
        let res = self.app.client.get(self.app.url(path)).send().await.expect("start");
        let authorize = location(&res);
        let cookie = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("chat_oidc_state="))
            .map(|c| c.split(';').next().unwrap_or_default().to_owned());
        Flow { authorize, cookie }
    }

    /// The provider approves (as `hint`, misbehaving per `fault`); returns its redirect to us.
    async fn authorize(&self, flow: &Flow, hint: &str, fault: Option<&str>) -> String {
        let mut url = format!("{}&login_hint={}", flow.authorize, oidc_provider::encode(hint));
        if let Some(f) = fault {
            url.push_str(&format!("&test_fault={f}"));
        }
        let res = self.app.client.get(url).send().await.expect("authorize");
        location(&res)
    }

    /// Follows the provider's redirect to our callback; returns where we send the browser.
    async fn callback(&self, callback_url: &str, cookie: Option<&str>) -> String {
        let path = callback_url.strip_prefix(PUBLIC_URL).expect("callback on PUBLIC_URL");
        let mut req = self.app.client.get(self.app.url(path));
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        let res = req.send().await.expect("callback");
        let binding = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("chat_oidc_binding=") && !c.starts_with("chat_oidc_binding=;"))
            .map(|c| c.split(';').next().unwrap_or_default().to_owned());
        if binding.is_some() {
            *self.binding.lock().expect("binding") = binding;
        }
        location(&res)
    }

    /// The whole round trip; returns the web client page address we end on.
    async fn sign_in(&self, hint: &str, fault: Option<&str>) -> String {
        let flow = self.start().await;
        let back = self.authorize(&flow, hint, fault).await;
        self.callback(&back, flow.cookie.as_deref()).await
    }

    /// `POST /complete` from this browser (with its cookie).
    async fn complete(&self, code: &str) -> Reply {
        self.complete_in(code, self.binding().as_deref()).await
    }

    /// `POST /complete` from a browser holding `cookie`.
    async fn complete_in(&self, code: &str, cookie: Option<&str>) -> Reply {
        let mut req = self.app.client.post(self.app.url("/api/auth/oidc/complete")).json(&json!({"code": code}));
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        let res = req.send().await.expect("complete");
        let (status, headers) = (res.status(), res.headers().clone());
        let body = res.json().await.unwrap_or(serde_json::Value::Null);
        Reply { status, body, headers }
    }

    /// Signs in and trades the code; returns the login answer.
    async fn login(&self, hint: &str) -> Reply {
        let page = self.sign_in(hint, None).await;
        let code = query(&page, "code").unwrap_or_else(|| panic!("no code in {page}"));
        self.complete(&code).await
    }
}

fn error_of(page: &str) -> String {
    assert!(page.starts_with(&format!("{PUBLIC_URL}/oidc?")), "{page}");
    query(page, "error").unwrap_or_else(|| panic!("expected an error in {page}"))
}

#[tokio::test]
async fn a_first_sign_in_creates_an_account_and_the_next_one_finds_it() {
    let s = setup().await;
    let providers = s.app.get("/api/auth/oidc/providers", None).await;
    assert_eq!(providers.body, json!([{"name": "local", "label": "Local OIDC"}]));

    let flow = s.start().await;
    for (k, v) in [("response_type", "code"), ("client_id", "chat-test"), ("code_challenge_method", "S256")] {
        assert_eq!(query(&flow.authorize, k).as_deref(), Some(v), "{}", flow.authorize);
    }
    assert!(flow.authorize.starts_with(&format!("{}/authorize?", s.provider.issuer)));
    assert_eq!(query(&flow.authorize, "scope").as_deref(), Some("openid%20email%20profile"));
    assert_eq!(
        query(&flow.authorize, "redirect_uri").as_deref(),
        Some("http%3A%2F%2Flocalhost%3A8000%2Fapi%2Fauth%2Foidc%2Flocal%2Fcallback")
    );
    assert!(query(&flow.authorize, "nonce").is_some() && query(&flow.authorize, "code_challenge").is_some());
    assert!(flow.cookie.is_some(), "the state is bound to the browser by a cookie");

    let first = s.login("sub-42|New.Person@Example.com|true|New.Person").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["user"]["username"], "new.person");
    let id = first.body["user"]["id"].as_i64().expect("id");
    let me = s.app.get("/api/me", first.body["access_token"].as_str()).await;
    assert_eq!(me.status, 200);
    assert!(s.app.count_where(
        "users",
        &format!("id = {id} AND email = 'New.Person@Example.com' AND email_verified_at IS NOT NULL")
    ));
    // No password works for an account made by a sign-in.
    let pw =
        s.app.post("/api/auth/login", None, json!({"username": "new.person", "password": "!oidc-no-password"})).await;
    assert_eq!(pw.code(), "invalid_credentials");

    let again = s.login("sub-42|New.Person@Example.com|true|New.Person").await;
    assert_eq!(again.body["user"]["id"].as_i64(), Some(id), "the same identity is the same account");
    // Another subject wanting the same username gets a free one.
    let other = s.login("sub-43|other@example.com|true|new.person").await;
    let other_name = other.body["user"]["username"].as_str().expect("name").to_owned();
    assert!(other_name.starts_with("new.person_") && other.body["user"]["id"].as_i64() != Some(id), "{other_name}");
    assert_eq!(s.app.count("oidc_identities"), 2);
}

#[tokio::test]
async fn an_identity_is_linked_to_an_existing_account_only_when_both_addresses_are_verified() {
    let s = setup().await;
    let anna = s.app.register("anna").await;
    let bert = s.app.register("bert").await;
    let carl = s.app.register("carl").await;
    s.app.exec("UPDATE users SET email = 'anna@example.com', email_verified_at = now() WHERE username = 'anna'");
    s.app.exec("UPDATE users SET email = 'bert@example.com', email_verified_at = now() WHERE username = 'bert'");
    s.app.exec("UPDATE users SET email = 'carl@example.com' WHERE username = 'carl'");

    // Verified on both sides (case ignored): the same account.
    let linked = s.login("g-anna|ANNA@Example.com|true").await;
    assert_eq!(linked.body["user"]["id"].as_i64(), Some(anna.id), "{}", linked.body);
    assert!(s.app.count_where("oidc_identities", &format!("subject = 'g-anna' AND user_id = {}", anna.id)));

    // The provider did not verify the address: a new account, without that address.
    let unverified = s.login("g-bert|bert@example.com|false|bert").await;
    assert_eq!(unverified.status, 200);
    let new_id = unverified.body["user"]["id"].as_i64().expect("id");
    assert_ne!(new_id, bert.id);
    assert!(s.app.count_where("users", &format!("id = {new_id} AND email IS NULL")));

    // Our side is unverified: a new account too; carl keeps his (unverified) address.
    let theirs = s.login("g-carl|carl@example.com|true|carl").await;
    let new_id = theirs.body["user"]["id"].as_i64().expect("id");
    assert_ne!(new_id, carl.id);
    assert!(s.app.count_where("users", &format!("id = {new_id} AND email IS NULL")));
    assert!(s.app.count_where("users", &format!("id = {} AND email = 'carl@example.com'", carl.id)));

    // An unverified address nobody has is kept, unverified.
    let free = s.login("g-dora|dora@example.com|false|dora").await;
    let id = free.body["user"]["id"].as_i64().expect("id");
    assert!(s
        .app
        .count_where("users", &format!("id = {id} AND email = 'dora@example.com' AND email_verified_at IS NULL")));
}

#[tokio::test]
async fn state_must_match_the_browser_and_be_unused_and_fresh() {
    let s = setup().await;
    let hint = "s-1|s1@example.com|true";

    // Another state than this browser's cookie (e.g. a sign-in started by someone else).
    let flow = s.start().await;
    let back = s.authorize(&flow, hint, None).await;
    let state = query(&back, "state").expect("state");
    let tampered = back.replace(&format!("state={state}"), "state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(error_of(&s.callback(&tampered, flow.cookie.as_deref()).await), "state_mismatch");
    assert_eq!(error_of(&s.callback(&back, None).await), "state_mismatch", "no cookie");
    assert_eq!(error_of(&s.callback(&back, Some("chat_oidc_state=other")).await), "state_mismatch");

    // Used once: the same callback again is refused.
    let page = s.callback(&back, flow.cookie.as_deref()).await;
    assert!(query(&page, "code").is_some(), "{page}");
    assert_eq!(error_of(&s.callback(&back, flow.cookie.as_deref()).await), "state_unknown");

    // Expired.
    let flow = s.start().await;
    let back = s.authorize(&flow, hint, None).await;
    s.app.exec("UPDATE oidc_logins SET expires_at = now() - interval '1 second'");
    assert_eq!(error_of(&s.callback(&back, flow.cookie.as_deref()).await), "state_expired");

    // The provider refused: its error is not trusted beyond "no".
    assert_eq!(error_of(&s.sign_in(hint, Some("access_denied")).await), "provider_error");
    // A callback without any state.
    assert_eq!(
        error_of(&s.callback(&format!("{PUBLIC_URL}/api/auth/oidc/local/callback?code=x"), None).await),
        "state_mismatch"
    );
    assert_eq!(s.app.count("oidc_logins"), 0, "every flow was used up");
}

#[tokio::test]
async fn forged_or_altered_id_tokens_are_refused_and_create_nothing() {
    let s = setup().await;
    let hint = "f-1|forged@example.com|true|forged";
    let cases = [
        ("bad_signature", "invalid_id_token"),
        ("unknown_kid", "invalid_id_token"),
        ("wrong_aud", "invalid_id_token"),
        ("wrong_iss", "invalid_id_token"),
        ("no_id_token", "invalid_id_token"),
        ("expired", "id_token_expired"),
        ("wrong_nonce", "nonce_mismatch"),
    ];
    for (fault, expected) in cases {
        assert_eq!(error_of(&s.sign_in(hint, Some(fault)).await), expected, "{fault}");
    }
    // An altered code: the provider refuses the exchange.
    let flow = s.start().await;
    let back = s.authorize(&flow, hint, None).await;
    let code = query(&back, "code").expect("code");
    let altered = back.replace(&format!("code={code}"), "code=altered");
    assert_eq!(error_of(&s.callback(&altered, flow.cookie.as_deref()).await), "code_exchange_failed");
    assert_eq!(s.app.count("users"), 0);
    assert_eq!(s.app.count("oidc_identities"), 0);
    assert_eq!(s.app.count("oidc_codes"), 0);
    // And the same flow still works when nothing is forged.
    assert_eq!(s.login(hint).await.status, 200);
}

#[tokio::test]
async fn the_one_time_code_works_once_and_briefly() {
    let s = setup().await;
    let page = s.sign_in("c-1|c1@example.com|true", None).await;
    let code = query(&page, "code").expect("code");
    assert_eq!(s.complete(&code).await.status, 200);
    let again = s.complete(&code).await;
    assert_eq!((again.status.as_u16(), again.code()), (401, "invalid_oidc_code"));
    assert_eq!(s.complete("made-up").await.code(), "invalid_oidc_code");

    let page = s.sign_in("c-1|c1@example.com|true", None).await;
    let code = query(&page, "code").expect("code");
    s.app.exec("UPDATE oidc_codes SET expires_at = now() - interval '1 second'");
    let late = s.complete(&code).await;
    assert_eq!((late.status.as_u16(), late.code()), (401, "oidc_code_expired"));
    let empty = s.app.post("/api/auth/oidc/complete", None, json!({})).await;
    assert_eq!(empty.status, 422);
}

#[tokio::test]
async fn a_one_time_code_completes_only_in_the_browser_that_started_the_sign_in() {
    let s = setup().await;
    // An attacker signs in as themself and sends the victim's browser to /oidc?code=… (login
    // CSRF: the victim would be working in the attacker's account without noticing).
    let page = s.sign_in("atk|attacker@example.com|true|attacker", None).await;
    let code = query(&page, "code").expect("code");
    let binding = s.binding().expect("the callback binds the code to this browser");
    let state_cookie = s.start().await.cookie.expect("a state cookie");
    for cookie in [None, Some("chat_oidc_binding=forged"), Some(state_cookie.as_str())] {
        let reply = s.complete_in(&code, cookie).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (401, "oidc_browser_mismatch"), "{cookie:?}");
        assert!(reply.body.get("access_token").is_none());
    }
    assert_eq!(s.app.count("refresh_tokens"), 0, "no session for the other browsers");
    // The browser that started it still completes it (the refusals did not spend the code).
    let done = s.complete_in(&code, Some(&binding)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(!s.app.count_where("oidc_codes", "binding_hash IS NULL"), "codes are stored with their binding");
}

#[tokio::test]
async fn an_account_without_a_password_changes_two_factor_only_right_after_signing_in() {
    let s = setup().await;
    let hint = "np-1|np@example.com|true|nopass";
    let first = s.login(hint).await;
    let token = first.body["access_token"].as_str().expect("token").to_owned();
    let enrol = s.app.post("/api/me/2fa", Some(&token), json!({})).await;
    let secret = enrol.body["secret"].as_str().expect("secret").to_owned();
    let code = || totp::code_at(&secret, totp::step_of(chrono::Utc::now().timestamp())).expect("code");
    // The session began 10 minutes ago: no password to ask for, so a fresh sign-in is.
    let user_id = first.body["user"]["id"].as_i64().expect("id");
    s.app.exec(&format!(
        "UPDATE refresh_tokens SET created_at = created_at - interval '10 minutes' WHERE user_id = {user_id}"
    ));
    let stale = s.app.post("/api/me/2fa/confirm", Some(&token), json!({"code": code()})).await;
    assert_eq!((stale.status.as_u16(), stale.code()), (403, "recent_sign_in_required"), "{}", stale.body);
    let fresh = s.login(hint).await;
    let token = fresh.body["access_token"].as_str().expect("token");
    assert_eq!(s.app.post("/api/me/2fa/confirm", Some(token), json!({"code": code()})).await.status, 200);
}

#[tokio::test]
async fn unknown_providers_are_refused_with_a_redirect() {
    let s = setup().await;
    let res = s.app.client.get(s.app.url("/api/auth/oidc/nope/start")).send().await.expect("start");
    assert_eq!(location(&res), format!("{PUBLIC_URL}/oidc?error=unknown_provider"));
    let page = s
        .callback(&format!("{PUBLIC_URL}/api/auth/oidc/nope/callback?code=x&state=y"), Some("chat_oidc_state=y"))
        .await;
    assert_eq!(error_of(&page), "unknown_provider");
}

#[tokio::test]
async fn with_two_factor_on_the_second_step_is_still_required() {
    let s = setup().await;
    let hint = "t-1|two@example.com|true|two";
    let first = s.login(hint).await;
    let token = first.body["access_token"].as_str().expect("token").to_owned();
    let enrol = s.app.post("/api/me/2fa", Some(&token), json!({})).await;
    let secret = enrol.body["secret"].as_str().expect("secret").to_owned();
    let now = totp::step_of(chrono::Utc::now().timestamp());
    let code = |ahead: i64| totp::code_at(&secret, now + ahead).expect("code");
    assert_eq!(s.app.post("/api/me/2fa/confirm", Some(&token), json!({"code": code(0)})).await.status, 200);

    let second = s.login(hint).await;
    assert_eq!(second.status, 202, "{}", second.body);
    assert!(second.body.get("access_token").is_none(), "no tokens before the second factor");
    let mfa = second.body["mfa_token"].as_str().expect("mfa_token");
    let done = s.app.post("/api/auth/login/second-factor", None, json!({"mfa_token": mfa, "code": code(1)})).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["user"]["id"], first.body["user"]["id"]);
}

#[tokio::test]
async fn a_suspended_account_is_refused() {
    let s = setup().await;
    let hint = "x-1|sus@example.com|true|sus";
    assert_eq!(s.login(hint).await.status, 200);
    // A code obtained before the suspension is refused too.
    let page = s.sign_in(hint, None).await;
    let code = query(&page, "code").expect("code");
    s.app.exec("UPDATE users SET suspended_at = now() WHERE username = 'sus'");
    let late = s.complete(&code).await;
    assert_eq!((late.status.as_u16(), late.code()), (403, "account_suspended"));
    assert_eq!(error_of(&s.sign_in(hint, None).await), "account_suspended");
}

#[tokio::test]
async fn starts_are_rate_limited_per_address() {
    let Setup { app, provider, .. } = setup_with(&[("AUTH_RATE_LIMIT_PER_MIN", "5")]).await;
    // 3 x the password budget, at least 30.
    for i in 0..30 {
        let res = app.client.get(app.url("/api/auth/oidc/local/start")).send().await.expect("start");
        assert!(location(&res).starts_with(&provider.issuer), "start {i}");
    }
    let res = app.client.get(app.url("/api/auth/oidc/local/start")).send().await.expect("start");
    assert_eq!(location(&res), format!("{PUBLIC_URL}/oidc?error=rate_limited"));
    assert_eq!(app.count("oidc_logins"), 30);
}

#[tokio::test]
async fn a_path_to_return_to_survives_the_round_trip_and_other_origins_are_dropped() {
    let s = setup().await;
    for (asked, handed_back) in
        [("/invite/abc", Some("%2Finvite%2Fabc")), ("https://evil.example/", None), ("//evil.example", None)]
    {
        let url = format!("/api/auth/oidc/local/start?redirect={}", oidc_provider::encode(asked));
        let flow = s.start_at(&url).await;
        let back = s.authorize(&flow, "r-1|r1@example.com|true", None).await;
        let page = s.callback(&back, flow.cookie.as_deref()).await;
        assert!(query(&page, "code").is_some(), "{page}");
        assert_eq!(query(&page, "redirect").as_deref(), handed_back, "{asked}");
    }
}

#[tokio::test]
async fn an_unreachable_provider_is_reported_not_a_server_error() {
    // A port nobody listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let app = spawn_app_with(&[
        ("OIDC_PROVIDERS", "down"),
        ("OIDC_DOWN_ISSUER", &format!("http://127.0.0.1:{port}")),
        ("OIDC_DOWN_CLIENT_ID", "x"),
        ("OIDC_DOWN_CLIENT_SECRET", "y"),
    ])
    .await;
    let res = app.client.get(app.url("/api/auth/oidc/down/start")).send().await.expect("start");
    assert_eq!(location(&res), format!("{PUBLIC_URL}/oidc?error=provider_unavailable"));
    assert_eq!(app.count("oidc_logins"), 0);
}

/// An app offering the test provider's GitHub imitation (`OIDC_GH_KIND=github`), and one with a
/// wrong client secret.
async fn setup_github() -> Setup {
    let provider = oidc_provider::spawn(Config::new("chat-test", "test-secret")).await.expect("provider starts");
    let app = spawn_app_with(&[
        ("OIDC_PROVIDERS", "gh,gh-bad"),
        ("OIDC_GH_KIND", "github"),
        ("OIDC_GH_ISSUER", &provider.issuer),
        ("OIDC_GH_API_URL", &provider.issuer),
        ("OIDC_GH_CLIENT_ID", "chat-test"),
        ("OIDC_GH_CLIENT_SECRET", "test-secret"),
        ("OIDC_GH_BAD_KIND", "github"),
        ("OIDC_GH_BAD_ISSUER", &provider.issuer),
        ("OIDC_GH_BAD_API_URL", &provider.issuer),
        ("OIDC_GH_BAD_CLIENT_ID", "chat-test"),
        ("OIDC_GH_BAD_CLIENT_SECRET", "wrong-secret"),
    ])
    .await;
    Setup::new(app, provider)
}

impl Setup {
    async fn sign_in_at(&self, provider: &str, hint: &str) -> String {
        let flow = self.start_at(&format!("/api/auth/oidc/{provider}/start")).await;
        assert!(
            flow.authorize.starts_with(&format!("{}/login/oauth/authorize?", self.provider.issuer)),
            "{}",
            flow.authorize
        );
        assert_eq!(query(&flow.authorize, "scope").as_deref(), Some("read%3Auser%20user%3Aemail"));
        let back = self.authorize(&flow, hint, None).await;
        self.callback(&back, flow.cookie.as_deref()).await
    }
}

#[tokio::test]
async fn github_signs_in_by_user_id_with_its_primary_address() {
    let s = setup_github().await;
    let page = s.sign_in_at("gh", "4242|Octo@Example.com|true|octocat").await;
    let first = s.complete(&query(&page, "code").unwrap_or_else(|| panic!("{page}"))).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["user"]["username"], "octocat");
    let id = first.body["user"]["id"].as_i64().expect("id");
    assert!(s.app.count_where("oidc_identities", &format!("provider = 'gh' AND subject = '4242' AND user_id = {id}")));
    assert!(s
        .app
        .count_where("users", &format!("id = {id} AND email = 'Octo@Example.com' AND email_verified_at IS NOT NULL")));
    let page = s.sign_in_at("gh", "4242|Octo@Example.com|true|octocat").await;
    let again = s.complete(&query(&page, "code").expect("code")).await;
    assert_eq!(again.body["user"]["id"].as_i64(), Some(id));

    // An unverified primary address links nothing.
    let anna = s.app.register("anna").await;
    s.app.exec("UPDATE users SET email = 'anna@example.com', email_verified_at = now() WHERE username = 'anna'");
    let page = s.sign_in_at("gh", "77|anna@example.com|false|anna").await;
    let other = s.complete(&query(&page, "code").expect("code")).await;
    assert_ne!(other.body["user"]["id"].as_i64(), Some(anna.id));
    // Verified: linked.
    let page = s.sign_in_at("gh", "78|ANNA@example.com|true|anna2").await;
    let linked = s.complete(&query(&page, "code").expect("code")).await;
    assert_eq!(linked.body["user"]["id"].as_i64(), Some(anna.id));
}

#[tokio::test]
async fn github_refusals_are_redirected_with_their_code() {
    let s = setup_github().await;
    // GitHub answers a wrong secret with 200 and {"error"}: still refused.
    assert_eq!(error_of(&s.sign_in_at("gh-bad", "1|a@example.com|true").await), "code_exchange_failed");
    // The state rules are the same as for OpenID Connect.
    let res = s.app.client.get(s.app.url("/api/auth/oidc/gh/start")).send().await.expect("start");
    let flow = Flow { authorize: location(&res), cookie: None };
    let back = s.authorize(&flow, "1|a@example.com|true", None).await;
    assert_eq!(error_of(&s.callback(&back, Some("chat_oidc_state=forged")).await), "state_mismatch");
    assert_eq!(s.app.count("users"), 0);
}

impl Setup {
    /// Settings > Link: `POST /me/identities/local` as `token`, then the provider approves as
    /// `hint`; returns the page the callback sends the browser to.
    async fn link(&self, token: &str, hint: &str) -> String {
        let res = self
            .app
            .client
            .post(self.app.url("/api/me/identities/local"))
            .bearer_auth(token)
            .send()
            .await
            .expect("link start");
        assert_eq!(res.status(), 200, "link start");
        let cookie = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("chat_oidc_state="))
            .map(|c| c.split(';').next().unwrap_or_default().to_owned());
        let body: serde_json::Value = res.json().await.expect("json");
        let flow = Flow { authorize: body["authorize_url"].as_str().expect("authorize_url").to_owned(), cookie };
        let back = self.authorize(&flow, hint, None).await;
        self.callback(&back, flow.cookie.as_deref()).await
    }
}

#[tokio::test]
async fn a_provider_is_linked_from_the_settings_listed_and_unlinked_but_never_the_last_way_in() {
    let s = setup().await;
    let pia = s.app.register("pia").await;
    assert_eq!(s.app.get("/api/me/identities", Some(&pia.token)).await.body, json!([]));

    // Linked to the signed-in account (not a new one), whatever the addresses say.
    let page = s.link(&pia.token, "pia-sub|someone@else.example|false|pia_elsewhere").await;
    assert_eq!(page, format!("{PUBLIC_URL}/settings?linked=local"));
    let list = s.app.get("/api/me/identities", Some(&pia.token)).await;
    assert_eq!(list.body[0]["provider"], "local", "{}", list.body);
    assert_eq!(list.body[0]["label"], "Local OIDC");
    assert_eq!(list.body[0]["email"], "someone@else.example");
    // Signing in with it now opens pia's account; linking it again changes nothing.
    let login = s.login("pia-sub|someone@else.example|false").await;
    assert_eq!(login.body["user"]["id"].as_i64(), Some(pia.id), "{}", login.body);
    assert_eq!(s.link(&pia.token, "pia-sub|x@example.com|false").await, format!("{PUBLIC_URL}/settings?linked=local"));

    // Someone else's identity is not taken over.
    let other = s.login("other-sub|other@example.com|true|other").await;
    assert_eq!(other.status, 200);
    let page = s.link(&pia.token, "other-sub|other@example.com|true").await;
    assert_eq!(page, format!("{PUBLIC_URL}/settings?link_error=identity_in_use"));
    // An unknown provider, or no session: nothing starts.
    let unknown = s.app.post("/api/me/identities/nope", Some(&pia.token), json!({})).await;
    assert_eq!((unknown.status.as_u16(), unknown.code()), (404, "unknown_provider"));
    assert_eq!(s.app.post("/api/me/identities/local", None, json!({})).await.status, 401);

    // pia has a password: unlinking her only provider is fine.
    let gone = s.app.delete("/api/me/identities/local", Some(&pia.token)).await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    assert_eq!(s.app.get("/api/me/identities", Some(&pia.token)).await.body, json!([]));
    let again = s.app.delete("/api/me/identities/local", Some(&pia.token)).await;
    assert_eq!((again.status.as_u16(), again.code()), (404, "identity_not_found"));

    // An account made by a sign-in has no password: its last provider stays.
    let token = other.body["access_token"].as_str().expect("token");
    let last = s.app.delete("/api/me/identities/local", Some(token)).await;
    assert_eq!((last.status.as_u16(), last.code()), (409, "last_sign_in_method"), "{}", last.body);
    assert_eq!(s.app.get("/api/me/identities", Some(token)).await.body.as_array().map(Vec::len), Some(1));
}
