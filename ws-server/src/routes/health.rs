//! Liveness, readiness and metrics.

use actix_web::{get, web, HttpResponse};
use shared::readiness;

use crate::state::AppState;

#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    shared::web::healthz()
}

/// 503 when PostgreSQL (membership checks) or RabbitMQ (delivery) is down; Memcached down only
/// degrades presence.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    shared::web::readiness(readiness::check(&state.pool, &state.cache, state.broker.is_up(), true).await)
}

#[get("/metrics")]
pub async fn metrics(handle: web::Data<metrics_exporter_prometheus::PrometheusHandle>) -> HttpResponse {
    shared::web::metrics(&handle)
}
