//! Daily rollups of the event figures (migration 8), kept in the same transaction as every
//! change of an event, so the dashboard of a sub-district or a city reads a few hundred rows per
//! region and day instead of every event.
//!
//! What one event adds is a pure function of its row and its *bucket* (its grid's parent
//! region, or the grid itself when it has none): `contribution`. A write files the difference
//! between the row before and after (`record`); a grid that moves to another parent takes its
//! events' contributions along (`move_grid`); `build` recomputes everything from the events.
//!
//! Filed under the bucket and the Asia/Shanghai day the event was *reported*: `reported`, one
//! counter per state, category, source and reporter kind, clocks met in time (`met_*`) or late
//! (`late_*`), closed events with a close time (`closed_timed`). Under the day it was *closed*:
//! `closed_on`. Under the day a clock *fell due*, when it was met late: `late_on_*`. What depends
//! on the moment of reading (clocks running out unmet) is not rolled up: only open events have an
//! unmet clock, and the dashboard counts those live.
//!
//! Residents are counted per region (their own) and tag (`count_resident_tags`), kept by every
//! insert and update of a resident.
use super::event::EventRow;
use super::figures::statement;
use crate::domain::event::{DeadlineStage, EventCategory, EventSource, EventState, ReporterKind};
use crate::domain::labels::Labelled;
use crate::domain::resident::{ResidentTag, decode_tags, tag_pattern};
use crate::domain::service_item::shanghai_day;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryOrder, QuerySelect, Statement,
    TransactionTrait, Value,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// The counter columns of `event_day`, in column order.
pub static COUNTERS: LazyLock<Vec<String>> = LazyLock::new(|| {
    fn named(prefix: &str, codes: impl Iterator<Item = &'static str>) -> Vec<String> {
        codes.map(|c| counter_name(prefix, c)).collect()
    }
    let stages = || DeadlineStage::ALL.iter().map(|s| s.as_str());
    let mut names = vec!["reported".to_owned()];
    names.extend(named("state", EventState::all().iter().map(|v| v.code())));
    names.extend(named(
        "category",
        EventCategory::all().iter().map(|v| v.code()),
    ));
    names.extend(named("source", EventSource::all().iter().map(|v| v.code())));
    names.extend(named("kind", ReporterKind::all().iter().map(|v| v.code())));
    names.extend(named("met", stages()));
    names.extend(named("late", stages()));
    names.push("closed_timed".to_owned());
    names.push("closed_on".to_owned());
    names.extend(named("late_on", stages()));
    names
});

static POSITION: LazyLock<HashMap<String, usize>> = LazyLock::new(|| {
    COUNTERS
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect()
});

/// The position of a counter column; every name passed here is built as in `COUNTERS`.
pub fn position(name: &str) -> usize {
    POSITION[name]
}

/// The counter column of one enum value (`state_in_progress`, `late_on_close`).
pub fn counter_name(prefix: &str, code: &str) -> String {
    format!("{prefix}_{}", code.to_lowercase())
}

fn counter(prefix: &str, code: &str) -> usize {
    position(&counter_name(prefix, code))
}

/// The `grid_month` key of a day: `YYYY-MM`.
pub fn month_key(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// Counter values in `COUNTERS` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counters(pub Vec<i64>);

impl Default for Counters {
    fn default() -> Self {
        Counters(vec![0; COUNTERS.len()])
    }
}

impl Counters {
    pub fn get(&self, name: &str) -> i64 {
        self.0[position(name)]
    }

    /// The counter of one enum value (see `counter_name`).
    pub fn of(&self, prefix: &str, code: &str) -> i64 {
        self.0[counter(prefix, code)]
    }

    fn bump(&mut self, at: usize, by: i64) {
        self.0[at] += by;
    }

    pub fn add(&mut self, other: &Counters, sign: i64) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += sign * b;
        }
    }

    fn is_zero(&self) -> bool {
        self.0.iter().all(|n| *n == 0)
    }
}

/// What one event adds to the rollups of its bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contribution {
    /// Counters per Asia/Shanghai day.
    pub days: BTreeMap<NaiveDate, Counters>,
    /// A closed event: (report day, whole seconds from report to close).
    pub close: Option<(NaiveDate, i64)>,
    /// (grid, report month `YYYY-MM`).
    pub grid_month: (Uuid, String),
}

fn clock(e: &EventRow, stage: DeadlineStage) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    match stage {
        DeadlineStage::Accept => (e.accept_due_at, e.accept_met_at),
        DeadlineStage::Plan => (e.plan_due_at, e.plan_met_at),
        DeadlineStage::Close => (e.close_due_at, e.close_met_at),
    }
}

/// Whole seconds from report to close of a closed event (as the live median: the whole seconds
/// since the epoch of each instant, subtracted).
pub fn close_seconds(e: &EventRow) -> Option<i64> {
    match (e.state, e.close_met_at) {
        (EventState::Closed, Some(at)) => Some(at.timestamp() - e.reported_at.timestamp()),
        _ => None,
    }
}

pub fn contribution(e: &EventRow) -> Contribution {
    let reported_day = shanghai_day(e.reported_at);
    let mut days: BTreeMap<NaiveDate, Counters> = BTreeMap::new();
    let mut on = |day: NaiveDate, at: usize| days.entry(day).or_default().bump(at, 1);
    on(reported_day, position("reported"));
    on(reported_day, counter("state", e.state.code()));
    on(reported_day, counter("category", e.category.code()));
    on(reported_day, counter("source", e.source.code()));
    on(reported_day, counter("kind", e.reporter_kind.code()));
    for stage in DeadlineStage::ALL {
        let (due, met) = clock(e, *stage);
        match met {
            Some(met) if met <= due => on(reported_day, counter("met", stage.as_str())),
            Some(_) => {
                on(reported_day, counter("late", stage.as_str()));
                on(shanghai_day(due), counter("late_on", stage.as_str()));
            }
            None => {}
        }
    }
    let close = close_seconds(e).map(|secs| (reported_day, secs));
    if let (Some(_), Some(at)) = (close, e.close_met_at) {
        on(reported_day, position("closed_timed"));
        on(shanghai_day(at), position("closed_on"));
    }
    Contribution {
        days,
        close,
        grid_month: (e.grid_id, month_key(reported_day)),
    }
}

/// The region an event's figures are filed under: its grid's parent (or the grid). On
/// PostgreSQL the grid's row is share-locked to the end of the transaction, so a concurrent move
/// of the grid (`move_grid`, which updates that row) either sees this change committed or
/// happens first and is seen here.
async fn bucket_of(db: &impl ConnectionTrait, grid_id: Uuid) -> Result<Uuid, DbErr> {
    let backend = db.get_database_backend();
    let lock = match backend {
        DatabaseBackend::Postgres => " FOR SHARE",
        _ => "",
    };
    let sql = format!("SELECT COALESCE(parent_id, id) AS b FROM region WHERE id = ?{lock}");
    let row = db
        .query_one_raw(statement(backend, &sql, vec![grid_id.into()]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("grid {grid_id}")))?;
    row.try_get("", "b")
}

/// Adds `counters` (which may be negative) to the row of (bucket, day).
async fn add_day(
    db: &impl ConnectionTrait,
    bucket: Uuid,
    day: NaiveDate,
    counters: &Counters,
) -> Result<(), DbErr> {
    let mut cols = Vec::new();
    let mut values: Vec<Value> = vec![bucket.into(), day.into()];
    for (name, n) in COUNTERS.iter().zip(&counters.0) {
        if *n != 0 {
            cols.push(name.as_str());
            values.push((*n).into());
        }
    }
    if cols.is_empty() {
        return Ok(());
    }
    let marks = vec!["?"; cols.len()].join(", ");
    let sets: Vec<String> = cols
        .iter()
        .map(|c| format!("{c} = event_day.{c} + excluded.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO event_day (region_id, day, {}) VALUES (?, ?, {marks}) \
         ON CONFLICT (region_id, day) DO UPDATE SET {}",
        cols.join(", "),
        sets.join(", ")
    );
    db.execute_raw(statement(db.get_database_backend(), &sql, values))
        .await?;
    Ok(())
}

async fn add_grid_month(
    db: &impl ConnectionTrait,
    (grid, month): &(Uuid, String),
    n: i64,
) -> Result<(), DbErr> {
    let sql = "INSERT INTO grid_month (grid_id, month, reported) VALUES (?, ?, ?) \
               ON CONFLICT (grid_id, month) DO UPDATE SET reported = grid_month.reported + excluded.reported";
    db.execute_raw(statement(
        db.get_database_backend(),
        sql,
        vec![(*grid).into(), month.clone().into(), n.into()],
    ))
    .await?;
    Ok(())
}

async fn put_close(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    close: Option<(Uuid, NaiveDate, i64)>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let (sql, values): (&str, Vec<Value>) = match close {
        Some((bucket, day, secs)) => (
            "INSERT INTO event_close (event_id, region_id, day, seconds) VALUES (?, ?, ?, ?) \
             ON CONFLICT (event_id) DO UPDATE SET region_id = excluded.region_id, \
             day = excluded.day, seconds = excluded.seconds",
            vec![event_id.into(), bucket.into(), day.into(), secs.into()],
        ),
        None => (
            "DELETE FROM event_close WHERE event_id = ?",
            vec![event_id.into()],
        ),
    };
    db.execute_raw(statement(backend, sql, values)).await?;
    Ok(())
}

/// Files the change of one event from `old` (`None` for a new report) to `new`, in the caller's
/// transaction. Rows are touched in (bucket, day) order, so two changes never wait on each other
/// in a cycle.
pub async fn record(
    db: &impl ConnectionTrait,
    old: Option<&EventRow>,
    new: &EventRow,
) -> Result<(), DbErr> {
    let new_bucket = bucket_of(db, new.grid_id).await?;
    let before = match old {
        Some(o) if o.grid_id == new.grid_id => Some((new_bucket, contribution(o))),
        Some(o) => Some((bucket_of(db, o.grid_id).await?, contribution(o))),
        None => None,
    };
    let after = contribution(new);
    let mut days: BTreeMap<(Uuid, NaiveDate), Counters> = BTreeMap::new();
    for (day, c) in &after.days {
        days.entry((new_bucket, *day)).or_default().add(c, 1);
    }
    if let Some((bucket, c)) = &before {
        for (day, counters) in &c.days {
            days.entry((*bucket, *day)).or_default().add(counters, -1);
        }
    }
    for ((bucket, day), counters) in days.iter().filter(|(_, c)| !c.is_zero()) {
        add_day(db, *bucket, *day, counters).await?;
    }
    let old_close = before
        .as_ref()
        .and_then(|(b, c)| c.close.map(|(d, s)| (*b, d, s)));
    let new_close = after.close.map(|(d, s)| (new_bucket, d, s));
    if old_close != new_close {
        put_close(db, new.id, new_close).await?;
    }
    match &before {
        Some((_, c)) if c.grid_month == after.grid_month => {}
        Some((_, c)) => {
            add_grid_month(db, &c.grid_month, -1).await?;
            add_grid_month(db, &after.grid_month, 1).await?;
        }
        None => add_grid_month(db, &after.grid_month, 1).await?,
    }
    Ok(())
}

/// A grid moved from under `from` to under `to` (its buckets): its events' figures go along.
/// Runs in the move's transaction, after the grid's row was updated (see `bucket_of`).
pub async fn move_grid(
    db: &impl ConnectionTrait,
    grid_id: Uuid,
    from: Uuid,
    to: Uuid,
) -> Result<(), DbErr> {
    if from == to {
        return Ok(());
    }
    use super::entity::event::Column;
    let mut days: BTreeMap<(Uuid, NaiveDate), Counters> = BTreeMap::new();
    let mut after: Option<Uuid> = None;
    loop {
        let rows = events_after(db, Some(Column::GridId.eq(grid_id)), after).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id);
        for row in &rows {
            for (day, c) in contribution(row).days {
                days.entry((from, day)).or_default().add(&c, -1);
                days.entry((to, day)).or_default().add(&c, 1);
            }
        }
    }
    for ((bucket, day), counters) in &days {
        add_day(db, *bucket, *day, counters).await?;
    }
    db.execute_raw(statement(
        db.get_database_backend(),
        "UPDATE event_close SET region_id = ? WHERE event_id IN (SELECT id FROM event WHERE grid_id = ?)",
        vec![to.into(), grid_id.into()],
    ))
    .await?;
    Ok(())
}

/// Adds `n` to the count of each tag in `tags` (as stored: `,A,B,`) under `region`.
pub async fn count_resident_tags(
    db: &impl ConnectionTrait,
    region: Uuid,
    tags: &str,
    n: i64,
) -> Result<(), DbErr> {
    let mut tags = decode_tags(tags);
    tags.sort_unstable_by_key(|t| t.as_str());
    tags.dedup();
    for tag in tags {
        db.execute_raw(statement(
            db.get_database_backend(),
            "INSERT INTO resident_tag_count (region_id, tag, n) VALUES (?, ?, ?) \
             ON CONFLICT (region_id, tag) DO UPDATE SET n = resident_tag_count.n + excluded.n",
            vec![region.into(), tag.as_str().into(), n.into()],
        ))
        .await?;
    }
    Ok(())
}

const PAGE: u64 = 5_000;

/// The next `PAGE` events by id after `after`, optionally only those matching `filter`.
async fn events_after(
    db: &impl ConnectionTrait,
    filter: Option<sea_orm::sea_query::SimpleExpr>,
    after: Option<Uuid>,
) -> Result<Vec<EventRow>, DbErr> {
    use super::entity::event::{Column, Entity};
    let mut page = Entity::find().order_by_asc(Column::Id).limit(PAGE);
    if let Some(filter) = filter {
        page = page.filter(filter);
    }
    if let Some(id) = after {
        page = page.filter(Column::Id.gt(id));
    }
    page.all(db).await
}

/// Builds the rollups from the events when they were never built (the first start after
/// migration 8). Returns whether it built them.
pub async fn build_if_missing(db: &DatabaseConnection) -> Result<bool, DbErr> {
    build(db, false).await
}

/// Recomputes every rollup from the events (`gridhub rebuild-figures`, after a bulk load).
pub async fn rebuild(db: &DatabaseConnection) -> Result<(), DbErr> {
    build(db, true).await.map(|_| ())
}

async fn build(db: &DatabaseConnection, force: bool) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    if backend == DatabaseBackend::Postgres {
        // Writers wait (their upserts need ROW EXCLUSIVE) until the rebuilt rows are committed,
        // then add their own change on top; a second instance building at the same start waits
        // here and then finds the rollups built.
        txn.execute_unprepared(
            "LOCK TABLE event_day, event_close, grid_month, resident_tag_count, figure_rollup_state \
             IN EXCLUSIVE MODE",
        )
        .await?;
    }
    let built = txn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM figure_rollup_state",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        > 0;
    if built && !force {
        txn.commit().await?;
        return Ok(false);
    }
    for table in [
        "event_day",
        "event_close",
        "grid_month",
        "resident_tag_count",
        "figure_rollup_state",
    ] {
        txn.execute_unprepared(&format!("DELETE FROM {table}"))
            .await?;
    }
    let buckets: HashMap<Uuid, Uuid> = txn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, COALESCE(parent_id, id) AS b FROM region",
        ))
        .await?
        .iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "b")?)))
        .collect::<Result<_, DbErr>>()?;
    let mut days: HashMap<(Uuid, NaiveDate), Counters> = HashMap::new();
    let mut months: HashMap<(Uuid, String), i64> = HashMap::new();
    let mut after: Option<Uuid> = None;
    loop {
        let rows = events_after(&txn, None, after).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id);
        let mut closes = Vec::new();
        for row in &rows {
            let bucket = *buckets
                .get(&row.grid_id)
                .ok_or_else(|| DbErr::RecordNotFound(format!("grid {}", row.grid_id)))?;
            let c = contribution(row);
            for (day, counters) in c.days {
                days.entry((bucket, day)).or_default().add(&counters, 1);
            }
            if let Some((day, secs)) = c.close {
                closes.push((row.id, bucket, day, secs));
            }
            *months.entry(c.grid_month).or_default() += 1;
        }
        for chunk in closes.chunks(1_000) {
            let marks = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let values = chunk
                .iter()
                .flat_map(|(id, b, d, s)| [(*id).into(), (*b).into(), (*d).into(), (*s).into()])
                .collect();
            let sql = format!(
                "INSERT INTO event_close (event_id, region_id, day, seconds) VALUES {marks}"
            );
            txn.execute_raw(statement(backend, &sql, values)).await?;
        }
    }
    let days: Vec<_> = days.into_iter().collect();
    let per_row = COUNTERS.len() + 2;
    for chunk in days.chunks(20_000 / per_row) {
        let row_marks = format!("({})", vec!["?"; per_row].join(", "));
        let marks = vec![row_marks.as_str(); chunk.len()].join(", ");
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * per_row);
        for ((bucket, day), counters) in chunk {
            values.push((*bucket).into());
            values.push((*day).into());
            values.extend(counters.0.iter().map(|n| Value::from(*n)));
        }
        let sql = format!(
            "INSERT INTO event_day (region_id, day, {}) VALUES {marks}",
            COUNTERS.join(", ")
        );
        txn.execute_raw(statement(backend, &sql, values)).await?;
    }
    let months: Vec<_> = months.into_iter().collect();
    for chunk in months.chunks(1_000) {
        let marks = vec!["(?, ?, ?)"; chunk.len()].join(", ");
        let values = chunk
            .iter()
            .flat_map(|((g, m), n)| [(*g).into(), m.clone().into(), (*n).into()])
            .collect();
        let sql = format!("INSERT INTO grid_month (grid_id, month, reported) VALUES {marks}");
        txn.execute_raw(statement(backend, &sql, values)).await?;
    }
    // Residents per region and tag: one grouped statement per tag, as the live count matched them.
    for tag in ResidentTag::ALL {
        txn.execute_raw(statement(
            backend,
            "INSERT INTO resident_tag_count (region_id, tag, n) \
             SELECT region_id, ?, COUNT(*) FROM resident WHERE tags LIKE ? GROUP BY region_id",
            vec![tag.as_str().into(), tag_pattern(*tag).into()],
        ))
        .await?;
    }
    txn.execute_raw(statement(
        backend,
        "INSERT INTO figure_rollup_state (id, built_at) VALUES (1, ?)",
        vec![Utc::now().into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_name_every_value_once() {
        let names: std::collections::HashSet<&String> = COUNTERS.iter().collect();
        assert_eq!(names.len(), COUNTERS.len());
        assert_eq!(COUNTERS.len(), 1 + 9 + 9 + 4 + 4 + 3 + 3 + 2 + 3);
        assert_eq!(position("state_in_progress"), 4);
    }
}
