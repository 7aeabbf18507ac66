//! The error policy, in one place.
//!
//! - Services return `ServiceError` (`service_error.rs`), which knows nothing of HTTP; handlers,
//!   pages and extractors return `Result<_, AppError>`, and `From<ServiceError>` below is the one
//!   mapping from a service's refusal to a status code.
//! - Every error leaves as `{"error": {"code", "message", "field"}}`. `message` is written for the
//!   user; the detail of an internal error goes to the log only, once, with the request id, and
//!   never contains answers, names or contact details (we log error kinds, not values).
//! - Not found → 404, unique violation → 409, pool timeout → 503, validation → 422 naming the
//!   field, malformed body → 400 naming the field.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::service_error::ServiceError;

/// An error a handler can return; converts to the JSON error body with the right status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in first: send a session cookie or an `Authorization: Bearer` token")]
    Unauthenticated,
    #[error("the e-mail or password is wrong, or the account is disabled")]
    InvalidCredentials,
    #[error("this account signs in with a code from its authenticator app too: send it as `code`")]
    CodeRequired,
    #[error("the code is wrong, or was used already; wait for the next one or use a recovery code")]
    InvalidCode,
    #[error("the request body is too large")]
    TooLarge,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{message}")]
    BadRequest { field: Option<String>, message: String },
    #[error("this address does not take that method; it takes {}", allow.join(", "))]
    MethodNotAllowed { allow: Vec<&'static str> },
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the database is busy; try again shortly")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The JSON error body every endpoint uses.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable machine-readable code, a sentence for people, and the field at fault.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    /// A 422 naming the field and the problem.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::validation(field, message).into()
    }

    /// A 403 with a code that says which rule refused the request.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::forbidden(code, message).into()
    }

    /// A 409 with a code that says which state prevented the change.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::conflict(code, message).into()
    }

    fn code(&self) -> &str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::CodeRequired => "two_factor_code_required",
            Self::InvalidCode => "invalid_code",
            Self::TooLarge => "payload_too_large",
            Self::Forbidden { code, .. } | Self::Conflict { code, .. } => code,
            Self::NotFound(_) => "not_found",
            Self::Validation { .. } => "validation_failed",
            Self::BadRequest { .. } => "bad_request",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            Self::Validation { field, .. } => Some(field.clone()),
            Self::BadRequest { field, .. } => field.clone(),
            _ => None,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials | Self::CodeRequired | Self::InvalidCode => {
                StatusCode::UNAUTHORIZED
            }
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(source) = self {
            // Logged here and only here; the chain names error kinds, not clinical values.
            tracing::error!(error.kind = "internal", error.detail = %format!("{source:#}"), "request failed");
        }
        let mut resp = HttpResponse::build(self.status_code());
        if let Self::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            resp.insert_header((header::RETRY_AFTER, v));
        }
        if let Self::MethodNotAllowed { allow } = self
            && let Ok(v) = HeaderValue::from_str(&allow.join(", "))
        {
            resp.insert_header((header::ALLOW, v));
        }
        if matches!(self, Self::Unauthenticated) {
            resp.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        resp.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                field: self.field(),
            },
        })
    }
}

impl From<ServiceError> for AppError {
    /// The one place a service's refusal becomes an HTTP error: each kind keeps its code and status.
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => Self::NotFound(what),
            ServiceError::Conflict { code, message } => Self::Conflict { code, message },
            ServiceError::Validation { field, message } => Self::Validation { field, message },
            ServiceError::Forbidden { code, message } => Self::Forbidden { code, message },
            ServiceError::TooManyRequests { retry_after_secs } => Self::TooManyRequests { retry_after_secs },
            ServiceError::Unavailable => Self::Unavailable,
            ServiceError::Internal(source) => Self::Internal(source),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<r2d2::Error> for AppError {
    fn from(_: r2d2::Error) -> Self {
        Self::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        Self::Unavailable
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_become_409_conflicts() {
        let e = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new(String::from("dup")),
        );
        assert_eq!(AppError::from(e).status_code(), StatusCode::CONFLICT);
    }

    #[test]
    fn validation_errors_name_their_field() {
        let e = AppError::validation("email", "must contain @");
        assert_eq!(e.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.field().as_deref(), Some("email"));
    }
}
