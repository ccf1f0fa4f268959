//! `/api/admin`: administrators only (403 `admin_only` for everyone else, before anything
//! about the named resource is looked up).

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use shared::api::{AdminUserDto, ReportDto};
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::admin::{self, AbuseFlagsPage, AdminUsersPage};
use crate::domain::overview::{self as overview_domain, AdminOverview};
use crate::domain::reports::{self, Decision, ReportFilter, ReportsPage};
use crate::http::{respond, Json};
use crate::state::AppState;
use shared::ids::{AbuseFlagId, ReportId, UserId};

#[derive(Deserialize, IntoParams)]
pub struct UsersQuery {
    /// Username prefix.
    pub q: Option<String>,
    /// Only suspended accounts.
    #[serde(default)]
    pub suspended: bool,
    /// `next_after` of the previous page.
    #[param(value_type = Option<i64>)]
    pub after: Option<UserId>,
    /// 1-100, default 50.
    pub limit: Option<i64>,
}

/// Every account, by id, with role and suspension.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin", security(("bearer" = [])), params(UsersQuery),
    responses((status = 200, body = AdminUsersPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[get("/admin/users")]
pub async fn users(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, Error> {
    let q = query.into_inner();
    let page =
        db::run(&state.pool, move |conn| admin::users(conn, user.id, q.q.as_deref(), q.suspended, q.after, q.limit))
            .await?;
    Ok(respond(StatusCode::OK, &page))
}

#[derive(Deserialize, ToSchema)]
pub struct SuspendRequest {
    /// Why (1-500 characters); kept for the other administrators.
    pub reason: String,
}

/// Suspend an account: its logins are refused, and its sessions and sockets end at once.
#[utoipa::path(post, path = "/api/admin/users/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = SuspendRequest,
    responses((status = 200, body = AdminUserDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/admin/users/{id}/suspend")]
pub async fn suspend(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<UserId>,
    body: Json<SuspendRequest>,
) -> Result<HttpResponse, Error> {
    let (target, reason, cache) = (id.into_inner(), body.0.reason, state.cache.clone());
    let dto = state.write(move |conn| admin::suspend(conn, &cache, user.id, target, &reason)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Lift a suspension: the user may log in again.
#[utoipa::path(post, path = "/api/admin/users/{id}/unsuspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = AdminUserDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
#[post("/admin/users/{id}/unsuspend")]
pub async fn unsuspend(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<UserId>,
) -> Result<HttpResponse, Error> {
    let target = id.into_inner();
    let dto = db::run(&state.pool, move |conn| admin::unsuspend(conn, user.id, target)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

#[derive(Deserialize, IntoParams)]
pub struct ReportsQuery {
    /// open (default) | resolved | all
    pub status: Option<ReportFilter>,
    /// `next_after` of the previous page.
    #[param(value_type = Option<i64>)]
    pub after: Option<ReportId>,
    /// 1-100, default 50.
    pub limit: Option<i64>,
}

/// The reports queue, oldest first, with each message, its sender and the reporter.
#[utoipa::path(get, path = "/api/admin/reports", tag = "admin", security(("bearer" = [])), params(ReportsQuery),
    responses((status = 200, body = ReportsPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[get("/admin/reports")]
pub async fn list_reports(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ReportsQuery>,
) -> Result<HttpResponse, Error> {
    let q = query.into_inner();
    let page = db::run(&state.pool, move |conn| reports::list(conn, user.id, q.status, q.after, q.limit)).await?;
    Ok(respond(StatusCode::OK, &page))
}

#[derive(Deserialize, ToSchema)]
pub struct ResolveRequest {
    pub decision: Decision,
}

/// Decide a report: dismiss it, delete the message, or delete it and suspend its sender.
/// Every open report of the same message is resolved with it.
#[utoipa::path(post, path = "/api/admin/reports/{id}/resolve", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ResolveRequest,
    responses((status = 200, body = ReportDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/admin/reports/{id}/resolve")]
pub async fn resolve_report(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ReportId>,
    body: Json<ResolveRequest>,
) -> Result<HttpResponse, Error> {
    let (report, decision, cache) = (id.into_inner(), body.0.decision, state.cache.clone());
    let dto = state.write(move |conn| reports::resolve(conn, &cache, user.id, report, decision)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

#[derive(Deserialize, IntoParams)]
pub struct FlagsQuery {
    /// `next_before` of the previous page.
    #[param(value_type = Option<i64>)]
    pub before: Option<AbuseFlagId>,
    /// 1-100, default 50.
    pub limit: Option<i64>,
}

/// Accounts flood control paused (repeated texts, too many new chats), newest first.
#[utoipa::path(get, path = "/api/admin/flags", tag = "admin", security(("bearer" = [])), params(FlagsQuery),
    responses((status = 200, body = AbuseFlagsPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[get("/admin/flags")]
pub async fn abuse_flags(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<FlagsQuery>,
) -> Result<HttpResponse, Error> {
    let q = query.into_inner();
    let page = db::run(&state.pool, move |conn| admin::abuse_flags(conn, user.id, q.before, q.limit)).await?;
    Ok(respond(StatusCode::OK, &page))
}

/// The overview: users (total, active today and this week), messages per day over the last 30
/// days, storage used by media, open reports and flood flags, and the health of this
/// api-server and of every `CLUSTER_NODES` entry (their `/readyz` and `/metrics`, 2 s each).
#[utoipa::path(get, path = "/api/admin/overview", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = AdminOverview), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/admin/overview")]
pub async fn overview(
    state: web::Data<AppState>,
    user: AuthUser,
    handle: web::Data<metrics_exporter_prometheus::PrometheusHandle>,
) -> Result<HttpResponse, Error> {
    let quota = state.settings.media_quota_bytes_per_user;
    let mut dto = db::run(&state.pool, move |conn| overview_domain::counts(conn, user.id, quota)).await?;
    let own = &state.settings.node_id;
    let ((_, ready), others) = tokio::join!(
        shared::readiness::check(&state.pool, &state.cache, state.broker.is_up(), false),
        overview_domain::cluster_nodes(&state.settings.cluster_nodes, own),
    );
    dto.nodes.push(overview_domain::node_health(own, Some(&ready), &handle.render(), true));
    dto.nodes.extend(others);
    Ok(respond(StatusCode::OK, &dto))
}
