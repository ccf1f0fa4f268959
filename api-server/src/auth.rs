//! `AuthUser`: the extractor every protected route takes. A valid access token (HS256, aud
//! `chat-api`, iss and exp checked) in `Authorization: Bearer …`, else 401 JSON.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};
use shared::auth::{TokenError, AUD_API};
use shared::Error;

use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: i64,
}

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, Error> {
    let state =
        req.app_data::<web::Data<AppState>>().ok_or_else(|| Error::internal(anyhow::anyhow!("AppState missing")))?;
    let header =
        req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            Error::unauthorized("missing_token", "an access token is required (Authorization: Bearer …)")
        })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| Error::unauthorized("invalid_token", "the Authorization header must be 'Bearer <token>'"))?;
    match state.keys.verify(token.trim(), AUD_API) {
        Ok(claims) => claims
            .user_id()
            .map(|id| AuthUser { id })
            .ok_or_else(|| Error::unauthorized("invalid_token", "the access token is invalid")),
        Err(TokenError::Expired) => {
            Err(Error::unauthorized("token_expired", "the access token has expired; refresh it"))
        }
        Err(TokenError::Invalid) => Err(Error::unauthorized("invalid_token", "the access token is invalid")),
    }
}
