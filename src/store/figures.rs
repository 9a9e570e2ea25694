//! Figures for admins, each computed in SQL (GROUP BY and conditional aggregates) over the
//! events reported in a window in a region's subtree, and the export's keyset pages.
//!
//! The statements are written once with `?` placeholders and numbered for PostgreSQL; the few
//! expressions the two backends spell differently (the Asia/Shanghai day of an instant, whole
//! seconds since the epoch, the median) are chosen per backend and give equal answers.
use crate::access::Scope;
use crate::domain::event::{DeadlineStage, EventCategory, EventState};
use crate::domain::resident::ResidentTag;
use crate::store::rollup::{COUNTERS, Counters};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, QueryResult, Statement,
    TransactionTrait, Value,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Which events a figure covers: reported in `[start, end)` in grids under `within`, optionally
/// narrowed to one state and one category (the export's filters).
#[derive(Debug, Clone)]
pub struct Cohort {
    pub within: Scope,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub state: Option<EventState>,
    pub category: Option<EventCategory>,
}

impl Cohort {
    /// The `WHERE` condition on `event e`, with its values.
    fn condition(&self) -> (String, Vec<Value>) {
        let mut sql = String::from("e.reported_at >= ? AND e.reported_at < ?");
        let mut values: Vec<Value> = vec![self.start.into(), self.end.into()];
        let (region, region_values) = within_condition(&self.within, "e.grid_id");
        sql.push_str(&region);
        values.extend(region_values);
        if let Some(state) = self.state {
            sql.push_str(" AND e.state = ?");
            values.push(state.as_str().into());
        }
        if let Some(category) = self.category {
            sql.push_str(" AND e.category = ?");
            values.push(category.as_str().into());
        }
        (sql, values)
    }
}

/// ` AND {column} IN (the regions under `within`)`, or nothing for the whole tree.
fn within_condition(within: &Scope, column: &str) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = Vec::new();
    let sql = match within.path_ranges() {
        None => String::new(),
        Some(ranges) if ranges.is_empty() => " AND 1 = 0".to_owned(),
        Some(ranges) => {
            let any: Vec<&str> = ranges.iter().map(|_| "(path >= ? AND path < ?)").collect();
            for (lo, hi) in ranges {
                values.push(lo.into());
                values.push(hi.into());
            }
            format!(
                " AND {column} IN (SELECT id FROM region WHERE {})",
                any.join(" OR ")
            )
        }
    };
    (sql, values)
}

/// `?` placeholders become `$1…` on PostgreSQL. The statements here hold no `?` elsewhere.
pub(super) fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

async fn rows(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(statement(db.get_database_backend(), sql, values))
        .await
}

/// The Asia/Shanghai calendar day (`YYYY-MM-DD`) of a timestamp column. Shanghai keeps UTC+8
/// all year, so SQLite's fixed shift is exact.
fn day_of(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!("to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')")
        }
        _ => format!("date({column}, '+8 hours')"),
    }
}

/// Whole seconds since the epoch (fractions dropped on both backends).
fn epoch_seconds(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"),
        _ => format!("CAST(strftime('%s', {column}) AS INTEGER)"),
    }
}

fn columns(stage: DeadlineStage) -> (&'static str, &'static str) {
    match stage {
        DeadlineStage::Accept => ("e.accept_due_at", "e.accept_met_at"),
        DeadlineStage::Plan => ("e.plan_due_at", "e.plan_met_at"),
        DeadlineStage::Close => ("e.close_due_at", "e.close_met_at"),
    }
}

/// The clock was met in time (as `domain::event::deadline_status` has it).
fn met(stage: DeadlineStage) -> String {
    let (due, met) = columns(stage);
    format!("({met} IS NOT NULL AND {met} <= {due})")
}

/// The clock ran out: met late, or unmet and past due at `now` (bound as the next `?`; time
/// stands still while suspended).
fn breached(stage: DeadlineStage) -> String {
    let (due, met) = columns(stage);
    format!(
        "(({met} IS NOT NULL AND {met} > {due}) OR {})",
        ran_out_unmet(stage)
    )
}

/// The clock is unmet and past due at `now` (bound as the next `?`), time standing still while
/// suspended: the part of `breached` that depends on the moment of reading.
fn ran_out_unmet(stage: DeadlineStage) -> String {
    let (due, met) = columns(stage);
    format!("({met} IS NULL AND COALESCE(e.suspended_at, ?) > {due})")
}

/// Some unmet clock past due at `now` (bound three times), as the list's `overdue` filter.
const OVERDUE: &str = "(e.state <> 'SUSPENDED' AND ((e.accept_met_at IS NULL AND e.accept_due_at < ?) \
     OR (e.plan_met_at IS NULL AND e.plan_due_at < ?) OR (e.close_met_at IS NULL AND e.close_due_at < ?)))";

fn sum_if(condition: &str) -> String {
    format!("COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)")
}

/// Totals of a cohort: how many, how many overdue now, and per clock (met, breached).
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub total: i64,
    pub overdue_now: i64,
    /// (stage, met, breached), in the order of `DeadlineStage::ALL`.
    pub deadlines: Vec<(DeadlineStage, i64, i64)>,
}

/// One statement: conditional aggregates over the cohort.
pub async fn totals(
    db: &impl ConnectionTrait,
    cohort: &Cohort,
    now: DateTime<Utc>,
) -> Result<Totals, DbErr> {
    let (cond, cond_values) = cohort.condition();
    let mut select = vec![
        "COUNT(*) AS total".to_owned(),
        format!("{} AS overdue", sum_if(OVERDUE)),
    ];
    let mut values: Vec<Value> = vec![now.into(), now.into(), now.into()];
    for stage in DeadlineStage::ALL {
        let code = stage.as_str().to_lowercase();
        select.push(format!("{} AS {code}_met", sum_if(&met(*stage))));
        select.push(format!("{} AS {code}_breached", sum_if(&breached(*stage))));
        values.push(now.into());
    }
    values.extend(cond_values);
    let sql = format!("SELECT {} FROM event e WHERE {cond}", select.join(", "));
    let row = rows(db, &sql, values).await?.into_iter().next();
    let Some(row) = row else {
        return Ok(Totals::default());
    };
    let mut deadlines = Vec::new();
    for stage in DeadlineStage::ALL {
        let code = stage.as_str().to_lowercase();
        deadlines.push((
            *stage,
            row.try_get::<i64>("", &format!("{code}_met"))?,
            row.try_get::<i64>("", &format!("{code}_breached"))?,
        ));
    }
    Ok(Totals {
        total: row.try_get("", "total")?,
        overdue_now: row.try_get("", "overdue")?,
        deadlines,
    })
}

/// What events are counted by.
#[derive(Debug, Clone, Copy)]
pub enum Dimension {
    State,
    Category,
    Source,
    ReporterKind,
}

impl Dimension {
    fn column(self) -> &'static str {
        match self {
            Dimension::State => "e.state",
            Dimension::Category => "e.category",
            Dimension::Source => "e.source",
            Dimension::ReporterKind => "e.reporter_kind",
        }
    }
}

/// (stored code, count) per value of `dimension` present in the cohort.
pub async fn count_by(
    db: &impl ConnectionTrait,
    cohort: &Cohort,
    dimension: Dimension,
) -> Result<Vec<(String, i64)>, DbErr> {
    let (cond, values) = cohort.condition();
    let col = dimension.column();
    let sql = format!("SELECT {col} AS k, COUNT(*) AS n FROM event e WHERE {cond} GROUP BY {col}");
    keyed_counts(rows(db, &sql, values).await?)
}

/// The median, in whole seconds, from report to close of the cohort's closed events:
/// `percentile_cont(0.5)` on PostgreSQL; on SQLite the mean of the one or two middle values of
/// the ordered set (the same definition).
pub async fn median_close_seconds(
    db: &impl ConnectionTrait,
    cohort: &Cohort,
) -> Result<Option<f64>, DbErr> {
    let backend = db.get_database_backend();
    let (cond, values) = cohort.condition();
    let secs = format!(
        "{} - {}",
        epoch_seconds(backend, "e.close_met_at"),
        epoch_seconds(backend, "e.reported_at")
    );
    let closed = format!(
        "SELECT {secs} AS secs FROM event e WHERE {cond} AND e.state = 'CLOSED' AND e.close_met_at IS NOT NULL"
    );
    let sql = match backend {
        DatabaseBackend::Postgres => format!(
            "SELECT CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS DOUBLE PRECISION) AS m FROM ({closed}) t"
        ),
        _ => format!(
            "WITH t AS ({closed}) SELECT AVG(CAST(secs AS REAL)) AS m FROM (SELECT secs FROM t ORDER BY secs \
             LIMIT 2 - (SELECT COUNT(*) FROM t) % 2 OFFSET ((SELECT COUNT(*) FROM t) - 1) / 2) middle"
        ),
    };
    match rows(db, &sql, values).await?.into_iter().next() {
        Some(row) => row.try_get::<Option<f64>>("", "m"),
        None => Ok(None),
    }
}

/// Per Asia/Shanghai day of the window: events reported that day (the cohort), events of the
/// region closed that day, clocks of the region that fell due that day and ran out (met late, or
/// unmet and past due now).
#[derive(Debug, Clone, Default)]
pub struct Daily {
    pub reported: Vec<(NaiveDate, i64)>,
    pub closed: Vec<(NaiveDate, i64)>,
    pub breached: Vec<(NaiveDate, i64)>,
}

async fn per_day(
    db: &impl ConnectionTrait,
    column: &str,
    extra: &str,
    mut values: Vec<Value>,
) -> Result<Vec<(NaiveDate, i64)>, DbErr> {
    let day = day_of(db.get_database_backend(), column);
    let sql = format!("SELECT {day} AS d, COUNT(*) AS n FROM event e WHERE {extra} GROUP BY {day}");
    day_counts(rows(db, &sql, std::mem::take(&mut values)).await?)
}

/// `(k, n)` rows.
fn keyed_counts<K: sea_orm::TryGetable>(rows: Vec<QueryResult>) -> Result<Vec<(K, i64)>, DbErr> {
    rows.iter()
        .map(|r| Ok((r.try_get("", "k")?, r.try_get("", "n")?)))
        .collect()
}

/// `(d, n)` rows with the day as `YYYY-MM-DD` text.
fn day_counts(rows: Vec<QueryResult>) -> Result<Vec<(NaiveDate, i64)>, DbErr> {
    rows.iter()
        .map(|row| {
            let text: String = row.try_get("", "d")?;
            let day = text
                .parse::<NaiveDate>()
                .map_err(|e| DbErr::Type(format!("day {text}: {e}")))?;
            Ok((day, row.try_get("", "n")?))
        })
        .collect()
}

/// Clocks of the region's events that fell due in the window and ran out, by due day: met late
/// or unmet past due now, or with `unmet_only` only the unmet ones (open events: every step to a
/// final state meets all three clocks), which the rollups leave to the moment of reading. One
/// statement: a grouped count per clock, put together.
pub async fn breached_by_due_day(
    db: &impl ConnectionTrait,
    cohort: &Cohort,
    now: DateTime<Utc>,
    unmet_only: bool,
) -> Result<Vec<(NaiveDate, i64)>, DbErr> {
    let backend = db.get_database_backend();
    let (region, region_values) = within_condition(&cohort.within, "e.grid_id");
    let mut parts = Vec::new();
    let mut values = Vec::new();
    for stage in DeadlineStage::ALL {
        let (due, _) = columns(*stage);
        let ran_out = if unmet_only {
            format!("{} AND {}", open_states(), ran_out_unmet(*stage))
        } else {
            breached(*stage)
        };
        let day = day_of(backend, due);
        parts.push(format!(
            "SELECT {day} AS d, COUNT(*) AS n FROM event e WHERE 1 = 1{region} AND {ran_out} \
             AND {due} >= ? AND {due} < ? GROUP BY {day}"
        ));
        values.extend(region_values.iter().cloned());
        values.push(now.into());
        values.push(cohort.start.into());
        values.push(cohort.end.into());
    }
    day_counts(rows(db, &parts.join(" UNION ALL "), values).await?)
}

/// Three grouped statements and one per clock, over the events themselves (a grid's dashboard).
pub async fn daily(
    db: &impl ConnectionTrait,
    cohort: &Cohort,
    now: DateTime<Utc>,
) -> Result<Daily, DbErr> {
    let (cond, values) = cohort.condition();
    let reported = per_day(db, "e.reported_at", &cond, values).await?;
    let (region, mut closed_values) = within_condition(&cohort.within, "e.grid_id");
    closed_values.push(cohort.start.into());
    closed_values.push(cohort.end.into());
    let closed = per_day(
        db,
        "e.close_met_at",
        &format!(
            "1 = 1{region} AND e.state = 'CLOSED' AND e.close_met_at >= ? AND e.close_met_at < ?"
        ),
        closed_values,
    )
    .await?;
    Ok(Daily {
        reported,
        closed,
        breached: breached_by_due_day(db, cohort, now, false).await?,
    })
}

/// `e.state IN (…the open states…)`, as the partial index `ix_event_open_grid`.
fn open_states() -> String {
    let codes: Vec<String> = EventState::OPEN
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("e.state IN ({})", codes.join(", "))
}

/// What the rollups leave to the moment of reading, over the cohort's open events: how many are
/// overdue now, and per clock how many ran out unmet.
#[derive(Debug, Clone, Default)]
pub struct OpenClocks {
    pub overdue_now: i64,
    /// (stage, ran out unmet), in the order of `DeadlineStage::ALL`.
    pub unmet_breached: Vec<(DeadlineStage, i64)>,
}

pub async fn open_clocks(
    db: &impl ConnectionTrait,
    cohort: &Cohort,
    now: DateTime<Utc>,
) -> Result<OpenClocks, DbErr> {
    let (cond, cond_values) = cohort.condition();
    let mut select = vec![format!("{} AS overdue", sum_if(OVERDUE))];
    let mut values: Vec<Value> = vec![now.into(), now.into(), now.into()];
    for stage in DeadlineStage::ALL {
        select.push(format!(
            "{} AS {}",
            sum_if(&ran_out_unmet(*stage)),
            stage.as_str().to_lowercase()
        ));
        values.push(now.into());
    }
    values.extend(cond_values);
    let sql = format!(
        "SELECT {} FROM event e WHERE {cond} AND {}",
        select.join(", "),
        open_states()
    );
    let Some(row) = rows(db, &sql, values).await?.into_iter().next() else {
        return Ok(OpenClocks::default());
    };
    let mut unmet_breached = Vec::new();
    for stage in DeadlineStage::ALL {
        unmet_breached.push((*stage, row.try_get("", &stage.as_str().to_lowercase())?));
    }
    Ok(OpenClocks {
        overdue_now: row.try_get("", "overdue")?,
        unmet_breached,
    })
}

/// The rollup rows of the buckets under `within`, per day of `[from, to]`, added up.
pub async fn rolled_up_days(
    db: &impl ConnectionTrait,
    within: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, Counters)>, DbErr> {
    let (region, region_values) = within_condition(within, "d.region_id");
    let sums: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("CAST(SUM(d.{c}) AS BIGINT) AS {c}"))
        .collect();
    let mut values: Vec<Value> = vec![from.into(), to.into()];
    values.extend(region_values);
    let sql = format!(
        "SELECT d.day AS day, {} FROM event_day d WHERE d.day >= ? AND d.day <= ?{region} GROUP BY d.day",
        sums.join(", ")
    );
    let mut out = Vec::new();
    for row in rows(db, &sql, values).await? {
        let mut counters = Counters::default();
        for (i, c) in COUNTERS.iter().enumerate() {
            counters.0[i] = row.try_get("", c)?;
        }
        out.push((row.try_get("", "day")?, counters));
    }
    Ok(out)
}

/// The exact median of whole seconds from report to close over the `n` closed events reported
/// in `[from, to]` under `within` (as `percentile_cont(0.5)`): the one or two middle values of
/// `event_close` in order of seconds.
pub async fn rolled_up_median(
    db: &impl ConnectionTrait,
    within: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    n: i64,
) -> Result<Option<f64>, DbErr> {
    if n <= 0 {
        return Ok(None);
    }
    let (region, region_values) = within_condition(within, "c.region_id");
    let mut values: Vec<Value> = vec![from.into(), to.into()];
    values.extend(region_values);
    values.push((2 - n % 2).into());
    values.push(((n - 1) / 2).into());
    let sql = format!(
        "SELECT c.seconds AS s FROM event_close c WHERE c.day >= ? AND c.day <= ?{region} \
         ORDER BY c.seconds LIMIT ? OFFSET ?"
    );
    let middle: Vec<i64> = rows(db, &sql, values)
        .await?
        .iter()
        .map(|r| r.try_get("", "s"))
        .collect::<Result<_, _>>()?;
    if middle.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        middle.iter().map(|s| *s as f64).sum::<f64>() / middle.len() as f64,
    ))
}

/// Events per grid under `within` reported in the months `[from_month, to_month]` (`YYYY-MM`),
/// from the rollup.
pub async fn rolled_up_grid_counts(
    db: &impl ConnectionTrait,
    within: &Scope,
    from_month: &str,
    to_month: &str,
) -> Result<Vec<(Uuid, i64)>, DbErr> {
    let (region, region_values) = within_condition(within, "m.grid_id");
    let mut values: Vec<Value> = vec![from_month.into(), to_month.into()];
    values.extend(region_values);
    let sql = format!(
        "SELECT m.grid_id AS k, CAST(SUM(m.reported) AS BIGINT) AS n FROM grid_month m \
         WHERE m.month >= ? AND m.month <= ?{region} GROUP BY m.grid_id"
    );
    keyed_counts(rows(db, &sql, values).await?)
}

/// Events per grid in the cohort, from the events (every grid, not only the busiest).
pub async fn grid_counts(
    db: &impl ConnectionTrait,
    cohort: &Cohort,
) -> Result<Vec<(Uuid, i64)>, DbErr> {
    let (cond, values) = cohort.condition();
    let sql = format!(
        "SELECT e.grid_id AS k, COUNT(*) AS n FROM event e WHERE {cond} GROUP BY e.grid_id"
    );
    keyed_counts(rows(db, &sql, values).await?)
}

/// Residents under `within` per tag (counts only), from the per-region rollup (one statement).
pub async fn residents_by_tag(
    db: &impl ConnectionTrait,
    within: &Scope,
) -> Result<Vec<(ResidentTag, i64)>, DbErr> {
    let (region, values) = within_condition(within, "t.region_id");
    let sql = format!(
        "SELECT t.tag AS k, CAST(SUM(t.n) AS BIGINT) AS n FROM resident_tag_count t WHERE 1 = 1{region} GROUP BY t.tag"
    );
    let counts: HashMap<String, i64> = rows(db, &sql, values)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("", "k")?, r.try_get("", "n")?)))
        .collect::<Result<_, DbErr>>()?;
    Ok(ResidentTag::ALL
        .iter()
        .map(|tag| (*tag, counts.get(tag.as_str()).copied().unwrap_or(0)))
        .collect())
}

/// How many events the cohort holds (the export's row count, for its audit entry).
pub async fn count(db: &impl ConnectionTrait, cohort: &Cohort) -> Result<i64, DbErr> {
    let (cond, values) = cohort.condition();
    let sql = format!("SELECT COUNT(*) AS n FROM event e WHERE {cond}");
    match rows(db, &sql, values).await?.into_iter().next() {
        Some(row) => row.try_get("", "n"),
        None => Ok(0),
    }
}

/// One exported event, with the names the CSV shows.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub state: String,
    pub grid: String,
    pub community: Option<String>,
    pub reporter_kind: String,
    pub reported_at: DateTime<Utc>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub accept_minutes: i32,
    pub plan_minutes: i32,
    pub close_minutes: i32,
    pub accept_due_at: DateTime<Utc>,
    pub plan_due_at: DateTime<Utc>,
    pub close_due_at: DateTime<Utc>,
    pub accept_met_at: Option<DateTime<Utc>>,
    pub plan_met_at: Option<DateTime<Utc>>,
    pub close_met_at: Option<DateTime<Utc>>,
    pub unit: Option<String>,
    pub satisfaction: Option<i32>,
}

/// One page of the cohort, newest first by (reported_at, id) as the list, after `after`.
///
/// On PostgreSQL the page is planned for its own cursor (`plan_cache_mode = force_custom_plan`,
/// for this transaction only): after five executions of a prepared statement PostgreSQL may
/// switch to a generic plan, which for a whole city guessed a few grids and fetched every event
/// before the cursor of each grid, then sorted — 4.4 s per page 600,000 rows in, against 10 ms
/// planned with the cursor.
pub async fn export_page(
    db: &DatabaseConnection,
    cohort: &Cohort,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<ExportRow>, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return export_page_in(db, cohort, after, limit).await;
    }
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
        .await?;
    let page = export_page_in(&txn, cohort, after, limit).await?;
    txn.commit().await?;
    Ok(page)
}

async fn export_page_in(
    db: &impl ConnectionTrait,
    cohort: &Cohort,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<ExportRow>, DbErr> {
    let (mut cond, mut values) = cohort.condition();
    if let Some((at, id)) = after {
        // The first bound is implied by the second but lets the planner start the index range
        // at the cursor; without it every page scans the index from the window's end again,
        // and a million rows take quadratic time.
        cond.push_str(
            " AND e.reported_at <= ? AND (e.reported_at < ? OR (e.reported_at = ? AND e.id < ?))",
        );
        values.push(at.into());
        values.push(at.into());
        values.push(at.into());
        values.push(id.into());
    }
    values.push((limit as i64).into());
    let sql = format!(
        "SELECT e.id, e.title, e.category, e.state, g.name AS grid, c.name AS community, \
         e.reporter_kind, e.reported_at, e.suspended_at, e.accept_minutes, e.plan_minutes, \
         e.close_minutes, e.accept_due_at, e.plan_due_at, e.close_due_at, e.accept_met_at, \
         e.plan_met_at, e.close_met_at, u.name AS unit, CAST(e.satisfaction AS INTEGER) AS satisfaction \
         FROM event e JOIN region g ON g.id = e.grid_id \
         LEFT JOIN region c ON c.id = g.parent_id \
         LEFT JOIN member_unit u ON u.id = e.assigned_unit_id \
         WHERE {cond} ORDER BY e.reported_at DESC, e.id DESC LIMIT ?"
    );
    rows(db, &sql, values)
        .await?
        .iter()
        .map(|r| {
            Ok(ExportRow {
                id: r.try_get("", "id")?,
                title: r.try_get("", "title")?,
                category: r.try_get("", "category")?,
                state: r.try_get("", "state")?,
                grid: r.try_get("", "grid")?,
                community: r.try_get("", "community")?,
                reporter_kind: r.try_get("", "reporter_kind")?,
                reported_at: r.try_get("", "reported_at")?,
                suspended_at: r.try_get("", "suspended_at")?,
                accept_minutes: r.try_get("", "accept_minutes")?,
                plan_minutes: r.try_get("", "plan_minutes")?,
                close_minutes: r.try_get("", "close_minutes")?,
                accept_due_at: r.try_get("", "accept_due_at")?,
                plan_due_at: r.try_get("", "plan_due_at")?,
                close_due_at: r.try_get("", "close_due_at")?,
                accept_met_at: r.try_get("", "accept_met_at")?,
                plan_met_at: r.try_get("", "plan_met_at")?,
                close_met_at: r.try_get("", "close_met_at")?,
                unit: r.try_get("", "unit")?,
                satisfaction: r.try_get("", "satisfaction")?,
            })
        })
        .collect()
}
