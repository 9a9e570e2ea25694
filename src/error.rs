//! The one error type of the application and its stable, machine-readable codes.
//!
//! Clients switch on `code()`; the human message is safe to show. Internal causes are logged with
//! the request id and never sent.
//!
//! A database that is down, restarting, slow or locked is `UNAVAILABLE` (retry later), decided
//! here for every `DbErr`; `INTERNAL` is left for bugs. An internal error is logged as one line
//! with its cause chain and the site that raised it; a backtrace (when captured) at most once per
//! site, so an outage cannot flood the log.
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use std::collections::HashSet;
use std::panic::Location;
use std::sync::{Mutex, OnceLock};

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
    /// Temporary: the database is down, restarting, timing out or locked. Safe to retry (the
    /// mobile app retries with the same `clientId`).
    Unavailable {
        message: String,
        retry_after_secs: u64,
    },
    /// A subscriber fell behind the changes and skipped `missed` of them: refetch what it shows.
    Lagged {
        missed: u64,
    },
    /// A bug. The cause carries the site that raised it (see `internal`).
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
            AppError::Unavailable { .. } => "UNAVAILABLE",
            AppError::Lagged { .. } => "LAGGED",
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
            | AppError::RateLimited { message, .. }
            | AppError::Unavailable { message, .. } => message.clone(),
            AppError::Lagged { missed } => {
                format!("推送积压，已跳过 {missed} 条变更，请重新拉取列表")
            }
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

    pub fn unavailable(retry_after_secs: u64) -> Self {
        AppError::Unavailable {
            message: "服务暂时繁忙，请稍后重试".into(),
            retry_after_secs: retry_after_secs.max(1),
        }
    }

    /// An unexpected failure, remembered with the caller's source location. A database error
    /// anywhere in the cause chain that is temporary becomes `UNAVAILABLE` instead.
    #[track_caller]
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        let site = Location::caller();
        let temporary = cause.chain().find_map(|e| {
            e.downcast_ref::<DbErr>().and_then(retry_after).or_else(|| {
                e.downcast_ref::<sea_orm::sqlx::Error>()
                    .and_then(sqlx_retry_after)
            })
        });
        if let Some(secs) = temporary {
            tracing::warn!(site = %site, error = %one_line(&cause), "database temporarily unavailable");
            return AppError::unavailable(secs);
        }
        AppError::Internal(cause.context(Site(site)))
    }

    /// Maps a unique-constraint violation to `CONFLICT` on `field`; anything else as `From<DbErr>`.
    #[track_caller]
    pub fn from_db_unique(err: DbErr, field: &str, message: &str) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::conflict(Some(field), message),
            _ => AppError::internal(err),
        }
    }

    /// Logs a failure a caller is about to drop or replace (sweeps, endpoints outside GraphQL):
    /// internal errors as `log_internal`, the rest as one warning line.
    pub fn log(&self, what: &str) {
        match self {
            AppError::Internal(cause) => log_internal(cause, what),
            other => tracing::warn!(code = other.code(), message = %other.message(), "{what}"),
        }
    }
}

impl From<DbErr> for AppError {
    /// `?` on a `DbErr` passes the location of the `?`, so the log names the failing line.
    #[track_caller]
    fn from(err: DbErr) -> Self {
        AppError::internal(err)
    }
}

/// The place an internal error was raised; the outermost context of its cause.
#[derive(Debug)]
struct Site(&'static Location<'static>);

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {}:{}", self.0.file(), self.0.line())
    }
}

/// The cause chain on one line (`a: b: c`), never the backtrace.
fn one_line(cause: &anyhow::Error) -> String {
    format!("{cause:#}").replace(['\n', '\r'], " ")
}

/// Logs an internal error as one line with its cause chain. Its backtrace, when one was captured
/// (`RUST_BACKTRACE=1`), follows only for the first error raised at its site in this process.
pub fn log_internal(cause: &anyhow::Error, what: &str) {
    let site = cause.downcast_ref::<Site>().map(|s| s.0);
    tracing::error!(error = %one_line(cause), "{what}");
    let backtrace = cause.backtrace();
    if backtrace.status() == std::backtrace::BacktraceStatus::Captured && first_at(site) {
        tracing::error!(
            site = %site.map(|s| s.to_string()).unwrap_or_default(),
            backtrace = %backtrace,
            "backtrace of the first internal error at this site"
        );
    }
}

/// True the first time a site is seen in this process (a site-less error counts as one site).
fn first_at(site: Option<&'static Location<'static>>) -> bool {
    static SEEN: OnceLock<Mutex<HashSet<Option<&'static Location<'static>>>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    seen.insert(site)
}

/// Seconds to wait before retrying, if the error is temporary: the pool timed out, the
/// connection failed, a statement or lock wait timed out, the server is restarting, a
/// transaction lost a serialization race, or SQLite was busy.
fn retry_after(err: &DbErr) -> Option<u64> {
    match err {
        DbErr::ConnectionAcquire(_) => Some(2),
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx_retry_after(e),
        DbErr::Conn(_) => Some(5),
        _ => None,
    }
}

fn sqlx_retry_after(err: &sea_orm::sqlx::Error) -> Option<u64> {
    use sea_orm::sqlx::Error;
    match err {
        Error::PoolTimedOut => Some(2),
        Error::Io(_) | Error::Tls(_) | Error::PoolClosed | Error::WorkerCrashed => Some(5),
        Error::Database(db) => {
            let code = db.code()?;
            if db
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some()
            {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
                let primary = code.parse::<i32>().ok()? & 0xff;
                return matches!(primary, 5 | 6).then_some(1);
            }
            match code.as_ref() {
                // query_canceled (statement_timeout), lock_not_available (lock_timeout),
                // serialization_failure, deadlock_detected.
                "57014" | "55P03" | "40001" | "40P01" => Some(1),
                // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
                "57P01" | "57P02" | "57P03" | "53300" => Some(5),
                // connection_exception and its subclasses.
                c if c.starts_with("08") => Some(5),
                _ => None,
            }
        }
        _ => None,
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            // The span of the request carries the request id.
            log_internal(cause, "internal error");
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
            }
            | AppError::Unavailable {
                retry_after_secs, ..
            } => ext.set("retryAfterSeconds", *retry_after_secs),
            AppError::Lagged { missed } => ext.set("missed", *missed),
            _ => {}
        }
        let mut gql = async_graphql::Error::new(err.message());
        gql.extensions = Some(ext);
        gql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raised_here(n: u32) -> AppError {
        AppError::internal(anyhow::anyhow!("boom {n}"))
    }

    fn site_of(err: &AppError) -> Option<&'static Location<'static>> {
        match err {
            AppError::Internal(cause) => cause.downcast_ref::<Site>().map(|s| s.0),
            _ => None,
        }
    }

    #[test]
    fn a_backtrace_is_due_once_per_site() {
        let errors: Vec<AppError> = (0..5).map(raised_here).collect();
        let elsewhere = AppError::internal(anyhow::anyhow!("elsewhere"));
        let site = site_of(&errors[0]).expect("the site is recorded");
        assert!(errors.iter().all(|e| site_of(e) == Some(site)));
        assert_ne!(site_of(&elsewhere), Some(site));
        let due: Vec<bool> = errors.iter().map(|e| first_at(site_of(e))).collect();
        assert_eq!(due, [true, false, false, false, false]);
        assert!(first_at(site_of(&elsewhere)));
        assert!(!first_at(site_of(&elsewhere)));
    }

    #[test]
    fn the_log_line_is_the_cause_chain_on_one_line() {
        let cause = anyhow::anyhow!("connection reset\nby peer").context("loading the caller");
        let AppError::Internal(cause) = AppError::internal(cause) else {
            panic!("not internal")
        };
        let line = one_line(&cause);
        assert!(line.starts_with("at src/error.rs:"), "{line}");
        assert!(
            line.ends_with("loading the caller: connection reset by peer"),
            "{line}"
        );
    }

    #[test]
    fn temporary_database_failures_are_unavailable() {
        let timeout = DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        assert_eq!(AppError::from(timeout).code(), "UNAVAILABLE");
        let refused = sea_orm::sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into());
        let err = AppError::from(DbErr::Conn(RuntimeErr::SqlxError(refused.into())));
        assert_eq!(err.code(), "UNAVAILABLE");
        let wrapped = anyhow::Error::from(DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::ConnectionClosed,
        ))
        .context("loading");
        assert_eq!(AppError::internal(wrapped).code(), "UNAVAILABLE");
        assert_eq!(
            AppError::from(DbErr::Custom("a bug".into())).code(),
            "INTERNAL"
        );
        let gql = async_graphql::Error::from(AppError::unavailable(2));
        let ext = gql.extensions.expect("extensions");
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("UNAVAILABLE"))
        );
        assert_eq!(
            ext.get("retryAfterSeconds"),
            Some(&async_graphql::Value::from(2u64))
        );
    }
}
