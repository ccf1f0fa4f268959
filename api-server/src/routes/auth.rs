//! `/api/auth/*`: register, login (with its second factor), refresh, logout, WebSocket ticket.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::api::{SecondFactorDto, TokensDto, WsTicketDto};
use shared::auth::{SessionRef, AUD_WS, WS_TICKET_TTL_SECS};
use shared::error::ErrorBody;
use shared::error::ErrorCode;
use shared::Error;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::auth::{self as domain, ClientInfo, LoginOutcome, Registration};
use crate::domain::two_factor::{self, Proof};
use crate::http::{client_ip, no_content, respond, Json};
use crate::limits;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// 3-32 characters `[a-z0-9_.]`, case-insensitive.
    pub username: String,
    /// 8-128 characters.
    pub password: String,
    pub display_name: Option<String>,
    /// Optional; a verification link is mailed to it. 409 `email_taken` when another account
    /// has it (whatever the case).
    pub email: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

pub(crate) fn client(req: &HttpRequest, state: &AppState) -> ClientInfo {
    ClientInfo {
        ip: client_ip(req, state.settings.trust_forwarded_for),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(200).collect()),
    }
}

/// Create an account and a session.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest, responses(
    (status = 201, body = TokensDto), (status = 400, body = ErrorBody), (status = 409, description = "username_taken or email_taken", body = ErrorBody),
    (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<RegisterRequest>,
) -> Result<HttpResponse, Error> {
    let client = client(&req, &state);
    limits::check_address(&state, limits::auth(&state), &client.ip).await?;
    let b = body.0;
    let input = Registration::parse(&b.username, &b.password, b.display_name.as_deref(), b.email.as_deref())?;
    let tokens = domain::register(&state, input, client).await?;
    Ok(respond(StatusCode::CREATED, &tokens))
}

/// Log in with username and password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokensDto),
    (status = 202, description = "the password is right; two-factor authentication is on: finish with /auth/login/second-factor", body = SecondFactorDto),
    (status = 400, body = ErrorBody), (status = 401, description = "invalid_credentials", body = ErrorBody),
    (status = 403, description = "account_suspended", body = ErrorBody), (status = 422, body = ErrorBody),
    (status = 429, description = "rate_limited: attempts from this address (an IPv6 /64), or this account's failed logins (LOGIN_FAILURES_PER_ACCOUNT per 15 minutes)", body = ErrorBody)))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, Error> {
    let client = client(&req, &state);
    limits::check_address(&state, limits::auth(&state), &client.ip).await?;
    match domain::login(&state, &body.0.username, &body.0.password, client).await? {
        LoginOutcome::Tokens(tokens) => Ok(respond(StatusCode::OK, &tokens)),
        LoginOutcome::SecondFactor(next) => Ok(respond(StatusCode::ACCEPTED, &next)),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct SecondFactorRequest {
    /// From the 202 answer of `POST /auth/login`.
    pub mfa_token: String,
    /// The 6 digits the authenticator app shows ...
    pub code: Option<String>,
    /// ... or one of the recovery codes (each works once).
    pub recovery_code: Option<String>,
}

/// Second step of a login with two-factor authentication.
#[utoipa::path(post, path = "/api/auth/login/second-factor", tag = "auth", request_body = SecondFactorRequest, responses(
    (status = 200, body = TokensDto),
    (status = 401, description = "invalid_code, invalid_mfa_token or mfa_token_expired", body = ErrorBody),
    (status = 403, description = "account_suspended", body = ErrorBody), (status = 422, body = ErrorBody),
    (status = 429, body = ErrorBody)))]
#[post("/auth/login/second-factor")]
pub async fn second_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<SecondFactorRequest>,
) -> Result<HttpResponse, Error> {
    let client = client(&req, &state);
    limits::check_address(&state, limits::auth(&state), &client.ip).await?;
    let b = body.0;
    let proof = Proof::parse(b.code, b.recovery_code)?;
    let tokens = two_factor::finish_login(&state, &b.mfa_token, proof, client).await?;
    Ok(respond(StatusCode::OK, &tokens))
}

/// Exchange a refresh token for new tokens (the presented one is spent).
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = TokensDto), (status = 400, body = ErrorBody),
    (status = 401, description = "invalid_refresh_token, or refresh_token_reused (the session is revoked)", body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, Error> {
    let tokens = domain::refresh(&state, body.0.refresh_token, client(&req, &state)).await?;
    Ok(respond(StatusCode::OK, &tokens))
}

/// End the session of this refresh token: its tokens stop working and its sockets close (4001).
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", request_body = RefreshRequest, responses(
    (status = 204), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, body: Json<RefreshRequest>) -> Result<HttpResponse, Error> {
    domain::logout(&state, body.0.refresh_token).await?;
    Ok(no_content())
}

/// A single-use ticket for `GET /ws?ticket=…` (valid 30 s), good only while this session lasts;
/// `WS_TICKETS_PER_MIN` per user (429 `rate_limited` beyond).
#[utoipa::path(post, path = "/api/auth/ws-ticket", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = WsTicketDto), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/ws-ticket")]
pub async fn ws_ticket(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    limits::check(&state, limits::ws_ticket(&state), user.id.to_string()).await?;
    // The ticket names the session and the token version, so a socket cannot be opened with it
    // once that device is signed out (or every session ended), and signing out closes its sockets.
    let id = user
        .session
        .ok_or_else(|| Error::unauthorized(ErrorCode::InvalidToken, "this access token names no session"))?;
    let session = SessionRef { version: user.version, id: Some(id) };
    let ticket = state.keys.issue_for(user.id, AUD_WS, WS_TICKET_TTL_SECS, session);
    Ok(respond(StatusCode::OK, &WsTicketDto { ticket, expires_in: WS_TICKET_TTL_SECS }))
}
