//! The data layer: sea-orm entities and the queries of each aggregate. Every list query takes the
//! caller's `Scope` and filters in SQL (see `scope`); lists are keyset-paginated, never OFFSET.
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection};
use std::sync::Arc;
use std::time::Duration;

pub mod account;
pub mod audit;
/// Enum columns stored as codes and read back as domain enums.
pub mod column;
pub mod entity;
pub mod event;
pub mod grid_member;
pub mod member_unit;
pub mod photo;
pub mod region;
pub mod resident;
pub mod scope;
/// Service items, claims and timelines; places taken and given back by conditional updates.
pub mod service_item;
pub mod session;

/// LIKE with a pattern from `domain::search` (whose escape character is `\`).
pub fn like(pattern: String) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')
}

/// Called once for every statement sent to the database (for metrics).
pub type StatementHook = Arc<dyn Fn(Duration, bool) + Send + Sync>;

/// Opens the pool. SQLite runs in WAL mode with foreign keys on and a busy timeout, so
/// concurrent requests wait for the writer instead of failing.
pub async fn connect(
    url: &str,
    max_connections: u32,
    hook: Option<StatementHook>,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact_url(url)))?;
    if let Some(hook) = hook {
        db.set_metric_callback(move |info| {
            tracing::trace!(target: "gridhub::sql", elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed, sql = %info.statement.sql);
            hook(info.elapsed, info.failed)
        });
    }
    Ok(db)
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("running migrations")?;
    Ok(())
}

pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

pub fn backend(db: &impl ConnectionTrait) -> DatabaseBackend {
    db.get_database_backend()
}

/// A database URL with any password removed, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
