//! The one application error. Its `code` is the API contract; `kind` picks the HTTP status
//! (in exactly one place, [`Kind::status`]); the cause of a 5xx is logged, never sent.
//!
//! Body: `{"error":{"code":"…","message":"…","fields":[{"field":"…","message":"…"}]}}`.

use serde::Serialize;

pub use crate::error_code::ErrorCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Gone,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation,
    RateLimited,
    Unavailable,
    Internal,
}

impl Kind {
    pub fn status(self) -> u16 {
        match self {
            Kind::BadRequest => 400,
            Kind::Unauthorized => 401,
            Kind::Forbidden => 403,
            Kind::NotFound => 404,
            Kind::Conflict => 409,
            Kind::Gone => 410,
            Kind::PayloadTooLarge => 413,
            Kind::UnsupportedMediaType => 415,
            Kind::Validation => 422,
            Kind::RateLimited => 429,
            Kind::Internal => 500,
            Kind::Unavailable => 503,
        }
    }
}

/// One failing input field of a 422.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub kind: Kind,
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldError>,
    /// Seconds, for 429 (and 503 when known).
    pub retry_after: Option<u64>,
    #[source]
    pub source: Option<anyhow::Error>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The JSON error body, also used by the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `conversation_not_found`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl Error {
    pub fn new(kind: Kind, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { kind, code, message: message.into(), fields: Vec::new(), retry_after: None, source: None }
    }
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(Kind::BadRequest, code, message)
    }
    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(Kind::Unauthorized, code, message)
    }
    pub fn forbidden(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, code, message)
    }
    pub fn not_found(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, code, message)
    }
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, code, message)
    }
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", fields.len()),
        };
        Self { fields, ..Self::new(Kind::Validation, ErrorCode::ValidationFailed, message) }
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(Kind::RateLimited, ErrorCode::RateLimited, "too many requests, retry later")
        }
    }
    pub fn unavailable(code: ErrorCode, message: impl Into<String>, source: impl Into<anyhow::Error>) -> Self {
        Self { retry_after: Some(2), source: Some(source.into()), ..Self::new(Kind::Unavailable, code, message) }
    }
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self { source: Some(source.into()), ..Self::new(Kind::Internal, ErrorCode::Internal, "internal server error") }
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_owned(),
                message: self.message.clone(),
                fields: self.fields.clone(),
            },
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match e {
            D::NotFound => Error::not_found(ErrorCode::NotFound, "not found"),
            // A connection that broke under the query (or could not send it): the database is
            // away, not the row.
            D::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                Error::unavailable(ErrorCode::DatabaseUnavailable, "the database is unavailable, retry shortly", e)
            }
            D::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Error::unavailable(ErrorCode::ConflictRetry, "the request conflicted with another, retry it", e)
            }
            other => Error::internal(other),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Self {
        Error::unavailable(ErrorCode::DatabaseUnavailable, "the database is unavailable, retry shortly", e)
    }
}

#[cfg(feature = "http")]
mod http {
    use actix_web::http::{header, StatusCode};
    use actix_web::{HttpResponse, ResponseError};

    use super::{Error, Kind};

    impl ResponseError for Error {
        fn status_code(&self) -> StatusCode {
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }

        fn error_response(&self) -> HttpResponse {
            if matches!(self.kind, Kind::Internal | Kind::Unavailable) {
                let cause = self.source.as_ref().map(|e| format!("{e:#}")).unwrap_or_default();
                tracing::error!(code = %self.code, error = %cause, "request failed");
            }
            let mut response = HttpResponse::build(self.status_code());
            if let Some(secs) = self.retry_after {
                response.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            response.insert_header((header::CACHE_CONTROL, "no-store")).json(self.body())
        }
    }

    impl From<actix_web::error::BlockingError> for Error {
        fn from(e: actix_web::error::BlockingError) -> Self {
            Error::internal(anyhow::anyhow!("blocking task failed: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_stable_code_and_fields() {
        let e = Error::validation(vec![FieldError::new("username", "too short")]);
        assert_eq!(e.status(), 422);
        let json = serde_json::to_value(e.body()).expect("serializes");
        assert_eq!(json["error"]["code"], "validation_failed");
        assert_eq!(json["error"]["fields"][0]["field"], "username");
    }

    #[test]
    fn not_found_from_diesel_is_404() {
        assert_eq!(Error::from(diesel::result::Error::NotFound).status(), 404);
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let e = Error::internal(anyhow::anyhow!("password=hunter2 connection refused"));
        let json = serde_json::to_string(&e.body()).expect("serializes");
        assert!(!json.contains("hunter2"));
        assert_eq!(e.status(), 500);
    }
}
