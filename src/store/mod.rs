//! The data layer: sea-orm entities and the queries of each aggregate. Every list query takes the
//! caller's `Scope` and filters in SQL (see `scope`); lists are keyset-paginated, never OFFSET.
use crate::config::DbTimeouts;
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection};
use std::sync::Arc;
use std::time::Duration;

pub mod account;
pub mod audit;
/// Photo blobs: local disk or an S3-compatible store.
pub mod blobs;
/// Enum columns stored as codes and read back as domain enums.
pub mod column;
/// Committee activities (meetings, co-building activities), their units and items, and their
/// figures per committee and unit.
pub mod committee;
pub mod entity;
pub mod event;
/// Figures for admins in grouped SQL, and the export's keyset pages.
pub mod figures;
pub mod grid_member;
pub mod member_unit;
pub mod named;
/// The notification inbox: written with the change it tells of, read by its owner only.
pub mod notification;
/// Keyset pagination shared by every list query.
pub mod page;
/// Whole rows read by position from PostgreSQL (events, accounts).
pub mod pg_row;
pub mod photo;
pub mod region;
pub mod resident;
/// Daily rollups of the event figures, kept with every change of an event.
pub mod rollup;
pub mod scope;
/// Service items, claims and timelines; places taken and given back by conditional updates.
pub mod service_item;
pub mod session;

/// A code as an SQL literal, not a parameter: a partial index's predicate holds codes (the open
/// events' states, the open items' state), and only a plan that sees the code can use the index
/// — with parameters, PostgreSQL's generic plan could not, and a custom plan cost a planning per
/// call. Only for the domain's own `&'static` constants, never client text.
pub(crate) fn code_literal(code: &'static str) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::cust(format!("'{code}'"))
}

/// LIKE with a pattern from `domain::search` (whose escape character is `\`).
pub fn like(pattern: String) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')
}

/// `column` is one of `ids`. On PostgreSQL one array parameter (`= ANY($1::uuid[])`), so the
/// statement's text is the same for any number of ids: the server keeps one prepared statement
/// and, after a few runs, its generic plan, instead of parsing and planning anew for each count
/// a DataLoader batch happens to have. Elsewhere `IN (…)`.
pub fn ids_in<C: sea_orm::ColumnTrait>(
    backend: DatabaseBackend,
    column: C,
    ids: &[uuid::Uuid],
) -> sea_orm::Condition {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    if backend != DatabaseBackend::Postgres {
        return sea_orm::Condition::all().add(column.is_in(ids.iter().copied()));
    }
    let mut array = String::with_capacity(2 + ids.len() * 37);
    array.push('{');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            array.push(',');
        }
        array.push_str(
            id.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer()),
        );
    }
    array.push('}');
    let any = Func::cust("ANY").arg(Expr::val(array).cast_as("uuid[]"));
    sea_orm::Condition::all().add(Expr::col((column.entity_name(), column)).eq(any))
}

/// Called once for every statement sent to the database (for metrics).
pub type StatementHook = Arc<dyn Fn(Duration, bool) + Send + Sync>;

/// How PostgreSQL plans a pool's statements (they are prepared once per connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plans {
    /// PostgreSQL's default: a statement whose plan may hang on its parameters (a scope's path
    /// range, a time) is planned again on every call.
    PerCall,
    /// One generic plan per statement and connection (`plan_cache_mode = force_generic_plan`),
    /// for statements whose best plan does not depend on their parameters: look-ups by key, the
    /// pages of a few grids. PostgreSQL's default re-planned those on every call too (a list of
    /// keys looks cheaper to plan for its own length), which cost as much as running them.
    Once,
}

/// Opens the pool. Every connection is bounded so the database cannot stall the API: on
/// PostgreSQL each session gets `statement_timeout` and `lock_timeout`; SQLite runs in WAL mode
/// with foreign keys on and a busy timeout in the lock-timeout role (concurrent writers wait that
/// long for each other, then fail with a retryable error). Waiting for a pooled connection, or
/// for a new one when the database is down, ends after the acquire timeout.
pub async fn connect(
    url: &str,
    max_connections: u32,
    hook: Option<StatementHook>,
    timeouts: &DbTimeouts,
    plans: Plans,
) -> anyhow::Result<DatabaseConnection> {
    let options = pool_options(url, max_connections, timeouts, plans);
    let db = Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact_url(url)))?;
    Ok(with_hook(db, hook))
}

/// A PostgreSQL pool like [`connect`]'s that opens its connections when first asked, from the
/// task that asks: built on an HTTP worker's thread, its sockets are driven by that worker's own
/// event loop. (A connection opened on one worker and used by another is woken through the
/// first one's loop: a thread hop per round trip, and a wait whenever that loop is busy.)
/// Nothing is sent to the database here; a bad address shows on first use.
pub fn connect_here(
    url: &str,
    max_connections: u32,
    hook: Option<StatementHook>,
    timeouts: &DbTimeouts,
    plans: Plans,
) -> anyhow::Result<DatabaseConnection> {
    use futures_util::FutureExt;
    let mut options = pool_options(url, max_connections, timeouts, plans);
    options.connect_lazy(true);
    // A lazy PostgreSQL pool is built without awaiting anything: the first poll finishes.
    let db = Database::connect(options)
        .now_or_never()
        .context("a lazy pool did not open at once")?
        .with_context(|| format!("connecting to {}", redact_url(url)))?;
    Ok(with_hook(db, hook))
}

fn pool_options(
    url: &str,
    max_connections: u32,
    timeouts: &DbTimeouts,
    plans: Plans,
) -> ConnectOptions {
    let mut session = vec![("lock_timeout", millis(timeouts.lock))];
    if plans == Plans::Once {
        session.push(("plan_cache_mode", "force_generic_plan".to_owned()));
    }
    if let Some(statement) = timeouts.statement {
        session.push(("statement_timeout", millis(statement)));
    }
    let busy = timeouts.lock;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(timeouts.acquire)
        .acquire_timeout(timeouts.acquire)
        // sqlx pings a connection when it goes back to the pool, and by default again when it
        // is taken out: two round trips besides each statement. Taken out within a second of
        // that ping, it is used as it is (under load, always); idle longer, it is pinged first,
        // so a database restarted meanwhile costs no request. A connection broken within that
        // second fails its one statement as `UNAVAILABLE` and is then closed.
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(move |opts| opts.options(session.clone()))
        .map_sqlx_sqlite_opts(move |opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(busy)
                .foreign_keys(true)
        });
    options
}

fn with_hook(mut db: DatabaseConnection, hook: Option<StatementHook>) -> DatabaseConnection {
    if let Some(hook) = hook {
        db.set_metric_callback(move |info| {
            tracing::trace!(target: "gridhub::sql", elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed, sql = %info.statement.sql);
            hook(info.elapsed, info.failed)
        });
    }
    db
}

fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis().max(1))
}

/// Applies the migrations over a connection of their own, without the statement timeout of the
/// serving pool (a migration may rewrite a large table).
pub async fn migrate(url: &str, timeouts: &DbTimeouts) -> anyhow::Result<()> {
    let mut batch = timeouts.clone();
    batch.for_batch();
    let db = connect(url, 1, None, &batch, Plans::PerCall).await?;
    Migrator::up(&db, None)
        .await
        .context("running migrations")?;
    if rollup::build_if_missing(&db)
        .await
        .context("building the figure rollups")?
    {
        tracing::info!("figure rollups built from the events");
    }
    db.close()
        .await
        .context("closing the migration connection")?;
    Ok(())
}

/// Does the database answer within `within`? Bounded on its own, so a saturated pool or a hung
/// database makes readiness fail fast rather than hang the probe.
pub async fn ping(db: &DatabaseConnection, within: Duration) -> bool {
    matches!(
        tokio::time::timeout(within, db.execute_unprepared("SELECT 1")).await,
        Ok(Ok(_))
    )
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
