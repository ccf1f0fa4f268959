//! `AuthUser`: the extractor every protected route takes. A valid access token (HS256, aud
//! `chat-api`, iss and exp checked) in `Authorization: Bearer …` whose token version is still
//! current (see [`crate::token_gate`]), else 401 JSON.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use shared::auth::{Claims, TokenError, AUD_API};
use shared::error::ErrorCode;
use shared::Error;

use crate::state::AppState;
use shared::ids::UserId;
use shared::token_gate;

#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: UserId,
    /// The session (refresh-token family) the access token was issued to.
    pub session: Option<uuid::Uuid>,
    /// The user's token version the access token carries (current: it was just checked).
    pub version: i32,
}

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let checked = state_of(req).and_then(|state| verify(req, &state).map(|claims| (state, claims)));
        Box::pin(async move {
            let (state, (id, version, session)) = checked?;
            let (cache, pool) = (state.cache.clone(), state.pool.clone());
            let current = shared::telemetry::spawn_blocking(move || token_gate::accepts(&cache, &pool, id, version))
                .await
                .map_err(|e| Error::internal(anyhow::anyhow!("token check task: {e}")))??;
            if current {
                tracing::Span::current().record("user_id", id.0);
                Ok(AuthUser { id, session, version })
            } else {
                Err(Error::unauthorized(ErrorCode::SessionRevoked, "this session has ended; log in again"))
            }
        })
    }
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, Error> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| Error::internal(anyhow::anyhow!("AppState missing")))
}

/// (user id, token version, session) of a well-formed, signed, unexpired access token.
fn verify(req: &HttpRequest, state: &AppState) -> Result<(UserId, i32, Option<uuid::Uuid>), Error> {
    let header =
        req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            Error::unauthorized(ErrorCode::MissingToken, "an access token is required (Authorization: Bearer …)")
        })?;
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).ok_or_else(|| {
        Error::unauthorized(ErrorCode::InvalidToken, "the Authorization header must be 'Bearer <token>'")
    })?;
    match state.keys.verify(token.trim(), AUD_API) {
        Ok(claims @ Claims { ver, sid, .. }) => claims
            .user_id()
            .map(|id| (id, ver, sid))
            .ok_or_else(|| Error::unauthorized(ErrorCode::InvalidToken, "the access token is invalid")),
        Err(TokenError::Expired) => {
            Err(Error::unauthorized(ErrorCode::TokenExpired, "the access token has expired; refresh it"))
        }
        Err(TokenError::Invalid) => Err(Error::unauthorized(ErrorCode::InvalidToken, "the access token is invalid")),
    }
}
