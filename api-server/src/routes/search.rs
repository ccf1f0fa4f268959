//! `/api/search`: full-text search over my messages.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use shared::error::ErrorBody;
use shared::{db, Error};

use crate::auth::AuthUser;
use crate::domain::search::{self, SearchInput, SearchPage};
use crate::http::respond;
use crate::limits;
use crate::state::AppState;

/// Messages I can see (member, not cleared, not deleted) matching `q`, newest first, with
/// highlighted snippets.
#[utoipa::path(get, path = "/api/search", tag = "messages", security(("bearer" = [])), params(SearchInput), responses(
    (status = 200, body = SearchPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
    (status = 429, description = "rate_limited (searches per user)", body = ErrorBody)))]
#[get("/search")]
pub async fn find(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<SearchInput>,
) -> Result<HttpResponse, Error> {
    limits::check(&state, limits::search(&state), user.id.to_string()).await?;
    let input = query.into_inner();
    let page = db::run(&state.pool, move |conn| search::search(conn, user.id, input)).await?;
    Ok(respond(StatusCode::OK, &page))
}
