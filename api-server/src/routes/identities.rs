//! `/api/me/identities`: the sign-in providers linked to my account (list, link, unlink; see
//! `domain::oidc_link`). Linking answers the provider's URL and sets the same state cookie as a
//! sign-in; the web client then navigates there, and the callback lands on
//! `{PUBLIC_URL}/settings?linked=<provider>` or `?link_error=<code>`.

use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, HttpResponse};
use shared::api::{LinkStartDto, LinkedIdentityDto};
use shared::error::ErrorBody;
use shared::{db, Error};

use crate::auth::AuthUser;
use crate::domain::oidc::{self, start_flow};
use crate::domain::oidc_link;
use crate::http::{no_content, respond};
use crate::limits;
use crate::routes::oidc::state_cookie;
use crate::state::AppState;

/// The sign-in providers linked to my account.
#[utoipa::path(get, path = "/api/me/identities", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = [LinkedIdentityDto]), (status = 401, body = ErrorBody)))]
#[get("/me/identities")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let app = state.clone();
    let list = db::run(&state.pool, move |conn| oidc_link::list(conn, &app, user.id)).await?;
    Ok(respond(StatusCode::OK, &list))
}

/// Start linking a provider to my account: where to send the browser (and, as a cookie, the
/// flow's state, exactly as a sign-in's `start`).
#[utoipa::path(post, path = "/api/me/identities/{provider}", tag = "auth", security(("bearer" = [])),
    params(("provider" = String, Path, description = "a name from /api/auth/oidc/providers")),
    responses((status = 200, body = LinkStartDto), (status = 401, body = ErrorBody),
    (status = 404, description = "unknown_provider", body = ErrorBody), (status = 429, body = ErrorBody),
    (status = 503, description = "provider_unavailable", body = ErrorBody)))]
#[post("/me/identities/{provider}")]
pub async fn link(
    state: web::Data<AppState>,
    user: AuthUser,
    provider: web::Path<String>,
) -> Result<HttpResponse, Error> {
    limits::check(&state, limits::oidc(&state), user.id.to_string()).await?;
    oidc::provider(&state, &provider)?;
    let started = start_flow(&state, &provider, None, Some(user.id)).await?;
    let mut res = respond(StatusCode::OK, &LinkStartDto { authorize_url: started.authorize_url });
    let _ = res.add_cookie(&state_cookie(&state, started.state));
    Ok(res)
}

/// Unlink a provider. Never the last way in: without a password, the last provider stays (409).
#[utoipa::path(delete, path = "/api/me/identities/{provider}", tag = "auth", security(("bearer" = [])),
    params(("provider" = String, Path, description = "the provider's name")),
    responses((status = 204), (status = 401, body = ErrorBody),
    (status = 404, description = "identity_not_found", body = ErrorBody),
    (status = 409, description = "last_sign_in_method: no password and no other provider", body = ErrorBody)))]
#[delete("/me/identities/{provider}")]
pub async fn unlink(
    state: web::Data<AppState>,
    user: AuthUser,
    provider: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let provider = provider.into_inner();
    db::run(&state.pool, move |conn| oidc_link::unlink(conn, user.id, &provider)).await?;
    Ok(no_content())
}
