//! The error every service returns: what went wrong in the trial's terms, with no notion of HTTP.
//!
//! Services (everything but the edge files listed in `docs/ARCHITECTURE.md`) return
//! `Result<_, ServiceError>`. The edge turns it into a status code and the JSON error body once,
//! in `impl From<ServiceError> for AppError` (`error.rs`); the CLI prints its message. The codes
//! in `Conflict` and `Forbidden` are part of the API: `docs/errors.md` lists them all and a test
//! keeps that catalogue and the code in step.

/// What a service refuses, or what failed underneath it.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The thing named does not exist, or the caller may not know that it does.
    #[error("{0} not found")]
    NotFound(String),
    /// The trial's state does not allow the change; `code` says which rule.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A value the caller gave is not acceptable; `field` names it.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// The caller may not do this, for a reason beyond their role; `code` says which rule.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// Too many attempts in a short time (the sign-in throttle).
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    /// The database could not be reached in time.
    #[error("the database is busy; try again shortly")]
    Unavailable,
    /// A fault that is ours, not the caller's; the detail is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What services return.
pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    /// A refused value, naming the field and the problem.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation { field: field.into(), message: message.into() }
    }

    /// A refusal with a code that says which rule refused the request.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden { code, message: message.into() }
    }

    /// A refusal with a code that says which state prevented the change.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound("record".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict("already_exists", "a record with these values already exists")
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<r2d2::Error> for ServiceError {
    fn from(_: r2d2::Error) -> Self {
        Self::Unavailable
    }
}

impl From<anyhow::Error> for ServiceError {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_become_already_exists_conflicts() {
        let e = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new(String::from("dup")),
        );
        assert!(matches!(ServiceError::from(e), ServiceError::Conflict { code: "already_exists", .. }));
    }

    #[test]
    fn a_missing_row_is_not_found() {
        assert!(matches!(ServiceError::from(diesel::result::Error::NotFound), ServiceError::NotFound(_)));
    }
}
