//! HTTP plumbing shared by every route: request ids, access log and metrics, the JSON body
//! extractor with uniform errors, and JSON bodies for the errors actix produces itself.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use shared::error::ErrorCode;
use shared::error::{Error, Kind};
use tracing::Instrument;

/// Largest JSON request body.
pub const JSON_LIMIT: usize = 64 * 1024;

/// The request id of this request (from nginx's X-Request-Id when well-formed, else new).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Request id, span (every log line of the request carries `request_id`), access log, metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    // `user_id` is filled in by `AuthUser` once the token is checked.
    let span = tracing::info_span!("request", request_id = %request_id, user_id = tracing::field::Empty);
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let elapsed = started.elapsed();
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16();
    metrics::counter!(shared::metrics::HTTP_REQUESTS, "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(shared::metrics::HTTP_DURATION, "route" => route).record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(method, path, status, duration_ms = elapsed.as_secs_f64() * 1000.0, "request");
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(header::HeaderName::from_static("x-request-id"), v);
    }
    Ok(res)
}

/// Gives a JSON error body to the error responses actix builds itself (unknown route, wrong
/// method, oversized payload...), so every error a client sees has the same shape.
pub fn json_error_body<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status.as_u16() {
        404 => Error::not_found(ErrorCode::RouteNotFound, "no such route"),
        405 => Error::new(Kind::BadRequest, ErrorCode::MethodNotAllowed, "method not allowed on this route"),
        413 => Error::new(Kind::PayloadTooLarge, ErrorCode::PayloadTooLarge, "request body too large"),
        400..=499 => Error::new(
            Kind::BadRequest,
            ErrorCode::BadRequest,
            status.canonical_reason().unwrap_or("bad request").to_lowercase(),
        ),
        _ => Error::new(Kind::Internal, ErrorCode::Internal, "internal server error"),
    };
    let response = HttpResponse::build(status).insert_header((header::CACHE_CONTROL, "no-store")).json(error.body());
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

/// A JSON request body: 415 without `Content-Type: application/json`, 413 over [`JSON_LIMIT`],
/// 400 `malformed_json` for bad syntax or bytes, 422 `validation_failed` naming the field for
/// missing fields or wrong types.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(Error::new(
                    Kind::UnsupportedMediaType,
                    ErrorCode::UnsupportedMediaType,
                    "expected Content-Type: application/json",
                ));
            }
            if declared_len.is_some_and(|n| n > JSON_LIMIT) {
                return Err(too_large());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|_| Error::bad_request(ErrorCode::BadBody, "the request body could not be read"))?;
                if body.len() + chunk.len() > JSON_LIMIT {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(Json)
        })
    }
}

fn too_large() -> Error {
    Error::new(
        Kind::PayloadTooLarge,
        ErrorCode::PayloadTooLarge,
        format!("request body larger than {JSON_LIMIT} bytes"),
    )
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    use serde_json::error::Category;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                // serde's message without its "at line x column y" position.
                let message = inner.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
                Error::invalid(&field, message)
            }
            _ => Error::bad_request(ErrorCode::MalformedJson, "the request body is not valid JSON"),
        }
    })?;
    de.end().map_err(|_| Error::bad_request(ErrorCode::MalformedJson, "the request body is not valid JSON"))?;
    Ok(value)
}

/// Query-string errors: 400 with the reason.
pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let message = err.to_string();
    Error::bad_request(ErrorCode::InvalidQuery, message.replace("Query deserialize error: ", "")).into()
}

/// A path segment of the wrong shape (e.g. `/conversations/abc`) names nothing: 404.
pub fn path_error(_err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    Error::not_found(ErrorCode::NotFound, "not found").into()
}

/// The client's IP: the proxy's X-Forwarded-For / X-Real-IP when the peer is a trusted local
/// proxy (loopback or private address) and forwarding is trusted, else the peer address.
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let peer_is_proxy = peer.is_some_and(|ip| match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => v6.is_loopback(),
    });
    if trust_forwarded_for && peer_is_proxy {
        let forwarded = req
            .headers()
            .get("x-real-ip")
            .or_else(|| req.headers().get("x-forwarded-for"))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    peer.map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into())
}

/// Turns a `Result` from a domain function into a response with the given status.
pub fn respond<T: serde::Serialize>(status: actix_web::http::StatusCode, body: &T) -> HttpResponse<BoxBody> {
    HttpResponse::build(status).insert_header((header::CACHE_CONTROL, "no-store")).json(body)
}

/// 204 No Content.
pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// `Error` as an actix response, for places that build responses by hand.
pub fn error_response(e: &Error) -> HttpResponse {
    e.error_response()
}

/// For `PATCH` bodies: absent -> `None`, `null` -> `Some(None)`, value -> `Some(Some(v))`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
    }

    #[test]
    fn json_errors_are_classified() {
        assert_eq!(parse_json::<Body>(br#"{"name":"a","count":1}"#).map(|b| b.count).ok(), Some(1));
        let syntax = parse_json::<Body>(b"{\"name\":").expect_err("eof");
        assert_eq!((syntax.status(), syntax.code.as_str()), (400, "malformed_json"));
        let bytes = parse_json::<Body>(b"{\"name\":\"\xff\",\"count\":1}").expect_err("invalid utf-8");
        assert_eq!(bytes.status(), 400);
        let wrong = parse_json::<Body>(br#"{"name":"a","count":"x"}"#).expect_err("wrong type");
        assert_eq!((wrong.status(), wrong.fields[0].field.as_str()), (422, "count"));
        let missing = parse_json::<Body>(br#"{"name":"a"}"#).expect_err("missing");
        assert_eq!(missing.status(), 422);
        let trailing = parse_json::<Body>(br#"{"name":"a","count":1} x"#).expect_err("trailing");
        assert_eq!(trailing.status(), 400);
    }
}
