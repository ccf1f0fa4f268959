//! The HTTP side of signing in with an OpenID provider (or GitHub): discovery, JWKS, the code
//! exchange and id_token validation. It knows the protocol, not accounts: `domain::oidc` decides
//! what a validated identity means.
//!
//! Concurrency model: discovery documents and JWKS are cached per provider in one
//! `Mutex<HashMap>` (held only to read or replace an entry, never across a request). Discovery is
//! kept an hour; a JWKS until an id_token names a `kid` it lacks, then it is fetched again (at
//! most every 10 seconds per provider, so forged tokens cannot make us hammer the provider).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde::Deserialize;
use shared::config::OidcProvider;
use shared::error::ErrorCode;
use shared::Error;

const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
const JWKS_MIN_REFETCH: Duration = Duration::from_secs(10);
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Clock skew allowed on `exp`.
const LEEWAY_SECS: u64 = 60;

#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

#[derive(Default)]
struct Cached {
    metadata: Option<(Metadata, Instant)>,
    jwks: Option<(JwkSet, Instant)>,
}

/// HTTP client and per-provider caches (one per process, in `AppState`).
pub struct Clients {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Cached>>,
}

impl Clients {
    pub fn new() -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("chat-api-server")
            .build()?;
        Ok(Self { http, cache: Mutex::default() })
    }

    fn cached<T>(&self, provider: &str, read: impl FnOnce(&Cached) -> Option<T>) -> Option<T> {
        self.cache.lock().ok().and_then(|c| c.get(provider).and_then(read))
    }

    fn update(&self, provider: &str, write: impl FnOnce(&mut Cached)) {
        if let Ok(mut c) = self.cache.lock() {
            write(c.entry(provider.to_owned()).or_default());
        }
    }

    pub async fn metadata(&self, provider: &OidcProvider) -> Result<Metadata, Error> {
        let fresh =
            |c: &Cached| c.metadata.as_ref().filter(|(_, at)| at.elapsed() < DISCOVERY_TTL).map(|(m, _)| m.clone());
        if let Some(m) = self.cached(&provider.name, fresh) {
            return Ok(m);
        }
        let url = format!("{}/.well-known/openid-configuration", provider.issuer);
        let metadata: Metadata = self.get_json(&url).await?;
        // OpenID Connect Discovery 4.3: the document must be about the configured issuer.
        if metadata.issuer.trim_end_matches('/') != provider.issuer {
            return Err(provider_unavailable(anyhow::anyhow!(
                "discovery of {} names issuer {}",
                provider.issuer,
                metadata.issuer
            )));
        }
        self.update(&provider.name, |c| c.metadata = Some((metadata.clone(), Instant::now())));
        Ok(metadata)
    }

    /// The key for `kid`, fetching the JWKS when it is not known (yet).
    async fn key(&self, provider: &OidcProvider, jwks_uri: &str, kid: &str) -> Result<DecodingKey, Error> {
        let find = |c: &Cached| c.jwks.as_ref().and_then(|(set, _)| set.find(kid).cloned());
        if let Some(jwk) = self.cached(&provider.name, find) {
            return DecodingKey::from_jwk(&jwk).map_err(|_| bad_token("the signing key is unusable"));
        }
        let recent = |c: &Cached| c.jwks.as_ref().map(|(_, at)| at.elapsed() < JWKS_MIN_REFETCH);
        if self.cached(&provider.name, recent) == Some(true) {
            return Err(bad_token("the id_token names an unknown key"));
        }
        let set: JwkSet = self.get_json(jwks_uri).await?;
        let jwk = set.find(kid).cloned();
        self.update(&provider.name, |c| c.jwks = Some((set, Instant::now())));
        let jwk = jwk.ok_or_else(|| bad_token("the id_token names an unknown key"))?;
        DecodingKey::from_jwk(&jwk).map_err(|_| bad_token("the signing key is unusable"))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Error> {
        let res = self.http.get(url).send().await.map_err(|e| provider_unavailable(e.into()))?;
        if !res.status().is_success() {
            return Err(provider_unavailable(anyhow::anyhow!("GET {url}: {}", res.status())));
        }
        res.json().await.map_err(|e| provider_unavailable(e.into()))
    }
}

fn provider_unavailable(source: anyhow::Error) -> Error {
    tracing::warn!(error = %source, "OpenID provider unreachable or misbehaving");
    Error::new(
        shared::error::Kind::Unavailable,
        ErrorCode::ProviderUnavailable,
        "the sign-in provider could not be reached",
    )
}

pub fn bad_token(why: &str) -> Error {
    Error::unauthorized(ErrorCode::InvalidIdToken, format!("the provider's answer was refused: {why}"))
}

/// Claims read from the id_token (iss, aud and exp are checked by the validation).
#[derive(Debug, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub nonce: Option<String>,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "bool_or_string")]
    pub email_verified: bool,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
}

/// Some providers send `"email_verified": "true"`.
fn bool_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Str(String),
    }
    Ok(match Option::<B>::deserialize(d)? {
        Some(B::Bool(b)) => b,
        Some(B::Str(s)) => s.eq_ignore_ascii_case("true"),
        None => false,
    })
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

/// Talking to providers: the code exchange, the id_token, GitHub's API.
impl Clients {
    /// POSTs the code (with the client secret and the PKCE verifier) to a token endpoint.
    async fn post_code(
        &self,
        provider: &OidcProvider,
        redirect_uri: &str,
        token_endpoint: &str,
        code: &str,
        verifier: &str,
    ) -> Result<reqwest::Response, Error> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", provider.client_id.as_str()),
            ("client_secret", provider.client_secret.expose_secret()),
            ("code_verifier", verifier),
        ];
        let body = form.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&");
        self.http
            .post(token_endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| provider_unavailable(e.into()))
    }

    pub async fn exchange(
        &self,
        provider: &OidcProvider,
        redirect_uri: &str,
        token_endpoint: &str,
        code: &str,
        verifier: &str,
    ) -> Result<String, Error> {
        let res = self.post_code(provider, redirect_uri, token_endpoint, code, verifier).await?;
        if !res.status().is_success() {
            let status = res.status();
            let text: String = res.text().await.unwrap_or_default().chars().take(300).collect();
            tracing::info!(provider = provider.name, %status, answer = text, "the provider refused the code");
            return Err(exchange_failed());
        }
        let answer: TokenAnswer = res.json().await.map_err(|_| bad_token("the token answer is not JSON"))?;
        answer.id_token.ok_or_else(|| bad_token("the token answer has no id_token"))
    }

    pub async fn validate(
        &self,
        provider: &OidcProvider,
        metadata: &Metadata,
        id_token: &str,
        nonce: &str,
    ) -> Result<IdClaims, Error> {
        let header = jsonwebtoken::decode_header(id_token).map_err(|_| bad_token("the id_token is malformed"))?;
        if header.alg != Algorithm::RS256 {
            return Err(bad_token("the id_token is not RS256"));
        }
        let kid = header.kid.ok_or_else(|| bad_token("the id_token names no key"))?;
        let key = self.key(provider, &metadata.jwks_uri, &kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&accepted_issuers(&provider.issuer, &metadata.issuer));
        validation.set_audience(&[provider.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let data = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => {
                    Error::unauthorized(ErrorCode::IdTokenExpired, "the provider's answer has expired")
                }
                ErrorKind::InvalidAudience => bad_token("it is for another client"),
                ErrorKind::InvalidIssuer => bad_token("it is from another issuer"),
                ErrorKind::InvalidSignature => bad_token("the signature is wrong"),
                _ => bad_token("it is not a valid id_token"),
            }
        })?;
        if data.claims.nonce.as_deref() != Some(nonce) {
            return Err(Error::unauthorized(ErrorCode::NonceMismatch, "the provider's answer is not for this sign-in"));
        }
        Ok(data.claims)
    }

    /// GitHub: code -> access token -> user and primary address, as the claims an id_token would give.
    pub async fn github_claims(
        &self,
        provider: &OidcProvider,
        redirect_uri: &str,
        api_url: &str,
        code: &str,
        verifier: &str,
    ) -> Result<IdClaims, Error> {
        let token_endpoint = format!("{}/login/oauth/access_token", provider.issuer);
        let res = self.post_code(provider, redirect_uri, &token_endpoint, code, verifier).await?;
        // GitHub answers a refused code with 200 and {"error": …}.
        let answer: GithubToken = res.json().await.map_err(|_| exchange_failed())?;
        let Some(token) = answer.access_token.filter(|t| !t.is_empty()) else {
            tracing::info!(provider = provider.name, error = answer.error, "GitHub refused the code");
            return Err(exchange_failed());
        };
        let user: GithubUser = self.github_get(api_url, "/user", &token).await?;
        let emails: Vec<GithubEmail> = self.github_get(api_url, "/user/emails", &token).await?;
        let sub = match user.id {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) if !s.is_empty() => s,
            _ => return Err(bad_token("GitHub gave no user id")),
        };
        let primary = emails.into_iter().find(|e| e.primary);
        Ok(IdClaims {
            sub,
            nonce: None,
            email_verified: primary.as_ref().is_some_and(|e| e.verified),
            email: primary.map(|e| e.email),
            preferred_username: Some(user.login),
            name: user.name,
        })
    }

    async fn github_get<T: serde::de::DeserializeOwned>(
        &self,
        api_url: &str,
        path: &str,
        token: &str,
    ) -> Result<T, Error> {
        let res = self
            .http
            .get(format!("{api_url}{path}"))
            .bearer_auth(token)
            .header("accept", "application/vnd.github+json")
            .send()
            .await
            .map_err(|e| provider_unavailable(e.into()))?;
        if !res.status().is_success() {
            return Err(bad_token("GitHub did not describe the user"));
        }
        res.json().await.map_err(|_| bad_token("GitHub did not describe the user"))
    }
}

fn exchange_failed() -> Error {
    Error::unauthorized(ErrorCode::CodeExchangeFailed, "the provider did not accept the sign-in code")
}

#[derive(Deserialize)]
struct GithubToken {
    access_token: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct GithubUser {
    /// A number at GitHub; kept as text (the subject).
    id: serde_json::Value,
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

/// The `iss` values an id_token of this provider may carry: the configured issuer and the one of
/// its discovery document (the same up to a trailing slash); for Google also the scheme-less
/// `accounts.google.com`, which its documentation says id_tokens may carry.
fn accepted_issuers(configured: &str, discovered: &str) -> Vec<String> {
    let mut issuers = vec![configured.to_owned(), discovered.to_owned()];
    if configured == "https://accounts.google.com" {
        issuers.push("accounts.google.com".to_owned());
    }
    issuers.dedup();
    issuers
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_the_configured_one_and_googles_scheme_less_form() {
        assert_eq!(
            accepted_issuers("https://sso.example/realms/x", "https://sso.example/realms/x"),
            ["https://sso.example/realms/x"]
        );
        assert_eq!(
            accepted_issuers("https://accounts.google.com", "https://accounts.google.com"),
            ["https://accounts.google.com", "accounts.google.com"]
        );
    }

    #[test]
    fn email_verified_may_be_a_string() {
        let c: IdClaims = serde_json::from_str(r#"{"sub":"s","email_verified":"true"}"#).expect("claims");
        assert!(c.email_verified);
        let c: IdClaims = serde_json::from_str(r#"{"sub":"s"}"#).expect("claims");
        assert!(!c.email_verified);
    }
}
