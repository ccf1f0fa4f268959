//! `/api/me/2fa`: turn two-factor authentication (TOTP) on and off.

use actix_web::http::StatusCode;
use actix_web::{delete, post, web, HttpResponse};
use serde::Deserialize;
use shared::api::{EnrolmentDto, RecoveryCodesDto};
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::two_factor::{self, Owner, Proof};
use crate::http::{no_content, respond, Json};
use crate::state::AppState;

/// Start an enrolment: a new secret to add to an authenticator app (scan `otpauth_uri` as a
/// QR code). Nothing changes for logins until it is confirmed.
#[utoipa::path(post, path = "/api/me/2fa", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = EnrolmentDto), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/me/2fa")]
pub async fn enrol(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let dto = db::run(&state.pool, move |conn| two_factor::enrol(conn, user.id)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

#[derive(Deserialize, ToSchema)]
pub struct ConfirmRequest {
    /// The code the app shows now.
    pub code: String,
    /// The account's password (an account without one: omit it, and sign in at most 5 minutes
    /// before).
    pub password: Option<String>,
}

/// Turn it on with a first code and the password; answers ten recovery codes, shown this once.
#[utoipa::path(post, path = "/api/me/2fa/confirm", tag = "users", security(("bearer" = [])), request_body = ConfirmRequest,
    responses((status = 200, body = RecoveryCodesDto), (status = 401, body = ErrorBody),
    (status = 403, description = "invalid_password, or recent_sign_in_required (an account without a password)", body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/me/2fa/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<ConfirmRequest>,
) -> Result<HttpResponse, Error> {
    let b = body.0;
    let owner = Owner { id: user.id, session: user.session, password: b.password };
    let dto = two_factor::confirm(&state, owner, b.code).await?;
    Ok(respond(StatusCode::OK, &dto))
}

#[derive(Deserialize, ToSchema)]
pub struct DisableRequest {
    pub code: Option<String>,
    pub recovery_code: Option<String>,
    /// The account's password (an account without one: omit it, and sign in at most 5 minutes
    /// before).
    pub password: Option<String>,
}

/// Turn it off; needs the password and a current code or a recovery code.
#[utoipa::path(delete, path = "/api/me/2fa", tag = "users", security(("bearer" = [])), request_body = DisableRequest,
    responses((status = 204), (status = 401, body = ErrorBody),
    (status = 403, description = "invalid_password, or recent_sign_in_required (an account without a password)", body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[delete("/me/2fa")]
pub async fn disable(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<DisableRequest>,
) -> Result<HttpResponse, Error> {
    let b = body.0;
    let proof = Proof::parse(b.code, b.recovery_code)?;
    let owner = Owner { id: user.id, session: user.session, password: b.password };
    two_factor::disable(&state, owner, proof).await?;
    Ok(no_content())
}
