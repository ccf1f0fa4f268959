//! A minimal but real OpenID Connect provider, for the api-server tests and the local cluster.
//!
//! It speaks the parts of OpenID Connect Core + Discovery + RFC 7636 (PKCE) a relying party
//! uses for the authorization code flow: `/.well-known/openid-configuration`, `/jwks`,
//! `/authorize`, `/token`. There is no login screen: `/authorize` approves at once, as the
//! configured default user or the one named by `login_hint=sub|email|verified[|username]`.
//!
//! Checked like a real provider: the client id, `response_type=code`, PKCE `S256`, the
//! `redirect_uri` (the token request must repeat the one of the authorization), the client
//! secret (`client_secret_post` or `client_secret_basic`), the code verifier, codes single use
//! and valid 60 s. id_tokens are RS256 with a key generated at start (`kid` in the header).
//!
//! GitHub's OAuth 2.0 (no OpenID Connect there) is imitated too, for the api-server's GitHub path:
//! `/login/oauth/authorize`, `/login/oauth/access_token` (answers errors with 200 like GitHub),
//! `/user` and `/user/emails` with the access token.
//!
//! Test knobs: `test_fault=<fault>` on `/authorize` makes this one flow misbehave (see [`Fault`]);
//! `POST /test/next-user` with `sub|email|verified[|username]` as the body names who the next
//! `/authorize` without `login_hint` signs in (for browser tests, which cannot add a hint).
//!
//! Concurrency model: one `Mutex<HashMap>` of pending codes; every handler holds it briefly.
//! Lifecycle: [`spawn`] binds 127.0.0.1:0 and serves on the current tokio runtime until the
//! process ends; the binary serves until SIGTERM/SIGINT.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const CODE_TTL: Duration = Duration::from_secs(60);
const ID_TOKEN_TTL_SECS: u64 = 300;

/// A user the provider signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub preferred_username: Option<String>,
}

impl TestUser {
    /// `sub|email|verified[|preferred_username]`, e.g. `alice-1|alice@example.com|true|alice`.
    pub fn parse(hint: &str) -> Option<Self> {
        let mut parts = hint.split('|');
        let sub = parts.next().filter(|s| !s.is_empty())?.to_owned();
        let email = parts.next().unwrap_or_default().to_owned();
        let email_verified = matches!(parts.next(), Some("true" | "1" | "yes"));
        let preferred_username = parts.next().filter(|s| !s.is_empty()).map(str::to_owned);
        Some(Self { sub, email, email_verified, preferred_username })
    }
}

/// Ways a flow can go wrong on purpose (`test_fault=` on `/authorize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `/authorize` redirects back with `error=access_denied`.
    AccessDenied,
    /// The id_token carries another nonce.
    WrongNonce,
    /// The id_token is for another client (`aud`).
    WrongAudience,
    /// The id_token names another issuer.
    WrongIssuer,
    /// The id_token expired an hour ago.
    Expired,
    /// Signed with another key under the published `kid` (a forgery).
    BadSignature,
    /// Signed with another key under a `kid` the JWKS does not have.
    UnknownKid,
    /// The token answer has no id_token.
    NoIdToken,
}

impl Fault {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "access_denied" => Fault::AccessDenied,
            "wrong_nonce" => Fault::WrongNonce,
            "wrong_aud" => Fault::WrongAudience,
            "wrong_iss" => Fault::WrongIssuer,
            "expired" => Fault::Expired,
            "bad_signature" => Fault::BadSignature,
            "unknown_kid" => Fault::UnknownKid,
            "no_id_token" => Fault::NoIdToken,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub client_id: String,
    pub client_secret: String,
    /// Who `/authorize` signs in without a `login_hint`.
    pub default_user: TestUser,
    /// The issuer to announce; `None`: `http://<bound address>`.
    pub issuer: Option<String>,
}

impl Config {
    pub fn new(client_id: &str, client_secret: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            default_user: TestUser {
                sub: "local-user-1".into(),
                email: "local.user@example.test".into(),
                email_verified: true,
                preferred_username: Some("local.user".into()),
            },
            issuer: None,
        }
    }
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    challenge: String,
    user: TestUser,
    fault: Option<Fault>,
    issued: Instant,
}

struct Keys {
    kid: String,
    signing: EncodingKey,
    /// For forgeries: another key.
    other: EncodingKey,
    jwks: serde_json::Value,
}

struct State {
    config: Config,
    issuer: String,
    keys: Keys,
    codes: Mutex<HashMap<String, Grant>>,
    next_user: Mutex<Option<TestUser>>,
    /// GitHub imitation: access token -> user.
    github_tokens: Mutex<HashMap<String, TestUser>>,
}

/// A provider serving in this process.
pub struct Running {
    /// `http://127.0.0.1:<port>`: put it in `OIDC_<NAME>_ISSUER`.
    pub issuer: String,
    pub port: u16,
}

/// Starts a provider on an ephemeral port of 127.0.0.1 on the current tokio runtime.
pub async fn spawn(config: Config) -> anyhow::Result<Running> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let (issuer, server) = serve(listener, config)?;
    tokio::spawn(server);
    Ok(Running { issuer, port })
}

/// Builds the server on a bound listener; returns the issuer and the server future.
pub fn serve(listener: TcpListener, config: Config) -> anyhow::Result<(String, Server)> {
    let addr = listener.local_addr()?;
    let issuer = config.issuer.clone().unwrap_or_else(|| format!("http://{addr}")).trim_end_matches('/').to_owned();
    let state = web::Data::new(State {
        keys: keys()?,
        issuer: issuer.clone(),
        config,
        codes: Mutex::default(),
        next_user: Mutex::default(),
        github_tokens: Mutex::default(),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/.well-known/openid-configuration", web::get().to(discovery))
            .route("/jwks", web::get().to(jwks))
            .route("/authorize", web::get().to(authorize))
            .route("/token", web::post().to(token))
            .route("/test/next-user", web::post().to(next_user))
            .route("/login/oauth/authorize", web::get().to(github_authorize))
            .route("/login/oauth/access_token", web::post().to(github_token))
            .route("/user", web::get().to(github_user))
            .route("/user/emails", web::get().to(github_emails))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((issuer, server))
}

fn keys() -> anyhow::Result<Keys> {
    let mut rng = rand_core::OsRng;
    let key = RsaPrivateKey::new(&mut rng, 2048)?;
    let other = RsaPrivateKey::new(&mut rng, 2048)?;
    let kid = format!("k-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let jwks = serde_json::json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    }]});
    Ok(Keys {
        signing: EncodingKey::from_rsa_der(key.to_pkcs1_der()?.as_bytes()),
        other: EncodingKey::from_rsa_der(other.to_pkcs1_der()?.as_bytes()),
        kid,
        jwks,
    })
}

async fn discovery(state: web::Data<State>) -> HttpResponse {
    let iss = &state.issuer;
    HttpResponse::Ok().json(serde_json::json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "preferred_username", "name"],
    }))
}

async fn jwks(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(&state.keys.jwks)
}

fn oauth_error(status: u16, error: &str, description: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(serde_json::json!({"error": error, "error_description": description}))
}

fn redirect(to: String) -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, to)).finish()
}

fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("{base}{sep}{}", query.join("&"))
}

/// Percent-encoding of everything outside the unreserved set (RFC 3986).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn authorize(state: web::Data<State>, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    authorize_as(state, query.into_inner(), false)
}

async fn github_authorize(state: web::Data<State>, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    authorize_as(state, query.into_inner(), true)
}

fn authorize_as(state: web::Data<State>, q: HashMap<String, String>, github: bool) -> HttpResponse {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    // Errors before the redirect address is trusted are shown here, not redirected (RFC 6749 4.1.2.1).
    if get("client_id") != state.config.client_id {
        return oauth_error(400, "invalid_client", "unknown client_id");
    }
    let redirect_uri = get("redirect_uri").to_owned();
    if !(redirect_uri.starts_with("http://") || redirect_uri.starts_with("https://")) {
        return oauth_error(400, "invalid_request", "redirect_uri must be an absolute http(s) URL");
    }
    let state_param = get("state").to_owned();
    let back_with_error = |error: &str, description: &str| {
        let mut params = vec![("error", error), ("error_description", description)];
        if !state_param.is_empty() {
            params.push(("state", &state_param));
        }
        redirect(with_query(&redirect_uri, &params))
    };
    if !github && get("response_type") != "code" {
        return back_with_error("unsupported_response_type", "only response_type=code");
    }
    if !github && !get("scope").split(' ').any(|s| s == "openid") {
        return back_with_error("invalid_scope", "the openid scope is required");
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").len() < 43 {
        return back_with_error("invalid_request", "PKCE with code_challenge_method=S256 is required");
    }
    let fault = q.get("test_fault").and_then(|f| Fault::parse(f));
    if fault == Some(Fault::AccessDenied) {
        return back_with_error("access_denied", "the user refused");
    }
    let user = match q.get("login_hint") {
        Some(hint) => match TestUser::parse(hint) {
            Some(user) => user,
            None => return back_with_error("invalid_request", "login_hint must be sub|email|verified[|username]"),
        },
        None => state
            .next_user
            .lock()
            .ok()
            .and_then(|mut next| next.take())
            .unwrap_or_else(|| state.config.default_user.clone()),
    };
    let code = URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes());
    let grant = Grant {
        client_id: get("client_id").to_owned(),
        redirect_uri: redirect_uri.clone(),
        nonce: q.get("nonce").cloned(),
        challenge: get("code_challenge").to_owned(),
        user,
        fault,
        issued: Instant::now(),
    };
    if let Ok(mut codes) = state.codes.lock() {
        codes.retain(|_, g| g.issued.elapsed() < CODE_TTL);
        codes.insert(code.clone(), grant);
    }
    let mut params = vec![("code", code.as_str())];
    if !state_param.is_empty() {
        params.push(("state", &state_param));
    }
    redirect(with_query(&redirect_uri, &params))
}

async fn next_user(state: web::Data<State>, body: String) -> HttpResponse {
    match TestUser::parse(body.trim()) {
        Some(user) => {
            if let Ok(mut next) = state.next_user.lock() {
                *next = Some(user);
            }
            HttpResponse::NoContent().finish()
        }
        None => oauth_error(400, "invalid_request", "the body must be sub|email|verified[|username]"),
    }
}

#[derive(Serialize)]
struct IdClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: u64,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    email: String,
    email_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<String>,
    name: String,
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code_verifier: Option<String>,
}

/// `Authorization: Basic base64(id:secret)` (client_secret_basic).
fn basic_auth(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let decoded = STANDARD.decode(value.strip_prefix("Basic ")?).ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

async fn token(state: web::Data<State>, req: HttpRequest, form: web::Form<TokenForm>) -> HttpResponse {
    let form = form.into_inner();
    let (client_id, secret) = match basic_auth(&req) {
        Some(pair) => pair,
        None => (form.client_id.clone().unwrap_or_default(), form.client_secret.clone().unwrap_or_default()),
    };
    if client_id != state.config.client_id || secret != state.config.client_secret {
        return oauth_error(401, "invalid_client", "wrong client id or secret");
    }
    if form.grant_type.as_deref() != Some("authorization_code") {
        return oauth_error(400, "unsupported_grant_type", "only authorization_code");
    }
    // Taken out whatever happens next: a code is good for one attempt.
    let grant = state.codes.lock().ok().and_then(|mut codes| codes.remove(form.code.as_deref().unwrap_or_default()));
    let Some(grant) = grant.filter(|g| g.issued.elapsed() < CODE_TTL && g.client_id == client_id) else {
        return oauth_error(400, "invalid_grant", "unknown, used or expired code");
    };
    if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
        return oauth_error(400, "invalid_grant", "redirect_uri differs from the authorization request");
    }
    let verifier = form.code_verifier.unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return oauth_error(400, "invalid_grant", "PKCE verification failed");
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let fault = grant.fault;
    let user = grant.user;
    let claims = IdClaims {
        iss: if fault == Some(Fault::WrongIssuer) { "https://evil.example".into() } else { state.issuer.clone() },
        sub: user.sub.clone(),
        aud: if fault == Some(Fault::WrongAudience) { "another-client".into() } else { client_id },
        exp: if fault == Some(Fault::Expired) { now - 3600 } else { now + ID_TOKEN_TTL_SECS },
        iat: if fault == Some(Fault::Expired) { now - 3900 } else { now },
        nonce: if fault == Some(Fault::WrongNonce) { Some("not-the-nonce".into()) } else { grant.nonce },
        name: user.preferred_username.clone().unwrap_or_else(|| user.sub.clone()),
        email: user.email,
        email_verified: user.email_verified,
        preferred_username: user.preferred_username,
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(if fault == Some(Fault::UnknownKid) { "unknown-kid".into() } else { state.keys.kid.clone() });
    let key = match fault {
        Some(Fault::BadSignature | Fault::UnknownKid) => &state.keys.other,
        _ => &state.keys.signing,
    };
    let id_token = match jsonwebtoken::encode(&header, &claims, key) {
        Ok(t) => t,
        Err(e) => return oauth_error(500, "server_error", &e.to_string()),
    };
    let mut body = serde_json::json!({
        "access_token": URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()),
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "openid email profile",
    });
    if fault != Some(Fault::NoIdToken) {
        body["id_token"] = serde_json::Value::String(id_token);
    }
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(body)
}

/// GitHub's token endpoint: like `/token` but an access token only, and errors with status 200.
async fn github_token(state: web::Data<State>, req: HttpRequest, form: web::Form<TokenForm>) -> HttpResponse {
    let form = form.into_inner();
    let failed = |error: &str| HttpResponse::Ok().json(serde_json::json!({"error": error}));
    let (client_id, secret) = match basic_auth(&req) {
        Some(pair) => pair,
        None => (form.client_id.clone().unwrap_or_default(), form.client_secret.clone().unwrap_or_default()),
    };
    if client_id != state.config.client_id || secret != state.config.client_secret {
        return failed("incorrect_client_credentials");
    }
    let grant = state.codes.lock().ok().and_then(|mut codes| codes.remove(form.code.as_deref().unwrap_or_default()));
    let Some(grant) = grant.filter(|g| g.issued.elapsed() < CODE_TTL && g.client_id == client_id) else {
        return failed("bad_verification_code");
    };
    if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
        return failed("redirect_uri_mismatch");
    }
    let verifier = form.code_verifier.unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return failed("bad_verification_code");
    }
    let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
    if let Ok(mut tokens) = state.github_tokens.lock() {
        tokens.insert(token.clone(), grant.user);
    }
    HttpResponse::Ok()
        .json(serde_json::json!({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}))
}

fn github_caller(state: &State, req: &HttpRequest) -> Option<TestUser> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("token "))?;
    state.github_tokens.lock().ok()?.get(token).cloned()
}

async fn github_user(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    let Some(user) = github_caller(&state, &req) else {
        return HttpResponse::Unauthorized().json(serde_json::json!({"message": "Bad credentials"}));
    };
    let id = user.sub.parse::<u64>().map(serde_json::Value::from).unwrap_or_else(|_| user.sub.clone().into());
    let login = user.preferred_username.clone().unwrap_or_else(|| user.sub.clone());
    HttpResponse::Ok().json(serde_json::json!({"id": id, "login": login, "name": login}))
}

async fn github_emails(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    let Some(user) = github_caller(&state, &req) else {
        return HttpResponse::Unauthorized().json(serde_json::json!({"message": "Bad credentials"}));
    };
    HttpResponse::Ok().json(serde_json::json!([
        {"email": format!("{}@users.noreply.github.com", user.sub), "primary": false, "verified": true, "visibility": null},
        {"email": user.email, "primary": true, "verified": user.email_verified, "visibility": "private"},
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_hint_names_a_user() {
        let u = TestUser::parse("s1|a@b.c|true|alice").expect("user");
        assert_eq!(u.sub, "s1");
        assert!(u.email_verified);
        assert_eq!(u.preferred_username.as_deref(), Some("alice"));
        assert!(!TestUser::parse("s2|a@b.c|false").expect("user").email_verified);
        assert!(TestUser::parse("").is_none());
    }

    #[test]
    fn encode_escapes_reserved_characters() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
