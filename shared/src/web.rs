//! actix-web responses both servers serve the same way (behind the `http` feature).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use metrics_exporter_prometheus::PrometheusHandle;

/// A `/readyz` answer from [`crate::readiness::check`].
pub fn readiness((code, body): (u16, serde_json::Value)) -> HttpResponse {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    HttpResponse::build(status).insert_header(("Cache-Control", "no-store")).json(body)
}

/// The Prometheus text exposition.
pub fn metrics(handle: &PrometheusHandle) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(handle.render())
}

pub fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}
