//! Liveness, readiness and metrics.

use actix_web::{get, web, HttpResponse};
use shared::readiness;

use crate::openapi::Document;
use crate::state::AppState;

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    shared::web::healthz()
}

/// Each dependency, up or down. 503 when PostgreSQL is down (nothing works without it);
/// RabbitMQ down (sends are kept in the outbox) or Memcached down make it `degraded`, 200.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, description = "ready or degraded"),
    (status = 503, description = "PostgreSQL is down")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    shared::web::readiness(readiness::check(&state.pool, &state.cache, state.broker.is_up(), false).await)
}

#[get("/metrics")]
pub async fn metrics(handle: web::Data<metrics_exporter_prometheus::PrometheusHandle>) -> HttpResponse {
    shared::web::metrics(&handle)
}

/// The OpenAPI document (not itself listed in it).
#[get("/openapi.json")]
pub async fn openapi_json(document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok().json(&document.0)
}
