//! The one error type of the application and its stable, machine-readable codes.
//!
//! Clients switch on `code()`; the human message is safe to show. Internal causes are logged with
//! the request id and never sent.
use sea_orm::{DbErr, SqlErr};

pub type AppResult<T> = Result<T, AppError>;

/// Deliberately not `Display`: async-graphql turns any `Display` error into an uncoded one, so
/// without it every conversion goes through `From<AppError>` below and keeps its code.
#[derive(Debug)]
#[non_exhaustive]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    BadUserInput {
        field: String,
        message: String,
    },
    Conflict {
        field: Option<String>,
        message: String,
    },
    InvalidTransition {
        state: String,
        message: String,
    },
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    QueryTooComplex(String),
    Internal(anyhow::Error),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::Conflict { .. } => "CONFLICT",
            AppError::InvalidTransition { .. } => "INVALID_TRANSITION",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The human message, safe to show (internal causes are never in it).
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::QueryTooComplex(m) => m.clone(),
            AppError::BadUserInput { message, .. }
            | AppError::Conflict { message, .. }
            | AppError::InvalidTransition { message, .. }
            | AppError::RateLimited { message, .. } => message.clone(),
            AppError::Internal(_) => "内部错误".to_owned(),
        }
    }

    pub fn unauthenticated() -> Self {
        AppError::Unauthenticated("需要登录".into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    /// A row that does not exist and a row outside the caller's scope look the same.
    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} 不存在或不在您的管辖范围内"))
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> Self {
        AppError::Conflict {
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// A step the row's current `state` does not allow; the message names that state.
    pub fn invalid_transition(state: &str, message: impl Into<String>) -> Self {
        AppError::InvalidTransition {
            state: state.to_owned(),
            message: message.into(),
        }
    }

    /// The error as a cause for logs (background work has no client to answer).
    pub fn into_cause(self) -> anyhow::Error {
        match self {
            AppError::Internal(cause) => cause,
            other => anyhow::anyhow!("{}: {}", other.code(), other.message()),
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(cause.into())
    }

    /// Maps a unique-constraint violation to `CONFLICT` on `field`; anything else is internal.
    pub fn from_db_unique(err: DbErr, field: &str, message: &str) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::conflict(Some(field), message),
            _ => AppError::internal(err),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            // The span of the request carries the request id.
            tracing::error!(error = ?cause, "internal error");
        }
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", err.code());
        match &err {
            AppError::BadUserInput { field, .. } => ext.set("field", field.as_str()),
            AppError::Conflict {
                field: Some(field), ..
            } => ext.set("field", field.as_str()),
            AppError::InvalidTransition { state, .. } => ext.set("state", state.as_str()),
            AppError::RateLimited {
                retry_after_secs, ..
            } => ext.set("retryAfterSeconds", *retry_after_secs),
            _ => {}
        }
        let mut gql = async_graphql::Error::new(err.message());
        gql.extensions = Some(ext);
        gql
    }
}
