//! Account email: `PUT /me/email`, `POST /me/email/verification`, `POST /auth/email/verify`,
//! `POST /auth/password/forgot`, `POST /auth/password/reset`. Rules in `domain::email`.

use actix_web::http::StatusCode;
use actix_web::{post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use shared::api::MeDto;
use shared::error::ErrorBody;
use shared::ratelimit::Limit;
use shared::{auth as tokens, Error};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::email;
use crate::domain::validate::{Checks, Email, Password};
use crate::http::{client_ip, no_content, respond, Json};
use crate::limits;
use crate::state::AppState;

/// Mails (verification or reset) to one address per hour, whoever asks: nobody can flood an
/// inbox through us.
pub const MAILS_PER_ADDRESS_PER_HOUR: u64 = 5;

fn per_address() -> Limit {
    Limit { name: "mail_addr", max: MAILS_PER_ADDRESS_PER_HOUR, window_secs: 3600 }
}

/// Counts one mail to `address` (keyed by a hash: addresses never reach Memcached keys).
async fn limit_address(state: &AppState, address: &str) -> Result<(), Error> {
    limits::check(state, per_address(), tokens::hash_token(&address.to_lowercase())).await
}

fn parse_email(raw: &str) -> Result<Email, Error> {
    let mut checks = Checks::default();
    let email = checks.check(Email::parse(raw));
    checks.finish()?;
    email.ok_or_else(|| Error::internal(anyhow::anyhow!("validation passed without a value")))
}

#[derive(Deserialize, ToSchema)]
pub struct ChangeEmailRequest {
    pub email: String,
    /// The current password.
    pub password: String,
}

/// Set or change my address; it is unverified until the link mailed to it is opened.
#[utoipa::path(put, path = "/api/me/email", tag = "users", security(("bearer" = [])), request_body = ChangeEmailRequest,
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody),
    (status = 403, description = "invalid_password", body = ErrorBody), (status = 409, description = "email_taken", body = ErrorBody),
    (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[put("/me/email")]
pub async fn change(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<ChangeEmailRequest>,
) -> Result<HttpResponse, Error> {
    let b = body.0;
    let address = parse_email(&b.email)?;
    limits::check(&state, limits::auth(&state), format!("user:{}", user.id)).await?;
    limit_address(&state, address.as_str()).await?;
    let me = email::change(&state, user.id, address, b.password).await?;
    Ok(respond(StatusCode::OK, &me))
}

/// Mail a new verification link to my (unverified) address; older links stop working.
#[utoipa::path(post, path = "/api/me/email/verification", tag = "users", security(("bearer" = [])),
    responses((status = 202, description = "the mail is on its way"), (status = 401, body = ErrorBody),
    (status = 409, description = "no_email or email_already_verified", body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/me/email/verification")]
pub async fn resend(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    if let Some(address) = email::address_of(&state, user.id).await? {
        limit_address(&state, &address).await?;
    }
    email::resend(&state, user.id).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    /// From the link in the mail.
    pub token: String,
}

/// Confirm an address with the token of a verification link (works once, for 24 hours).
#[utoipa::path(post, path = "/api/auth/email/verify", tag = "auth", request_body = TokenRequest,
    responses((status = 204), (status = 400, description = "invalid_token: forged, used, expired, or for an address the account no longer has", body = ErrorBody),
    (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/email/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, Error> {
    limits::check_address(&state, limits::auth(&state), &client_ip(&req, state.settings.trust_forwarded_for)).await?;
    email::verify(&state, body.0.token).await?;
    Ok(no_content())
}

#[derive(Deserialize, ToSchema)]
pub struct ForgotRequest {
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct ForgotAcceptedDto {
    /// The same text whether or not an account has the address.
    pub message: String,
}

/// Ask for a password-reset mail. Always 202 with the same body: whether an account has this
/// address is never revealed. Only verified addresses get the mail.
#[utoipa::path(post, path = "/api/auth/password/forgot", tag = "auth", request_body = ForgotRequest,
    responses((status = 202, body = ForgotAcceptedDto), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/password/forgot")]
pub async fn forgot(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ForgotRequest>,
) -> Result<HttpResponse, Error> {
    limits::check_address(&state, limits::auth(&state), &client_ip(&req, state.settings.trust_forwarded_for)).await?;
    let address = parse_email(&body.0.email)?;
    limit_address(&state, address.as_str()).await?;
    email::forgot(&state, address);
    let message = "If an account has this verified address, a link to reset its password is on its way.".to_owned();
    Ok(respond(StatusCode::ACCEPTED, &ForgotAcceptedDto { message }))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    /// From the link in the mail.
    pub token: String,
    /// The new password: 8-128 characters.
    pub password: String,
}

/// Set a new password with the token of a reset link (works once, for 1 hour). Every device of
/// the account is signed out (refresh tokens revoked, access tokens refused, sockets closed).
#[utoipa::path(post, path = "/api/auth/password/reset", tag = "auth", request_body = ResetRequest,
    responses((status = 204), (status = 400, description = "invalid_token: forged, used or expired", body = ErrorBody),
    (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/password/reset")]
pub async fn reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ResetRequest>,
) -> Result<HttpResponse, Error> {
    limits::check_address(&state, limits::auth(&state), &client_ip(&req, state.settings.trust_forwarded_for)).await?;
    let b = body.0;
    let mut checks = Checks::default();
    let password = checks.check(Password::parse(&b.password));
    checks.finish()?;
    let password = password.ok_or_else(|| Error::internal(anyhow::anyhow!("validation passed without a value")))?;
    email::reset(&state, b.token, password).await?;
    Ok(no_content())
}
