//! Sign-in with OpenID Connect providers (authorization code flow with PKCE).
//!
//! Lifecycle of one sign-in:
//! 1. [`start`]: a random `state`, `nonce` and PKCE verifier; the flow is stored under the hash
//!    of `state` (10 minutes, single use) and `state` also goes into a cookie of this browser;
//!    the browser is sent to the provider's authorization endpoint.
//! 2. [`callback`]: the provider sends the browser back with `code` and `state`. `state` must
//!    equal the cookie (so a sign-in started elsewhere cannot be completed in this browser) and
//!    name a stored, unexpired flow of this provider, which is deleted. The code is exchanged at
//!    the token endpoint with the client secret and the PKCE verifier. The id_token must be
//!    RS256-signed by a key of the provider's JWKS (by `kid`), name the provider as `iss` and our
//!    client as `aud`, be unexpired, and carry the flow's `nonce`.
//! 3. The account: the one linked to (provider, `sub`); else the account whose *verified*
//!    address equals the provider's address, only when the provider says `email_verified`
//!    (then linked); else a new account (username from `preferred_username` or the address,
//!    made unique; the address is kept when no other account has it, verified if the provider
//!    verified it). A suspended account is refused.
//! 4. A one-time code (60 s, stored hashed) is handed to the web client in the redirect to
//!    `{PUBLIC_URL}/oidc?code=…`, and bound to this browser: the same answer sets a random
//!    value in a cookie ([`BINDING_COOKIE`]) whose hash is stored with the code. [`complete`]
//!    trades the code for the same answer as a password login (including the second step when
//!    two-factor authentication is on) only with that cookie, so an attacker's code opened in a
//!    victim's browser (login CSRF: the victim silently working in the attacker's account) or a
//!    victim's leaked code used elsewhere signs nobody in. A refused browser does not spend it.
//!
//! GitHub speaks OAuth 2.0 without OpenID Connect (`OIDC_<NAME>_KIND=github`): no discovery, no
//! id_token, no nonce. Steps 1-2 are the same (state cookie, single-use flow, PKCE); the code buys
//! an access token, and the identity is GitHub's numeric user id from `GET {api}/user` (`login`
//! as the username hint), the address the *primary* one of `GET {api}/user/emails` with its
//! `verified` flag. The TLS connection to GitHub's API stands in for the id_token signature.
//!
//! Any failure of steps 2-3 becomes `{PUBLIC_URL}/oidc?error=<code>` (never an error page).
//!
//! The provider's HTTP side (discovery, JWKS, code exchange, id_token checks) is
//! [`crate::oidc_client`]; this module keeps the flow and the accounts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use diesel::{Connection, PgConnection};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::api::OidcProviderDto;
use shared::auth;
use shared::config::{OidcKind, OidcProvider};
use shared::error::ErrorCode;
use shared::ids::UserId;
use shared::models::oidc::{self, CodeTaken, Identity, PendingLogin};
use shared::models::user::{NewUser, User};
use shared::{db, Error};

use crate::domain::auth::{proven, suspended, ClientInfo, LoginOutcome};
use crate::domain::oidc_link;
use crate::domain::validate::{Username, DISPLAY_NAME_MAX, USERNAME_MAX};
use crate::oidc_client::{bad_token, encode, IdClaims};
use crate::state::AppState;

/// How long a started sign-in may take at the provider.
pub const FLOW_TTL_SECS: i64 = 600;
/// How long the web client has to trade the one-time code.
pub const CODE_TTL_SECS: i64 = 60;
/// The cookie that binds `state` to the browser that started the sign-in.
pub const STATE_COOKIE: &str = "chat_oidc_state";
/// The cookie that binds the one-time code to the browser the callback answered.
pub const BINDING_COOKIE: &str = "chat_oidc_binding";
/// What accounts made by a sign-in have instead of a password hash: never a valid PHC string,
/// so a password login of such an account always fails.
const NO_PASSWORD: &str = "!oidc-no-password";

pub fn provider<'a>(state: &'a AppState, name: &str) -> Result<&'a OidcProvider, Error> {
    state
        .settings
        .oidc_providers
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| Error::not_found(ErrorCode::UnknownProvider, "no such sign-in provider"))
}

pub fn providers(state: &AppState) -> Vec<OidcProviderDto> {
    state
        .settings
        .oidc_providers
        .iter()
        .map(|p| OidcProviderDto { name: p.name.clone(), label: p.label.clone() })
        .collect()
}

fn redirect_uri(state: &AppState, provider: &OidcProvider) -> String {
    format!("{}/api/auth/oidc/{}/callback", state.settings.public_url, provider.name)
}

/// A started sign-in: where to send the browser, and the `state` for its cookie.
pub struct Started {
    pub authorize_url: String,
    pub state: String,
}

/// A path of this site to go to after the sign-in (`?redirect=` of the sign-in page), or nothing:
/// never another origin (`//host`, `/\host`, a scheme) nor control characters.
pub fn safe_redirect(raw: Option<&str>) -> Option<String> {
    let r = raw?.trim();
    let ok = r.starts_with('/')
        && !r.starts_with("//")
        && !r.contains('\\')
        && r.len() <= 512
        && !r.chars().any(char::is_control);
    ok.then(|| r.to_owned())
}

pub async fn start(state: &AppState, provider_name: &str, redirect_after: Option<&str>) -> Result<Started, Error> {
    start_flow(state, provider_name, redirect_after, None).await
}

/// Step 1 for a sign-in, or (`link`) for linking the provider to a signed-in user.
pub async fn start_flow(
    state: &AppState,
    provider_name: &str,
    redirect_after: Option<&str>,
    link: Option<UserId>,
) -> Result<Started, Error> {
    let provider = provider(state, provider_name)?;
    let (authorization_endpoint, scope) = match provider.kind {
        OidcKind::Oidc => (state.oidc.metadata(provider).await?.authorization_endpoint, "openid email profile"),
        OidcKind::Github { .. } => (format!("{}/login/oauth/authorize", provider.issuer), "read:user user:email"),
    };
    let (state_token, nonce, verifier) = (auth::new_opaque_token(), auth::new_opaque_token(), auth::new_opaque_token());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let login = PendingLogin {
        state_hash: auth::hash_token(&state_token),
        provider: provider.name.clone(),
        nonce: nonce.clone(),
        pkce_verifier: verifier,
        redirect_after: safe_redirect(redirect_after),
        expires_at: Utc::now() + chrono::Duration::seconds(FLOW_TTL_SECS),
        link_user_id: link.map(|u| u.0),
    };
    db::run(&state.pool, move |conn| Ok(PendingLogin::insert(conn, &login)?)).await?;
    let params = [
        ("response_type", "code"),
        ("client_id", provider.client_id.as_str()),
        ("redirect_uri", &redirect_uri(state, provider)),
        ("scope", scope),
        ("state", &state_token),
        ("nonce", &nonce),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let sep = if authorization_endpoint.contains('?') { '&' } else { '?' };
    tracing::info!(provider = provider.name, "OpenID Connect sign-in started");
    Ok(Started { authorize_url: format!("{authorization_endpoint}{sep}{}", query.join("&")), state: state_token })
}

/// What the provider sent the browser back with.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Where the callback sends the browser, and the value of its binding cookie when a code was
/// issued.
pub struct Landing {
    pub page: String,
    pub binding: Option<String>,
}

/// Steps 2-3: the web client page to send the browser to (`?code=` or `?error=`).
pub async fn callback(
    state: &AppState,
    provider_name: &str,
    params: CallbackParams,
    cookie: Option<String>,
) -> Landing {
    let page = format!("{}/oidc", state.settings.public_url);
    match finish(state, provider_name, params, cookie).await {
        Ok(Finished::Linked) => {
            let page = format!("{}/settings?linked={}", state.settings.public_url, encode(provider_name));
            Landing { page, binding: None }
        }
        Err(e) if e.link => {
            tracing::info!(code = %e.error.code, provider = provider_name, "OpenID Connect link refused");
            let code = if e.error.code == ErrorCode::Internal { "server_error" } else { e.error.code.as_str() };
            let page = format!("{}/settings?link_error={}", state.settings.public_url, encode(code));
            Landing { page, binding: None }
        }
        Ok(Finished::SignIn { code, binding, redirect_after }) => {
            let page = match redirect_after {
                None => format!("{page}?code={}", encode(&code)),
                Some(after) => format!("{page}?code={}&redirect={}", encode(&code), encode(&after)),
            };
            Landing { page, binding: Some(binding) }
        }
        Err(FlowError { error: e, .. }) => {
            if e.status() >= 500 && e.code == ErrorCode::Internal {
                tracing::error!(error = ?e, provider = provider_name, "OpenID Connect sign-in failed");
            } else {
                tracing::info!(code = %e.code, provider = provider_name, "OpenID Connect sign-in refused");
            }
            let code = if e.code == ErrorCode::Internal { "server_error" } else { e.code.as_str() };
            Landing { page: format!("{page}?error={}", encode(code)), binding: None }
        }
    }
}

/// A finished flow: a sign-in (the one-time code, the browser binding it needs, the path to
/// open after), or a provider linked to the user who started it.
enum Finished {
    SignIn { code: String, binding: String, redirect_after: Option<String> },
    Linked,
}

/// Why a flow failed, and whether it was a link (its errors land on the settings page).
struct FlowError {
    error: Error,
    link: bool,
}

impl From<Error> for FlowError {
    fn from(error: Error) -> Self {
        FlowError { error, link: false }
    }
}

async fn finish(
    state: &AppState,
    provider_name: &str,
    params: CallbackParams,
    cookie: Option<String>,
) -> Result<Finished, FlowError> {
    let provider = provider(state, provider_name)?;
    let mismatch = || Error::bad_request(ErrorCode::StateMismatch, "this sign-in was not started in this browser");
    let state_token = params.state.filter(|s| !s.is_empty()).ok_or_else(mismatch)?;
    if cookie.as_deref() != Some(state_token.as_str()) {
        return Err(mismatch().into());
    }
    let hash = auth::hash_token(&state_token);
    let login = db::run(&state.pool, move |conn| Ok(PendingLogin::take(conn, &hash)?))
        .await?
        .ok_or_else(|| Error::bad_request(ErrorCode::StateUnknown, "this sign-in was already used or never started"))?;
    if login.provider != provider.name {
        return Err(mismatch().into());
    }
    let link = login.link_user_id.map(UserId);
    let as_link = |error: Error| FlowError { error, link: link.is_some() };
    let claims = provider_claims(state, provider, &login, params.code, params.error).await.map_err(as_link)?;
    if let Some(user) = link {
        let provider_name = provider.name.clone();
        db::run(&state.pool, move |conn| oidc_link::link(conn, user, &provider_name, &claims))
            .await
            .map_err(as_link)?;
        return Ok(Finished::Linked);
    }
    let provider_name = provider.name.clone();
    let user =
        db::run(&state.pool, move |conn| conn.transaction(|conn| account(conn, &provider_name, &claims))).await?;
    if user.suspended_at.is_some() {
        return Err(suspended().into());
    }
    let (code, binding) = (auth::new_opaque_token(), auth::new_opaque_token());
    let (code_hash, binding_hash) = (auth::hash_token(&code), auth::hash_token(&binding));
    let user_id = user.id;
    let expires = Utc::now() + chrono::Duration::seconds(CODE_TTL_SECS);
    db::run(&state.pool, move |conn| Ok(oidc::insert_code(conn, &code_hash, &binding_hash, user_id, expires)?)).await?;
    tracing::info!(user_id = user_id.0, provider = provider.name, "OpenID Connect sign-in accepted");
    Ok(Finished::SignIn { code, binding, redirect_after: safe_redirect(login.redirect_after.as_deref()) })
}

/// Step 2 past the state checks: the provider's answer, exchanged and checked, as claims.
async fn provider_claims(
    state: &AppState,
    provider: &OidcProvider,
    login: &PendingLogin,
    code: Option<String>,
    error: Option<String>,
) -> Result<IdClaims, Error> {
    if login.expires_at < Utc::now() {
        return Err(Error::bad_request(ErrorCode::StateExpired, "the sign-in took too long; start again"));
    }
    if let Some(error) = error {
        tracing::info!(provider = provider.name, error, "the provider refused the sign-in");
        return Err(Error::forbidden(ErrorCode::ProviderError, "the provider did not sign you in"));
    }
    let code = code.filter(|c| !c.is_empty()).ok_or_else(|| bad_token("no code"))?;
    let redirect = redirect_uri(state, provider);
    Ok(match &provider.kind {
        OidcKind::Oidc => {
            let metadata = state.oidc.metadata(provider).await?;
            let id_token =
                state.oidc.exchange(provider, &redirect, &metadata.token_endpoint, &code, &login.pkce_verifier).await?;
            state.oidc.validate(provider, &metadata, &id_token, &login.nonce).await?
        }
        OidcKind::Github { api_url } => {
            state.oidc.github_claims(provider, &redirect, api_url, &code, &login.pkce_verifier).await?
        }
    })
}

/// Step 3: the account for these claims (found, linked by verified address, or created).
fn account(conn: &mut PgConnection, provider: &str, claims: &IdClaims) -> Result<User, Error> {
    if let Some(identity) = Identity::find(conn, provider, &claims.sub)? {
        return Ok(User::find(conn, identity.user_id)?);
    }
    let email = claims.email.as_deref().map(str::trim).filter(|e| e.contains('@') && e.len() <= 254);
    let holder = match email {
        Some(email) => User::find_by_email(conn, email)?,
        None => None,
    };
    if let Some(holder) = holder.as_ref().filter(|h| claims.email_verified && h.email_verified_at.is_some()) {
        Identity::link(conn, provider, &claims.sub, holder.id, email)?;
        tracing::info!(
            user_id = holder.id.0,
            provider,
            "OpenID identity linked to the account with that verified address"
        );
        return Ok(User::find(conn, holder.id)?);
    }
    let username = free_username(conn, claims)?;
    let display_name: String = claims
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.chars().any(char::is_control))
        .unwrap_or(&username)
        .chars()
        .take(DISPLAY_NAME_MAX)
        .collect();
    // The address only when no account has it (unverified ones included: it stays theirs).
    let own_email = email.filter(|_| holder.is_none());
    let new =
        NewUser { username: &username, display_name: &display_name, password_hash: NO_PASSWORD, email: own_email };
    let user = User::insert(conn, &new)?;
    if let (Some(own), true) = (own_email, claims.email_verified) {
        User::verify_email(conn, user.id, own)?;
    }
    Identity::link(conn, provider, &claims.sub, user.id, email)?;
    tracing::info!(user_id = user.id.0, provider, "account created by an OpenID Connect sign-in");
    Ok(User::find(conn, user.id)?)
}

/// A free username from `preferred_username`, else the address's local part, else `user`.
fn free_username(conn: &mut PgConnection, claims: &IdClaims) -> Result<String, Error> {
    let source = claims
        .preferred_username
        .as_deref()
        .or_else(|| claims.email.as_deref().and_then(|e| e.split('@').next()))
        .unwrap_or("user");
    let base = username_base(source);
    for attempt in 0..20 {
        let candidate = if attempt == 0 {
            base.clone()
        } else {
            let suffix = format!("_{}", rand::random_range(1000..100_000u32));
            let keep = USERNAME_MAX - suffix.len();
            format!("{}{suffix}", base.chars().take(keep).collect::<String>())
        };
        if Username::parse(&candidate).is_ok() && User::find_by_username(conn, &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(Error::internal(anyhow::anyhow!("no free username for {base}")))
}

/// Lowercase `[a-z0-9_.]`, 3 to 24 characters (room for a suffix).
fn username_base(source: &str) -> String {
    let cleaned: String = source
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_' { c } else { '_' })
        .take(24)
        .collect();
    let cleaned = cleaned.trim_matches(|c| c == '_' || c == '.').to_owned();
    if cleaned.len() < 3 {
        format!("user{cleaned}")
    } else {
        cleaned
    }
}

/// Trades a one-time code from the callback for a login answer, in the browser holding its
/// binding cookie (`binding`).
pub async fn complete(
    state: &AppState,
    code: &str,
    binding: Option<&str>,
    client: ClientInfo,
) -> Result<LoginOutcome, Error> {
    let (hash, binding_hash) = (auth::hash_token(code), binding.map(auth::hash_token));
    let taken = db::run(&state.pool, move |conn| Ok(oidc::take_code(conn, &hash, binding_hash.as_deref())?)).await?;
    let (user_id, expires_at) = match taken {
        CodeTaken::Taken { user_id, expires_at } => (user_id, expires_at),
        CodeTaken::OtherBrowser => {
            tracing::warn!("OpenID Connect code presented by another browser than the one it was issued to");
            return Err(Error::unauthorized(
                ErrorCode::OidcBrowserMismatch,
                "this sign-in was not finished in this browser; start it here",
            ));
        }
        CodeTaken::Unknown => {
            return Err(Error::unauthorized(
                ErrorCode::InvalidOidcCode,
                "this sign-in code is unknown or was already used",
            ))
        }
    };
    if expires_at < Utc::now() {
        return Err(Error::unauthorized(ErrorCode::OidcCodeExpired, "the sign-in code has expired; sign in again"));
    }
    let user = db::run(&state.pool, move |conn| Ok(User::find(conn, user_id)?)).await?;
    proven(state, &user, client).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_made_valid() {
        assert_eq!(username_base("Alice.Smith"), "alice.smith");
        assert_eq!(username_base("jo"), "userjo");
        assert_eq!(username_base("Zoë Ünal+tag"), "zo___nal_tag");
        assert_eq!(username_base(&"x".repeat(40)).len(), 24);
        assert!(Username::parse(&username_base("__")).is_ok());
    }

    #[test]
    fn only_paths_of_this_site_are_kept_as_redirects() {
        assert_eq!(safe_redirect(Some("/invite/abc?x=1")).as_deref(), Some("/invite/abc?x=1"));
        for bad in ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/a\nb", ""] {
            assert_eq!(safe_redirect(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(safe_redirect(None), None);
    }
}
