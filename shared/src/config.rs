//! Typed configuration from environment variables, with working local defaults.
//!
//! Every value is parsed once at start; a missing or invalid value becomes one [`ConfigError`]
//! line naming the variable (the binaries print it and exit with status 2, no backtrace).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub use crate::jwt_secret::DEV_JWT_SECRET;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration error: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self { var, message: message.into() }
    }
}

/// How long a database task may wait for a place before it is refused (`DB_QUEUE_WAIT_MS`,
/// see `admission`).
pub const DEFAULT_DB_QUEUE_WAIT_MS: u64 = 100;

#[derive(Debug, Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    pub database_url: SecretString,
    pub database_pool_size: u32,
    /// How long a database task waits for a place before 503 `overloaded` (`DB_QUEUE_WAIT_MS`).
    pub database_queue_wait_ms: u64,
    /// api-server: `/api/` requests worked on at once (`API_MAX_IN_FLIGHT`), and how long one
    /// waits for a place before 503 `overloaded` (`API_QUEUE_WAIT_MS`).
    pub api_max_in_flight: u32,
    pub api_queue_wait_ms: u64,
    pub amqp_url: SecretString,
    /// One Memcached server or several, comma-separated.
    pub memcached_url: String,
    /// Which client talks to Memcached (`MEMCACHED_CLIENT`).
    pub memcached_client: crate::cache::CacheClient,
    pub jwt_secret: SecretString,
    pub api_addr: SocketAddr,
    pub ws_addr: SocketAddr,
    pub node_id: String,
    pub allowed_origins: Vec<String>,
    pub media_dir: PathBuf,
    pub log_format: LogFormat,
    /// Name of the topic exchange; tests use their own to stay isolated.
    pub exchange: String,
    /// Prefix of every Memcached key; tests use their own to stay isolated.
    pub cache_prefix: String,
    pub heartbeat: Duration,
    /// How often a standby relay tries to become the leader, and how often the leading relay
    /// polls for rows while its `LISTEN` connection is down.
    pub outbox_poll: Duration,
    /// How often the leading relay polls while it listens (a safety net: commits wake it).
    pub outbox_safety_poll: Duration,
    /// How long the relay waits for the broker's confirms of a batch before it reconnects.
    pub outbox_confirm_timeout: Duration,
    /// Requests behind a proxy in this list may set the client IP with X-Forwarded-For.
    pub trust_forwarded_for: bool,
    /// Login and register attempts per client IP (an IPv6 client: per /64) per minute.
    pub auth_rate_limit_per_min: u64,
    /// Failed logins per account (from any address) per 15 minutes; more are answered 429 until
    /// the window ends, so a distributed guess is bounded and the owner is locked out for at
    /// most 15 minutes at a time.
    pub login_failures_per_account: u64,
    /// Second-factor attempts (login and turning it off) per account per 5 minutes.
    pub second_factor_attempts_per_account: u64,
    /// WebSocket tickets a user may get per minute.
    pub ws_tickets_per_min: u64,
    /// Messages a user may send per minute.
    pub send_rate_limit_per_min: u64,
    /// Searches per user per minute (each one reads the search index).
    pub search_rate_limit_per_min: u64,
    /// Block, unblock and privacy-setting changes per user per minute (each one makes every ws
    /// node re-evaluate who may see whom).
    pub privacy_rate_limit_per_min: u64,
    /// Flood control: the same (near-identical) text sent more often than this in 10 minutes,
    /// or more new direct chats than `flood_new_chats_per_hour` in an hour, puts a 15-minute
    /// send limit on the account.
    pub flood_repeat_max: u64,
    pub flood_new_chats_per_hour: u64,
    /// How often an api-server looks for messages past their conversation's retention.
    pub retention_sweep: Duration,
    /// How often an api-server deletes the bytes of media nothing uses any more and `.part`
    /// files left by interrupted writes (also once at start).
    pub media_sweep: Duration,
    /// Memory all image decodes of one api-server may use at once, in MiB (each decode
    /// reserves what its canvas needs first; more waits, and a bigger image is refused).
    pub image_decode_memory_mb: u64,
    /// Bytes of uploads one user may keep (`MEDIA_QUOTA_BYTES_PER_USER`, default 1 GiB): the sum
    /// of the sizes of their stored uploads; an upload past it is refused (413
    /// `media_quota_exceeded`) and nothing of it is stored. 0: no quota.
    pub media_quota_bytes_per_user: u64,
    /// The other processes of the cluster whose health the admin overview shows
    /// (`CLUSTER_NODES=ws-1=http://10.0.0.5:8091,ws-2=http://10.0.0.6:8091`): a name and the
    /// base URL of its `/readyz` and `/metrics`. The answering api-server always shows itself.
    pub cluster_nodes: Vec<ClusterNode>,
    /// Where browsers reach the web client (no trailing slash): links in emails and the OpenID
    /// Connect redirect address are built from it.
    pub public_url: String,
    /// Where mail goes: `smtp://[user:pass@]host:port[?tls=required]` or `smtps://...`.
    pub smtp_url: SecretString,
    /// The From of every mail, e.g. `Chat <no-reply@example.com>`.
    pub mail_from: String,
    /// OpenID Connect providers offered on the sign-in page (`OIDC_PROVIDERS`), in that order.
    pub oidc_providers: Vec<OidcProvider>,
    /// `DEMO_DATA`: an api-server that finds a database without users creates the demo users
    /// alice, bob and carol with a direct chat and a group. Never in production.
    pub demo_data: bool,
}

/// A process the admin overview asks for its health (`CLUSTER_NODES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    pub name: String,
    /// `http(s)://host:port`, no trailing slash.
    pub url: String,
}

/// `CLUSTER_NODES`: `name=url` items, comma-separated.
fn cluster_nodes(get: &impl Fn(&str) -> Option<String>) -> Result<Vec<ClusterNode>, ConfigError> {
    const VAR: &str = "CLUSTER_NODES";
    let mut nodes: Vec<ClusterNode> = Vec::new();
    for item in get(VAR).unwrap_or_default().split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let Some((name, url)) = item.split_once('=') else {
            return Err(ConfigError::new(VAR, format!("'{item}' is not name=url")));
        };
        let (name, url) = (name.trim(), url.trim().trim_end_matches('/'));
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(ConfigError::new(VAR, format!("'{name}' may only contain letters, digits, '-' and '_'")));
        }
        check_scheme(VAR, url, &["http", "https"])?;
        if nodes.iter().any(|n| n.name == name) {
            return Err(ConfigError::new(VAR, format!("'{name}' is listed twice")));
        }
        nodes.push(ClusterNode { name: name.to_owned(), url: url.to_owned() });
    }
    Ok(nodes)
}

/// One OpenID Connect provider: `OIDC_<NAME>_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET`, `_LABEL`.
#[derive(Debug, Clone)]
pub struct OidcProvider {
    /// Lowercase `[a-z0-9-]`: the path segment of `/api/auth/oidc/{name}/…`.
    pub name: String,
    /// The button text ("Sign in with …").
    pub label: String,
    /// Discovery is read from `{issuer}/.well-known/openid-configuration`; id_tokens must name it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub kind: OidcKind,
}

/// `OIDC_<NAME>_KIND`: how a provider is spoken to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcKind {
    /// OpenID Connect: discovery, id_token (the default).
    Oidc,
    /// GitHub's OAuth 2.0 (no id_token): the issuer is the web address (default
    /// `https://github.com`), the user and its verified addresses come from `api_url`
    /// (`OIDC_<NAME>_API_URL`, default `https://api.github.com`).
    Github { api_url: String },
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads through `lookup`, so tests can supply their own variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let app_env = match get("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") | Some("test") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => {
                return Err(ConfigError::new("APP_ENV", format!("'{other}' is not one of development, production")))
            }
        };
        let jwt_secret = match (get("JWT_SECRET"), app_env) {
            (Some(s), _) if s.len() < 32 => {
                return Err(ConfigError::new("JWT_SECRET", "must be at least 32 bytes long"))
            }
            (Some(s), AppEnv::Production) => match crate::jwt_secret::production_problem(&s) {
                Some(problem) => return Err(ConfigError::new("JWT_SECRET", format!("{problem} (APP_ENV=production)"))),
                None => s,
            },
            (Some(s), _) => s,
            (None, AppEnv::Production) => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "is required when APP_ENV=production (at least 32 random bytes)",
                ))
            }
            (None, AppEnv::Development) => DEV_JWT_SECRET.to_owned(),
        };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => return Err(ConfigError::new("LOG_FORMAT", format!("'{other}' is not one of json, pretty"))),
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/chat".into());
        check_scheme("DATABASE_URL", &database_url, &["postgres", "postgresql"])?;
        let amqp_url = get("AMQP_URL").unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
        // The nodes of a RabbitMQ cluster: comma-separated, tried in turn (shared::broker).
        let amqp_nodes = crate::broker::endpoints(&amqp_url);
        if amqp_nodes.is_empty() {
            check_scheme("AMQP_URL", &amqp_url, &["amqp", "amqps"])?;
        }
        for node in amqp_nodes {
            check_scheme("AMQP_URL", node, &["amqp", "amqps"])?;
        }
        let memcached_url = get("MEMCACHED_URL").unwrap_or_else(|| "memcache://127.0.0.1:11211".into());
        // Several servers: comma-separated; after the first, `host:port` alone is enough.
        for (i, server) in memcached_url.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
            if i == 0 || server.contains("://") {
                check_scheme("MEMCACHED_URL", server, &["memcache", "memcache+udp", "memcache+tls"])?;
            }
        }
        let memcached_client = memcached_client(&get)?;
        let node_id = get("NODE_ID").unwrap_or_else(default_node_id);
        if !node_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || node_id.len() > 64 {
            return Err(ConfigError::new(
                "NODE_ID",
                format!("'{node_id}' may only contain letters, digits, '-' and '_' (64 at most)"),
            ));
        }
        let allowed_origins = get("ALLOWED_ORIGINS")
            .unwrap_or_else(|| "http://localhost:8000,https://localhost:8443,http://127.0.0.1:8000,https://127.0.0.1:8443,http://localhost:3000".into())
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        let public_url =
            get("PUBLIC_URL").unwrap_or_else(|| "http://localhost:8000".into()).trim_end_matches('/').to_owned();
        check_scheme("PUBLIC_URL", &public_url, &["http", "https"])?;
        let smtp_url = get("SMTP_URL").unwrap_or_else(|| "smtp://127.0.0.1:2525".into());
        check_scheme("SMTP_URL", &smtp_url, &["smtp", "smtps"])?;
        let mail_from = get("MAIL_FROM").unwrap_or_else(|| "Chat <no-reply@localhost>".into());
        let oidc_providers = oidc_providers(&get)?;
        let demo_data = flag(&get, "DEMO_DATA", false)?;
        if demo_data && app_env == AppEnv::Production {
            return Err(ConfigError::new(
                "DEMO_DATA",
                "demo users with a known password cannot be made when APP_ENV=production",
            ));
        }
        Ok(Self {
            app_env,
            database_url: database_url.into(),
            database_pool_size: parse(&get, "DATABASE_POOL_SIZE", 16u32, "a number of connections")?,
            database_queue_wait_ms: parse(&get, "DB_QUEUE_WAIT_MS", DEFAULT_DB_QUEUE_WAIT_MS, "milliseconds")?,
            api_max_in_flight: parse(&get, "API_MAX_IN_FLIGHT", 64u32, "a number of requests")?.max(1),
            api_queue_wait_ms: parse(&get, "API_QUEUE_WAIT_MS", DEFAULT_DB_QUEUE_WAIT_MS, "milliseconds")?,
            amqp_url: amqp_url.into(),
            memcached_url,
            memcached_client,
            jwt_secret: jwt_secret.into(),
            api_addr: parse(&get, "API_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)), "host:port")?,
            ws_addr: parse(&get, "WS_ADDR", SocketAddr::from(([127, 0, 0, 1], 8090)), "host:port")?,
            node_id,
            allowed_origins,
            media_dir: get("MEDIA_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".local/media")),
            log_format,
            exchange: get("CHAT_EXCHANGE").unwrap_or_else(|| "chat.events".into()),
            cache_prefix: get("MEMCACHED_PREFIX").unwrap_or_default(),
            heartbeat: Duration::from_millis(parse(&get, "HEARTBEAT_MS", 10_000u64, "milliseconds")?),
            outbox_poll: Duration::from_millis(parse(&get, "OUTBOX_POLL_MS", 500u64, "milliseconds")?),
            outbox_safety_poll: Duration::from_millis(parse(&get, "OUTBOX_SAFETY_POLL_MS", 5000u64, "milliseconds")?),
            outbox_confirm_timeout: Duration::from_millis(
                parse(&get, "OUTBOX_CONFIRM_TIMEOUT_MS", 10_000u64, "milliseconds")?.max(100),
            ),
            trust_forwarded_for: parse(&get, "TRUST_FORWARDED_FOR", true, "true or false")?,
            auth_rate_limit_per_min: parse(&get, "AUTH_RATE_LIMIT_PER_MIN", 10u64, "a number per minute")?,
            login_failures_per_account: parse(&get, "LOGIN_FAILURES_PER_ACCOUNT", 10u64, "a number per 15 minutes")?,
            second_factor_attempts_per_account: parse(
                &get,
                "SECOND_FACTOR_ATTEMPTS_PER_ACCOUNT",
                5u64,
                "a number per 5 minutes",
            )?,
            ws_tickets_per_min: parse(&get, "WS_TICKETS_PER_MIN", 60u64, "a number per minute")?,
            send_rate_limit_per_min: parse(&get, "SEND_RATE_LIMIT_PER_MIN", 300u64, "a number per minute")?,
            search_rate_limit_per_min: parse(&get, "SEARCH_RATE_LIMIT_PER_MIN", 60u64, "a number per minute")?,
            privacy_rate_limit_per_min: parse(&get, "PRIVACY_RATE_LIMIT_PER_MIN", 30u64, "a number per minute")?,
            flood_repeat_max: parse(&get, "FLOOD_REPEAT_MAX", 8u64, "a number of repeats per 10 minutes")?,
            flood_new_chats_per_hour: parse(&get, "FLOOD_NEW_CHATS_PER_HOUR", 30u64, "a number per hour")?,
            retention_sweep: Duration::from_millis(parse(&get, "RETENTION_SWEEP_MS", 60_000u64, "milliseconds")?),
            media_sweep: Duration::from_millis(parse(&get, "MEDIA_SWEEP_MS", 60_000u64, "milliseconds")?),
            image_decode_memory_mb: parse(&get, "IMAGE_DECODE_MEMORY_MB", 512u64, "a number of MiB")?,
            media_quota_bytes_per_user: parse(&get, "MEDIA_QUOTA_BYTES_PER_USER", 1u64 << 30, "a number of bytes")?,
            cluster_nodes: cluster_nodes(&get)?,
            public_url,
            smtp_url: smtp_url.into(),
            mail_from,
            oidc_providers,
            demo_data,
        })
    }

    /// The settings as a JSON object fit for a log line: URLs without passwords, no secrets.
    pub fn redacted(&self) -> serde_json::Value {
        serde_json::json!({
            "app_env": format!("{:?}", self.app_env).to_lowercase(),
            "database_url": redact_url(self.database_url.expose_secret()),
            "database_pool_size": self.database_pool_size,
            "database_queue_wait_ms": self.database_queue_wait_ms,
            "api_max_in_flight": self.api_max_in_flight,
            "api_queue_wait_ms": self.api_queue_wait_ms,
            "amqp_url": redact_urls(self.amqp_url.expose_secret()),
            "memcached_url": redact_url(&self.memcached_url),
            "memcached_client": format!("{:?}", self.memcached_client),
            "api_addr": self.api_addr.to_string(),
            "ws_addr": self.ws_addr.to_string(),
            "node_id": self.node_id,
            "allowed_origins": self.allowed_origins,
            "media_dir": self.media_dir.display().to_string(),
            "exchange": self.exchange,
            "heartbeat_ms": crate::num::millis(self.heartbeat),
            "auth_rate_limit_per_min": self.auth_rate_limit_per_min,
            "login_failures_per_account": self.login_failures_per_account,
            "second_factor_attempts_per_account": self.second_factor_attempts_per_account,
            "ws_tickets_per_min": self.ws_tickets_per_min,
            "send_rate_limit_per_min": self.send_rate_limit_per_min,
            "search_rate_limit_per_min": self.search_rate_limit_per_min,
            "privacy_rate_limit_per_min": self.privacy_rate_limit_per_min,
            "flood_repeat_max": self.flood_repeat_max,
            "flood_new_chats_per_hour": self.flood_new_chats_per_hour,
            "retention_sweep_ms": crate::num::millis(self.retention_sweep),
            "media_sweep_ms": crate::num::millis(self.media_sweep),
            "image_decode_memory_mb": self.image_decode_memory_mb,
            "media_quota_bytes_per_user": self.media_quota_bytes_per_user,
            "cluster_nodes": self.cluster_nodes.iter().map(|n| serde_json::json!({"name": n.name, "url": redact_url(&n.url)})).collect::<Vec<_>>(),
            "public_url": self.public_url,
            "smtp_url": redact_url(self.smtp_url.expose_secret()),
            "mail_from": self.mail_from,
            "oidc_providers": self.oidc_providers.iter().map(|p| serde_json::json!({"name": p.name, "issuer": p.issuer, "client_id": p.client_id})).collect::<Vec<_>>(),
            "demo_data": self.demo_data,
            "jwt_secret": if self.jwt_secret.expose_secret() == DEV_JWT_SECRET { "development default" } else { "set" },
        })
    }
}

/// `OIDC_PROVIDERS=google,corp` and, per name, `OIDC_GOOGLE_ISSUER` … (the name in upper case,
/// `-` as `_`). Issuer, client id and client secret are required; the label defaults to the name.
fn oidc_providers(get: &impl Fn(&str) -> Option<String>) -> Result<Vec<OidcProvider>, ConfigError> {
    const VAR: &str = "OIDC_PROVIDERS";
    let mut providers: Vec<OidcProvider> = Vec::new();
    for name in get(VAR).unwrap_or_default().split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty())
    {
        let valid = name.len() <= 32 && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(ConfigError::new(
                VAR,
                format!("'{name}' may only contain letters, digits and '-' (32 at most)"),
            ));
        }
        if providers.iter().any(|p| p.name == name) {
            return Err(ConfigError::new(VAR, format!("'{name}' is listed twice")));
        }
        let prefix = format!("OIDC_{}_", name.to_ascii_uppercase().replace('-', "_"));
        let required = |what: &str| {
            get(&format!("{prefix}{what}"))
                .map(|v| v.trim().to_owned())
                .ok_or_else(|| ConfigError::new(VAR, format!("provider '{name}' needs {prefix}{what}")))
        };
        let kind = match get(&format!("{prefix}KIND")).as_deref().map(str::trim) {
            None | Some("oidc") => OidcKind::Oidc,
            Some("github") => OidcKind::Github {
                api_url: get(&format!("{prefix}API_URL"))
                    .unwrap_or_else(|| "https://api.github.com".into())
                    .trim()
                    .trim_end_matches('/')
                    .to_owned(),
            },
            Some(other) => {
                return Err(ConfigError::new(VAR, format!("{prefix}KIND '{other}' is not one of oidc, github")))
            }
        };
        let issuer = match (&kind, get(&format!("{prefix}ISSUER"))) {
            (OidcKind::Github { .. }, None) => "https://github.com".to_owned(),
            _ => required("ISSUER")?,
        };
        let issuer = issuer.trim_end_matches('/').to_owned();
        if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
            return Err(ConfigError::new(VAR, format!("{prefix}ISSUER '{issuer}' is not an http(s) URL")));
        }
        providers.push(OidcProvider {
            label: get(&format!("{prefix}LABEL")).unwrap_or_else(|| name.clone()),
            client_id: required("CLIENT_ID")?,
            client_secret: required("CLIENT_SECRET")?.into(),
            issuer,
            name,
            kind,
        });
    }
    Ok(providers)
}

/// `MEMCACHED_CLIENT=own|crate-binary|crate-ascii` (the crate only in builds with the
/// `memcache-crate` feature).
fn memcached_client(get: &impl Fn(&str) -> Option<String>) -> Result<crate::cache::CacheClient, ConfigError> {
    const VAR: &str = "MEMCACHED_CLIENT";
    let Some(raw) = get(VAR) else { return Ok(crate::cache::CacheClient::Own) };
    let client: crate::cache::CacheClient = raw
        .trim()
        .parse()
        .map_err(|()| ConfigError::new(VAR, format!("'{raw}' is not one of own, crate-binary, crate-ascii")))?;
    if !client.available() {
        return Err(ConfigError::new(VAR, format!("'{raw}' needs a build with the shared/memcache-crate feature")));
    }
    Ok(client)
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
    expected: &str,
) -> Result<T, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(raw) => {
            raw.trim().parse().map_err(|_| ConfigError::new(var, format!("'{raw}' is not valid (expected {expected})")))
        }
    }
}

/// `true`/`false`, also `1`/`0`, `yes`/`no`, `on`/`off` (what people type in a shell).
fn flag(get: &impl Fn(&str) -> Option<String>, var: &'static str, default: bool) -> Result<bool, ConfigError> {
    match get(var).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::new(var, format!("'{other}' is not valid (expected true or false)"))),
    }
}

fn check_scheme(var: &'static str, url: &str, schemes: &[&str]) -> Result<(), ConfigError> {
    match url.split_once("://") {
        Some((scheme, rest)) if schemes.contains(&scheme) && !rest.is_empty() => Ok(()),
        _ => Err(ConfigError::new(
            var,
            format!("'{}' is not a URL starting with {}://", redact_url(url), schemes.join("://, ")),
        )),
    }
}

/// `scheme://user:secret@host/db` -> `scheme://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{userinfo}@{host}"),
        },
        None => url.to_owned(),
    }
}

/// [`redact_url`] on each URL of a comma-separated list.
pub fn redact_urls(urls: &str) -> String {
    urls.split(',').map(|u| redact_url(u.trim())).collect::<Vec<_>>().join(",")
}

fn default_node_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let host: String = host.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
    let host = if host.is_empty() { "node".to_owned() } else { host };
    format!("{host}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_work_locally() {
        let s = settings(&[]).expect("defaults are valid");
        assert_eq!(s.api_addr.port(), 8080);
        assert_eq!(s.exchange, "chat.events");
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.outbox_confirm_timeout, Duration::from_secs(10));
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let cases = [
            ("API_ADDR", "not-an-address"),
            ("WS_ADDR", "127.0.0.1"),
            ("HEARTBEAT_MS", "soon"),
            ("OUTBOX_CONFIRM_TIMEOUT_MS", "-1"),
            ("LOG_FORMAT", "xml"),
            ("APP_ENV", "staging"),
            ("DATABASE_URL", "mysql://x@y/z"),
            ("AMQP_URL", "localhost:5672"),
            ("MEMCACHED_URL", "127.0.0.1:11211"),
            ("MEMCACHED_CLIENT", "libmemcached"),
            ("NODE_ID", "node 1"),
            ("JWT_SECRET", "short"),
        ];
        for (var, value) in cases {
            let err = settings(&[(var, value)]).expect_err(var);
            assert_eq!(err.var, var);
            let line = err.to_string();
            assert!(line.starts_with(&format!("configuration error: {var}: ")), "{line}");
            assert!(!line.contains('\n'), "one line: {line}");
        }
    }

    #[test]
    fn production_requires_a_real_jwt_secret() {
        assert_eq!(settings(&[("APP_ENV", "production")]).expect_err("no secret").var, "JWT_SECRET");
        assert_eq!(
            settings(&[("APP_ENV", "production"), ("JWT_SECRET", DEV_JWT_SECRET)]).expect_err("dev secret").var,
            "JWT_SECRET"
        );
        assert!(settings(&[("APP_ENV", "production"), ("JWT_SECRET", &random_secret())]).is_ok());
    }

    /// 32 random bytes as hex, as `openssl rand -hex 32` makes them (never a literal: every
    /// `JWT_SECRET` value written in the repository must be refused, see `jwt_secret`).
    fn random_secret() -> String {
        (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
    }

    #[test]
    fn production_refuses_secrets_published_in_the_repository_or_easy_to_guess() {
        let env_example = include_str!("../../.env.example");
        let published = env_example
            .lines()
            .find_map(|l| l.strip_prefix("JWT_SECRET="))
            .expect(".env.example has a JWT_SECRET line");
        let guessable = [
            published.to_owned(),
            "test-secret-test-secret-test-secret-0000".to_owned(),
            "x".repeat(48),
            "ab".repeat(24),
            "passwordpasswordpasswordpassword".to_owned(),
            "0123456789012345678901234567890123456789".to_owned(),
        ];
        for secret in &guessable {
            let err = settings(&[("APP_ENV", "production"), ("JWT_SECRET", secret)]).expect_err(secret);
            assert_eq!(err.var, "JWT_SECRET", "{secret}");
            let line = err.to_string();
            assert!(!line.contains('\n') && !line.contains(secret.as_str()), "one line, secret not echoed: {line}");
            // Development keeps working with them (tests and the local cluster use such values).
            assert!(settings(&[("JWT_SECRET", secret)]).is_ok(), "{secret}");
        }
        for _ in 0..20 {
            assert!(settings(&[("APP_ENV", "production"), ("JWT_SECRET", &random_secret())]).is_ok());
        }
        let base64ish: String = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            (0..32).map(|_| rand::random::<u8>()).collect::<Vec<u8>>(),
        );
        assert!(settings(&[("APP_ENV", "production"), ("JWT_SECRET", &base64ish)]).is_ok());
    }

    #[test]
    fn oidc_providers_are_read_per_name() {
        assert!(settings(&[]).expect("defaults").oidc_providers.is_empty());
        let s = settings(&[
            ("OIDC_PROVIDERS", "google, corp-sso"),
            ("OIDC_GOOGLE_ISSUER", "https://accounts.google.com/"),
            ("OIDC_GOOGLE_CLIENT_ID", "id1"),
            ("OIDC_GOOGLE_CLIENT_SECRET", "secret1"),
            ("OIDC_GOOGLE_LABEL", "Google"),
            ("OIDC_CORP_SSO_ISSUER", "https://sso.corp.example/realms/x"),
            ("OIDC_CORP_SSO_CLIENT_ID", "id2"),
            ("OIDC_CORP_SSO_CLIENT_SECRET", "secret2"),
        ])
        .expect("valid");
        let names: Vec<&str> = s.oidc_providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["google", "corp-sso"]);
        assert_eq!(s.oidc_providers[0].issuer, "https://accounts.google.com");
        assert_eq!(s.oidc_providers[0].label, "Google");
        assert_eq!(s.oidc_providers[1].label, "corp-sso");
        assert!(!s.redacted().to_string().contains("secret1"));
        let missing = settings(&[("OIDC_PROVIDERS", "google"), ("OIDC_GOOGLE_ISSUER", "https://accounts.google.com")])
            .expect_err("no client id");
        assert_eq!(missing.var, "OIDC_PROVIDERS");
        assert!(missing.message.contains("OIDC_GOOGLE_CLIENT_ID"), "{}", missing.message);
        assert!(settings(&[("OIDC_PROVIDERS", "bad name")]).is_err());
        let gh = settings(&[
            ("OIDC_PROVIDERS", "github"),
            ("OIDC_GITHUB_KIND", "github"),
            ("OIDC_GITHUB_CLIENT_ID", "id"),
            ("OIDC_GITHUB_CLIENT_SECRET", "secret"),
        ])
        .expect("valid");
        assert_eq!(gh.oidc_providers[0].issuer, "https://github.com");
        assert_eq!(gh.oidc_providers[0].kind, OidcKind::Github { api_url: "https://api.github.com".into() });
        assert!(settings(&[("OIDC_PROVIDERS", "x"), ("OIDC_X_KIND", "saml")]).is_err());
    }

    #[test]
    fn redacted_settings_hide_passwords_and_secrets() {
        let s = settings(&[("AMQP_URL", "amqp://guest:hunter2@mq:5672/%2f"), ("JWT_SECRET", &"s".repeat(40))])
            .expect("valid");
        let text = s.redacted().to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains(&"s".repeat(40)), "{text}");
        assert!(text.contains("amqp://guest:***@mq:5672/%2f"), "{text}");
    }

    #[test]
    fn amqp_url_lists_cluster_nodes_each_checked_and_redacted() {
        let s = settings(&[("AMQP_URL", "amqp://u:pw1@mq1:5672/%2f, amqp://u:pw2@mq2:5672/%2f?heartbeat=5")])
            .expect("a list of nodes");
        let text = s.redacted().to_string();
        assert!(!text.contains("pw1") && !text.contains("pw2"), "{text}");
        assert!(text.contains("amqp://u:***@mq1:5672/%2f,amqp://u:***@mq2:5672/%2f?heartbeat=5"), "{text}");
        let bad = settings(&[("AMQP_URL", "amqp://mq1/%2f,mq2:5672")]).expect_err("second is not a URL");
        assert_eq!(bad.var, "AMQP_URL");
    }

    #[test]
    fn demo_data_is_a_flag_refused_in_production() {
        assert!(!settings(&[]).expect("defaults").demo_data);
        assert!(settings(&[("DEMO_DATA", "1")]).expect("on").demo_data);
        assert_eq!(settings(&[("DEMO_DATA", "maybe")]).expect_err("not a flag").var, "DEMO_DATA");
    }

    /// docs/configuration.md lists exactly what `Settings` reads (the provider variables once,
    /// as `OIDC_<NAME>_…`).
    #[test]
    fn docs_list_every_variable() {
        use crate::testing::docs::{configuration_doc, documented_variables, variables_read};
        let provider = |kind| {
            [
                ("OIDC_PROVIDERS", "x"),
                ("OIDC_X_ISSUER", "https://x.example"),
                ("OIDC_X_CLIENT_ID", "id"),
                ("OIDC_X_CLIENT_SECRET", "secret"),
                ("OIDC_X_KIND", kind),
            ]
        };
        let mut read = variables_read(&provider("oidc"), |get| drop(Settings::from_lookup(get)));
        read.extend(variables_read(&provider("github"), |get| drop(Settings::from_lookup(get))));
        let read: std::collections::BTreeSet<String> =
            read.into_iter().map(|name| name.replace("OIDC_X_", "OIDC_<NAME>_")).collect();
        let mut documented = documented_variables(&configuration_doc(), "Every server process");
        // Read by tracing-subscriber's `EnvFilter` (crate::telemetry), not through `Settings`.
        documented.remove("RUST_LOG");
        let missing: Vec<_> = read.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&read).collect();
        assert!(missing.is_empty(), "read by shared::config but not in docs/configuration.md: {missing:?}");
        assert!(stale.is_empty(), "in docs/configuration.md but not read by shared::config: {stale:?}");
    }
}
