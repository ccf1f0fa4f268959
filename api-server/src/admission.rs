//! The `requests` queue of [`shared::admission`]: every `/api/` request takes one of
//! `API_MAX_IN_FLIGHT` places before anything runs for it (token check, rate limit, database);
//! one that finds none within `API_QUEUE_WAIT_MS` is answered 503 `overloaded` at once. Probes
//! (`/healthz`, `/readyz`) and `/metrics` are never refused: an overloaded node must still say
//! so to its operators and load balancer. Uploads pass their own queue instead
//! ([`crate::media::upload_queue`]): one may take tens of seconds.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use crate::state::AppState;

pub async fn admit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let gate = match req.app_data::<web::Data<AppState>>() {
        Some(state) if req.path().starts_with("/api/") && !is_upload(&req) => Some(state.requests.clone()),
        _ => None,
    };
    // Held until the handler has answered.
    let _place = match gate {
        Some(gate) => match gate.enter().await {
            Ok(place) => Some(place),
            Err(refused) => return Ok(req.into_response(refused.error_response()).map_into_right_body()),
        },
        None => None,
    };
    Ok(next.call(req).await?.map_into_left_body())
}

/// `POST /api/media` and `POST /api/avatars/…`: bounded by the upload queue.
fn is_upload(req: &ServiceRequest) -> bool {
    req.method() == actix_web::http::Method::POST
        && (req.path() == "/api/media" || req.path().starts_with("/api/avatars/"))
}
