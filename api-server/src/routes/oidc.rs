//! `/api/auth/oidc/*`: sign-in with OpenID Connect providers (see `domain::oidc` for the flow
//! and what is checked). `start` and `callback` are browser navigations and answer redirects,
//! also for errors (`{PUBLIC_URL}/oidc?error=<code>`); `complete` is a JSON call of the web client.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::api::{OidcProviderDto, SecondFactorDto, TokensDto};
use shared::error::ErrorBody;
use shared::error::ErrorCode;
use shared::Error;
use utoipa::{IntoParams, ToSchema};

use crate::domain::auth::LoginOutcome;
use crate::domain::oidc::{self as domain, CallbackParams, BINDING_COOKIE, CODE_TTL_SECS, FLOW_TTL_SECS, STATE_COOKIE};
use crate::http::{client_ip, respond, Json};
use crate::limits;
use crate::routes::auth::client;
use crate::state::AppState;

const COOKIE_PATH: &str = "/api/auth/oidc/";
/// Where the binding cookie is sent: only to the call that needs it.
const COMPLETE_PATH: &str = "/api/auth/oidc/complete";

fn found(to: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The sign-in providers to offer (buttons on the sign-in page).
#[utoipa::path(get, path = "/api/auth/oidc/providers", tag = "auth", responses((status = 200, body = [OidcProviderDto])))]
#[get("/auth/oidc/providers")]
pub async fn providers(state: web::Data<AppState>) -> HttpResponse {
    respond(StatusCode::OK, &domain::providers(&state))
}

#[derive(Deserialize, IntoParams)]
pub struct StartQuery {
    /// A path of this site to open after the sign-in (handed back as `/oidc?code=…&redirect=…`);
    /// anything else is ignored.
    pub redirect: Option<String>,
}

/// Start a sign-in: 302 to the provider (authorization code + PKCE S256, `state`, `nonce`), with
/// a cookie binding `state` to this browser. Errors: 302 to `/oidc?error=unknown_provider |
/// provider_unavailable | rate_limited`.
#[utoipa::path(get, path = "/api/auth/oidc/{provider}/start", tag = "auth",
    params(("provider" = String, Path, description = "a name from /api/auth/oidc/providers"), StartQuery),
    responses((status = 302, description = "to the provider's authorization endpoint, or to /oidc?error=<code>")))]
#[get("/auth/oidc/{provider}/start")]
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    provider: web::Path<String>,
    query: web::Query<StartQuery>,
) -> HttpResponse {
    let ip = client_ip(&req, state.settings.trust_forwarded_for);
    let started = match limits::check_address(&state, limits::oidc(&state), &ip).await {
        Ok(()) => domain::start(&state, &provider, query.redirect.as_deref()).await,
        Err(e) => Err(e),
    };
    match started {
        Ok(started) => {
            let mut res = found(&started.authorize_url);
            let _ = res.add_cookie(&state_cookie(&state, started.state));
            res
        }
        Err(e) => found(&format!("{}/oidc?error={}", state.settings.public_url, error_code(&e))),
    }
}

/// The cookie binding a started flow's `state` to this browser (sign-in or link).
pub fn state_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(STATE_COOKIE, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .secure(state.settings.public_url.starts_with("https://"))
        // Lax: sent on the provider's top-level redirect back to us.
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(FLOW_TTL_SECS))
        .finish()
}

fn error_code(e: &Error) -> &str {
    if e.code == ErrorCode::Internal {
        "server_error"
    } else {
        e.code.as_str()
    }
}

#[derive(Deserialize, IntoParams)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// Set by the provider when it did not sign the user in.
    pub error: Option<String>,
}

/// Where the provider sends the browser back: 302 to `/oidc?code=<one-time code>[&redirect=<path>]` or
/// `/oidc?error=<code>` (`state_mismatch`, `state_unknown`, `state_expired`, `provider_error`,
/// `code_exchange_failed`, `invalid_id_token`, `id_token_expired`, `nonce_mismatch`,
/// `account_suspended`, `unknown_provider`, `provider_unavailable`, `server_error`).
#[utoipa::path(get, path = "/api/auth/oidc/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "the provider's name"), CallbackQuery),
    responses((status = 302, description = "to /oidc?code=<one-time code> or /oidc?error=<code>")))]
#[get("/auth/oidc/{provider}/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    provider: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> HttpResponse {
    let q = query.into_inner();
    let cookie = req.cookie(STATE_COOKIE).map(|c| c.value().to_owned());
    let params = CallbackParams { code: q.code, state: q.state, error: q.error };
    let landing = domain::callback(&state, &provider, params, cookie).await;
    let mut res = found(&landing.page);
    // The flow is over either way: the cookie goes.
    let mut gone = Cookie::build(STATE_COOKIE, "").path(COOKIE_PATH).http_only(true).finish();
    gone.make_removal();
    let _ = res.add_cookie(&gone);
    if let Some(binding) = landing.binding {
        let cookie = Cookie::build(BINDING_COOKIE, binding)
            .path(COMPLETE_PATH)
            .http_only(true)
            .secure(state.settings.public_url.starts_with("https://"))
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(CODE_TTL_SECS))
            .finish();
        let _ = res.add_cookie(&cookie);
    }
    res
}

#[derive(Deserialize, ToSchema)]
pub struct CompleteRequest {
    /// The `code` of `/oidc?code=…` (single use, 60 s).
    pub code: String,
}

/// Trade the one-time code of a finished provider sign-in for tokens, exactly like a password
/// login (202 and the second step when two-factor authentication is on). Only in the browser the
/// callback answered: it holds the code's binding cookie (`chat_oidc_binding`, HttpOnly).
#[utoipa::path(post, path = "/api/auth/oidc/complete", tag = "auth", request_body = CompleteRequest, responses(
    (status = 200, body = TokensDto),
    (status = 202, description = "two-factor authentication is on: finish with /auth/login/second-factor", body = SecondFactorDto),
    (status = 401, description = "invalid_oidc_code (unknown or used), oidc_code_expired, or oidc_browser_mismatch (not the browser the sign-in finished in)", body = ErrorBody),
    (status = 403, description = "account_suspended", body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/oidc/complete")]
pub async fn complete(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<CompleteRequest>,
) -> Result<HttpResponse, Error> {
    let client = client(&req, &state);
    limits::check_address(&state, limits::oidc(&state), &client.ip).await?;
    let binding = req.cookie(BINDING_COOKIE).map(|c| c.value().to_owned());
    let mut res = match domain::complete(&state, &body.0.code, binding.as_deref(), client).await? {
        LoginOutcome::Tokens(tokens) => respond(StatusCode::OK, &tokens),
        LoginOutcome::SecondFactor(next) => respond(StatusCode::ACCEPTED, &next),
    };
    // Spent with its code.
    let mut gone = Cookie::build(BINDING_COOKIE, "").path(COMPLETE_PATH).http_only(true).finish();
    gone.make_removal();
    let _ = res.add_cookie(&gone);
    Ok(res)
}
