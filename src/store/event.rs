//! Events, their timeline, related residents, deadline rules and the points ledger.
//!
//! Who sees an event is decided in `access::event::EventReach` and applied here in SQL: staff and grid members
//! see events in grids under their scope; everyone sees what they reported themselves; a unit
//! liaison sees the events dispatched to its unit.
use super::account::{AccountCard, CARD_COLUMNS};
use super::column::from_stored;
use super::entity::deadline_rule::{self, Entity as Rule};
use super::entity::event::{self, Column, Entity};
use super::entity::event_resident::{self, Entity as EventResident};
use super::entity::event_step::{self, Entity as Step};
use super::entity::points_ledger::{self, Entity as Ledger};
use super::entity::{account, member_unit, region};
use super::member_unit::MemberUnitRow;
use super::named::{Link, Named, Seen};
use super::pg_row::{self, ByPosition, PgColumns};
use super::photo::PhotoRow;
use super::region::RegionRow;
use super::scope::{path_in_scope, region_in_scope, regions_in_scope};
use crate::access::Scope;
use crate::access::event::EventReach;
use crate::domain::event::{DeadlineStage, EventCategory, EventPriority, EventState, ReporterKind};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    FromQueryResult, Iterable, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

pub use deadline_rule::Model as DeadlineRuleRow;
pub use event::Column as EventColumn;
pub use event::Model as EventRow;
pub use event_step::Model as StepRow;
pub use points_ledger::Model as LedgerRow;

/// The events a reach holds, in SQL: grids under its scope, its own reports, and what was
/// dispatched to its unit.
fn reachable(reach: &EventReach) -> Condition {
    let mut any = Condition::any()
        .add(region_in_scope(Column::GridId, reach.scope()))
        .add(Column::ReporterAccountId.eq(reach.account_id()));
    if let Some(unit) = reach.member_unit_id() {
        any = any.add(Column::AssignedUnitId.eq(unit));
    }
    any
}

/// One part of a list's reach, read through its own index and merged with the others.
enum Part {
    /// Events of the grids among these regions, each grid's page read newest first through the
    /// grid's own index (PostgreSQL, for a scope of a few dozen grids: reading every event of
    /// those grids to sort them cost a rider's home 1 ms of the database's time per request).
    EachGrid(Box<SelectStatement>),
    /// Events of one key (a reporter, a unit), read through that key's index.
    Keyed(Condition),
    /// Events matching a condition.
    Where(Condition),
}

impl Part {
    /// Is the part's best plan the same whatever its parameters? A few grids' pages and one
    /// key's are read through the same indexes for any caller; a wide scope's page is not (a
    /// sub-district is read newest first through the time index, a grid through its own).
    fn plan_is_stable(&self) -> bool {
        matches!(self, Part::EachGrid(_) | Part::Keyed(_))
    }
}

/// Events in the grids of `scope`, as a part.
fn grids_part(scope: &Scope, each_grid: bool) -> Part {
    if each_grid {
        Part::EachGrid(Box::new(regions_in_scope(scope)))
    } else {
        Part::Where(region_in_scope(Column::GridId, scope))
    }
}

/// `reachable` in parts: events in scope; those the caller reported; those dispatched to its
/// unit. A list takes each part's page through its own index (grid, reporter, unit, each by
/// time) and merges them, dropping the rows two parts share: with one OR over all three,
/// PostgreSQL walks the whole table newest first until a page matches (a rider's home at city
/// scale read 78,000 rows for 20), and parts that excluded one another (own reports outside
/// the scope) read every report of the caller's to find the few outside it.
fn reachable_parts(reach: &EventReach, lateral: bool) -> Vec<Part> {
    let scope = reach.scope();
    if scope.is_everything() {
        return vec![Part::Where(Condition::all())];
    }
    let mut parts = Vec::with_capacity(3);
    if scope.path_ranges().is_some_and(|roots| !roots.is_empty()) {
        parts.push(grids_part(scope, lateral && reach.few_grids()));
    }
    parts.push(Part::Keyed(
        Condition::all().add(Column::ReporterAccountId.eq(reach.account_id())),
    ));
    if let Some(unit) = reach.member_unit_id() {
        parts.push(Part::Keyed(
            Condition::all().add(Column::AssignedUnitId.eq(unit)),
        ));
    }
    parts
}

/// The last column of `event` in select order: a row of the whole model has this many plus one.
const EVENT_WIDTH: usize = Column::UpdatedAt as usize + 1;

/// Which of the event's columns a read fetches. A list selects only what the fields asked for
/// need (PostgreSQL sorts and sends narrower rows: the rider's home went from 2,000 to 5,700
/// statements a second under pgbench); columns left out read as blanks, so a field may only be
/// answered from a row fetched with its columns (`graphql::event::types::columns_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventColumns(u64);

impl EventColumns {
    pub const ALL: EventColumns = EventColumns((1 << EVENT_WIDTH) - 1);
    /// What every list row needs: its id and its cursor.
    pub const KEYS: EventColumns =
        EventColumns((1 << Column::Id as u64) | (1 << Column::ReportedAt as u64));

    pub fn with(self, columns: &[Column]) -> Self {
        EventColumns(
            columns
                .iter()
                .fold(self.0, |bits, &c| bits | (1 << c as u64)),
        )
    }

    pub fn union(self, other: EventColumns) -> Self {
        EventColumns(self.0 | other.0)
    }

    /// Where column `c` sits in a row of these columns (they are selected in table order).
    fn position(self, c: Column) -> Option<usize> {
        let bit = 1u64 << c as u64;
        (self.0 & bit != 0).then(|| (self.0 & (bit - 1)).count_ones() as usize)
    }

    fn width(self) -> usize {
        self.0.count_ones() as usize
    }

    fn columns(self) -> impl Iterator<Item = Column> {
        Column::iter().filter(move |&c| self.position(c).is_some())
    }
}

/// A row of `columns` read by position; columns not fetched are blanks.
fn read_event(c: &PgColumns<'_>, columns: EventColumns) -> Result<EventRow, DbErr> {
    use Column as C;
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    macro_rules! col {
        ($column:ident, $read:ident, $blank:expr) => {
            match columns.position(C::$column) {
                Some(i) => c.$read(i)?,
                None => $blank,
            }
        };
    }
    Ok(EventRow {
        id: col!(Id, get, Uuid::nil()),
        reporter_account_id: col!(ReporterAccountId, get, Uuid::nil()),
        reporter_name: col!(ReporterName, get, String::new()),
        reporter_kind: col!(ReporterKind, code, ReporterKind::Staff),
        reporter_occupation: col!(ReporterOccupation, code_opt, None),
        payload_hash: col!(PayloadHash, get, String::new()),
        grid_id: col!(GridId, get, Uuid::nil()),
        category: col!(Category, code, EventCategory::Other),
        source: col!(Source, code, crate::domain::event::EventSource::Patrol),
        priority: col!(Priority, code, EventPriority::Normal),
        title: col!(Title, get, String::new()),
        description: col!(Description, get, String::new()),
        address: col!(Address, get, None),
        lat: col!(Lat, get, 0.0),
        lng: col!(Lng, get, 0.0),
        captured_at: col!(CapturedAt, get, epoch),
        reported_at: col!(ReportedAt, get, epoch),
        state: col!(State, code, EventState::Reported),
        resume_state: col!(ResumeState, code_opt, None),
        suspended_at: col!(SuspendedAt, get, None),
        paused_seconds: col!(PausedSeconds, get, 0),
        level: col!(Level, code, crate::domain::region::RegionLevel::Community),
        assigned_unit_id: col!(AssignedUnitId, get, None),
        resolution: col!(Resolution, code_opt, None),
        satisfaction: col!(Satisfaction, get, None),
        duplicate_of_id: col!(DuplicateOfId, get, None),
        merged_into_id: col!(MergedIntoId, get, None),
        accept_minutes: col!(AcceptMinutes, get, 0),
        plan_minutes: col!(PlanMinutes, get, 0),
        close_minutes: col!(CloseMinutes, get, 0),
        accept_due_at: col!(AcceptDueAt, get, epoch),
        plan_due_at: col!(PlanDueAt, get, epoch),
        close_due_at: col!(CloseDueAt, get, epoch),
        accept_met_at: col!(AcceptMetAt, get, None),
        plan_met_at: col!(PlanMetAt, get, None),
        close_met_at: col!(CloseMetAt, get, None),
        accept_breached_at: col!(AcceptBreachedAt, get, None),
        plan_breached_at: col!(PlanBreachedAt, get, None),
        close_breached_at: col!(CloseBreachedAt, get, None),
        version: col!(Version, get, 0),
        updated_at: col!(UpdatedAt, get, epoch),
    })
}

impl ByPosition for EventRow {
    const WIDTH: usize = EVENT_WIDTH;

    fn read(c: &PgColumns<'_>) -> Result<Self, DbErr> {
        read_event(c, EventColumns::ALL)
    }
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
    reach: &EventReach,
) -> Result<Option<EventRow>, DbErr> {
    let query = Entity::find_by_id(id).filter(reachable(reach)).limit(1);
    Ok(pg_row::all(db, query).await?.pop())
}

/// What a detail read of one event brings in the event's own statement.
#[derive(Debug, Clone, Copy, Default)]
pub struct Along {
    /// The event's grid (`None` when the grid is outside the caller's scope).
    pub grid: bool,
    /// The event's own photos, in upload order.
    pub photos: bool,
    /// Its timeline, oldest first.
    pub steps: bool,
}

/// One event and what was read along with it (`None`: not asked, or not read along).
#[derive(Debug)]
pub struct EventDetail {
    pub event: EventRow,
    pub grid: Option<Option<RegionRow>>,
    pub photos: Option<Vec<PhotoRow>>,
    pub steps: Option<Vec<StepRow>>,
}

/// One event the caller can reach, with what `along` asks read in the same statement on
/// PostgreSQL: the grid when it is in the caller's scope (else `None`, as the region loader
/// answers), the photos and the timeline as JSON arrays (PostgreSQL spent as much on the bind,
/// snapshot and locks of each of the three statements a detail took as on the rows). Other
/// backends read the grid in a second statement and leave photos and timeline to the loaders.
pub async fn find_detail(
    db: &impl ConnectionTrait,
    id: Uuid,
    reach: &EventReach,
    along: Along,
) -> Result<Option<EventDetail>, DbErr> {
    let backend = db.get_database_backend();
    if backend != DatabaseBackend::Postgres {
        let Some(event) = find(db, id, reach).await? else {
            return Ok(None);
        };
        let grid = if along.grid {
            let grid = super::region::find_many(db, &[event.grid_id], reach.scope()).await?;
            Some(grid.into_iter().next())
        } else {
            None
        };
        return Ok(Some(EventDetail {
            event,
            grid,
            photos: None,
            steps: None,
        }));
    }
    let mut query = Entity::find_by_id(id)
        .filter(reachable(reach))
        .limit(1)
        .into_query();
    let mut width = EVENT_WIDTH;
    if along.grid {
        let on = Condition::all()
            .add(Expr::col((region::Entity, region::Column::Id)).equals((Entity, Column::GridId)))
            .add(super::region::visible(reach.scope()));
        query
            .columns(region::Column::iter().map(|c| (region::Entity, c)))
            .join(JoinType::LeftJoin, region::Entity, on);
        width += RegionRow::WIDTH;
    }
    let photos_at = width;
    if along.photos {
        query.expr(Expr::cust(
            r#"(SELECT coalesce(json_agg(p ORDER BY p.position), '[]')::text FROM photo p WHERE p.owner_kind = 'EVENT' AND p.owner_id = "event"."id")"#,
        ));
        width += 1;
    }
    let steps_at = width;
    if along.steps {
        query.expr(Expr::cust(
            r#"(SELECT coalesce(json_agg(s ORDER BY s.created_at, s.id), '[]')::text FROM event_step s WHERE s.event_id = "event"."id")"#,
        ));
        width += 1;
    }
    let mut rows = pg_row::all_read(db, backend.build(&query), width, |c| {
        let event = read_event(c, EventColumns::ALL)?;
        let grid = along
            .grid
            .then(|| c.joined::<RegionRow>(EVENT_WIDTH))
            .transpose()?;
        let photos = along
            .photos
            .then(|| json_rows::<PhotoRow>(c.get(photos_at)?))
            .transpose()?;
        let steps = along
            .steps
            .then(|| {
                json_rows::<StepJson>(c.get(steps_at)?)?
                    .into_iter()
                    .map(StepRow::try_from)
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(EventDetail {
            event,
            grid,
            photos,
            steps,
        })
    })
    .await?;
    Ok(rows.pop())
}

/// Rows PostgreSQL aggregated with `json_agg` (each row's columns by name).
fn json_rows<T: serde::de::DeserializeOwned>(json: &str) -> Result<Vec<T>, DbErr> {
    serde_json::from_str(json).map_err(|e| DbErr::Type(format!("aggregated rows: {e}")))
}

/// A timeline entry as `json_agg` writes it: codes as text.
#[derive(serde::Deserialize)]
struct StepJson {
    id: Uuid,
    event_id: Uuid,
    actor_account_id: Option<Uuid>,
    actor_name: String,
    action: String,
    from_state: Option<String>,
    to_state: Option<String>,
    note: Option<String>,
    detail: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<StepJson> for StepRow {
    type Error = DbErr;

    fn try_from(s: StepJson) -> Result<Self, DbErr> {
        Ok(StepRow {
            id: s.id,
            event_id: s.event_id,
            actor_account_id: s.actor_account_id,
            actor_name: s.actor_name,
            action: from_stored(&s.action)?,
            from_state: s.from_state.as_deref().map(from_stored).transpose()?,
            to_state: s.to_state.as_deref().map(from_stored).transpose()?,
            note: s.note,
            detail: s.detail,
            created_at: s.created_at,
        })
    }
}

/// Without any scope: for the service's own checks (idempotent replays, sweeps).
pub async fn find_unscoped(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<EventRow>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    reach: &EventReach,
) -> Result<Vec<EventRow>, DbErr> {
    let query = Entity::find()
        .filter(super::ids_in(db.get_database_backend(), Column::Id, ids))
        .filter(reachable(reach));
    pg_row::all(db, query).await
}

#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    /// Region subtree (its path).
    pub region_path: Option<String>,
    /// The region holds a few dozen grids at most (a community or below): its list reads
    /// each grid's page through the grid's index.
    pub region_few_grids: bool,
    pub grid_id: Option<Uuid>,
    pub states: Vec<EventState>,
    pub category: Option<EventCategory>,
    pub source: Option<crate::domain::event::EventSource>,
    pub priority: Option<EventPriority>,
    pub reporter_account_id: Option<Uuid>,
    pub reporter_kind: Option<ReporterKind>,
    pub assigned_unit_id: Option<Uuid>,
    /// `Some(true)`: some clock has run out unmet (suspended events excepted).
    pub overdue: Option<bool>,
    pub reported_from: Option<DateTime<Utc>>,
    pub reported_to: Option<DateTime<Utc>>,
    /// Already escaped for LIKE.
    pub text_pattern: Option<String>,
}

/// A state as an SQL literal (`super::code_literal`): the open-event index is partial on the
/// states; with parameters PostgreSQL planned the console's list anew on every request (0.4 ms,
/// as long as running it).
fn code(state: EventState) -> Expr {
    super::code_literal(state.as_str())
}

/// Some unmet clock is past due at `now`.
fn overdue_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(Expr::col((Entity, Column::State)).ne(code(EventState::Suspended)))
        .add(
            Condition::any()
                .add(
                    Condition::all()
                        .add(Column::AcceptMetAt.is_null())
                        .add(Column::AcceptDueAt.lt(now)),
                )
                .add(
                    Condition::all()
                        .add(Column::PlanMetAt.is_null())
                        .add(Column::PlanDueAt.lt(now)),
                )
                .add(
                    Condition::all()
                        .add(Column::CloseMetAt.is_null())
                        .add(Column::CloseDueAt.lt(now)),
                ),
        )
}

/// One page, newest first by (reported_at, id), of `columns` (PostgreSQL; other backends
/// read whole rows) of the events `reach` holds that match `filter`. Read through `db`, or
/// through `keyed` (connections that plan each statement once, `super::Plans::Once`) when the
/// statement's plan is the same whatever its parameters.
#[allow(clippy::too_many_arguments)]
pub async fn list(
    db: &impl ConnectionTrait,
    keyed: &impl ConnectionTrait,
    reach: &EventReach,
    filter: &EventFilter,
    now: DateTime<Utc>,
    limit: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
    read: RowRead,
) -> Result<Vec<Listed>, DbErr> {
    let RowRead { columns, along } = read;
    let backend = db.get_database_backend();
    let postgres = backend == DatabaseBackend::Postgres;
    // Other backends decode by name, which takes the whole row.
    let columns = if postgres {
        // The keys, and the links a join reads along.
        let mut links = Vec::with_capacity(3);
        if along.grids {
            links.push(Column::GridId);
        }
        if along.reporters.wanted() {
            links.push(Column::ReporterAccountId);
        }
        if along.units.wanted() {
            links.push(Column::AssignedUnitId);
        }
        columns.union(EventColumns::KEYS).with(&links)
    } else {
        EventColumns::ALL
    };
    let mut query = Entity::find();
    if let Some(grid) = filter.grid_id {
        query = query.filter(Column::GridId.eq(grid));
    }
    if !filter.states.is_empty() {
        query = query.filter(
            Expr::col((Entity, Column::State)).is_in(filter.states.iter().map(|&s| code(s))),
        );
    }
    if let Some(c) = filter.category {
        query = query.filter(Column::Category.eq(c.as_str()));
    }
    if let Some(s) = filter.source {
        query = query.filter(Column::Source.eq(s.as_str()));
    }
    if let Some(p) = filter.priority {
        query = query.filter(Column::Priority.eq(p.as_str()));
    }
    if let Some(r) = filter.reporter_account_id {
        query = query.filter(Column::ReporterAccountId.eq(r));
    }
    if let Some(k) = filter.reporter_kind {
        query = query.filter(Column::ReporterKind.eq(k.as_str()));
    }
    if let Some(u) = filter.assigned_unit_id {
        query = query.filter(Column::AssignedUnitId.eq(u));
    }
    match filter.overdue {
        Some(true) => query = query.filter(overdue_at(now)),
        Some(false) => query = query.filter(overdue_at(now).not()),
        None => {}
    }
    if let Some(from) = filter.reported_from {
        query = query.filter(Column::ReportedAt.gte(from));
    }
    if let Some(to) = filter.reported_to {
        query = query.filter(Column::ReportedAt.lt(to));
    }
    if let Some(pattern) = &filter.text_pattern {
        query = query.filter(
            Condition::any()
                .add(Expr::col(Column::Title).like(super::like(pattern.clone())))
                .add(Expr::col(Column::Description).like(super::like(pattern.clone())))
                .add(Expr::col(Column::Address).like(super::like(pattern.clone()))),
        );
    }
    if let Some((at, id)) = after {
        query = query.filter(
            Condition::any().add(Column::ReportedAt.lt(at)).add(
                Condition::all()
                    .add(Column::ReportedAt.eq(at))
                    .add(Column::Id.lt(id)),
            ),
        );
    }
    // A region outside the caller's scope narrows every part by its path range, by an amount
    // only a plan for that range knows.
    let mut ranged = false;
    let parts = match &filter.region_path {
        // Every grid under a region in scope is in scope: the region filter already holds the
        // reach, and the parts outside the scope (own reports, the unit's) add nothing to it.
        Some(path) if reach.scope().contains_path(path) => {
            vec![grids_part(
                &Scope::within(path),
                postgres && filter.region_few_grids,
            )]
        }
        Some(path) => {
            query = query.filter(region_in_scope(Column::GridId, &Scope::within(path)));
            ranged = true;
            reachable_parts(reach, postgres)
        }
        None => reachable_parts(reach, postgres),
    };
    let page = |query: sea_orm::Select<Entity>| {
        query
            .select_only()
            .columns(columns.columns())
            .order_by_desc(Column::ReportedAt)
            .order_by_desc(Column::Id)
            .limit(limit)
            .into_query()
    };
    let stable = !ranged && parts.iter().all(Part::plan_is_stable);
    let statements: Vec<SelectStatement> = parts
        .into_iter()
        .map(|part| match part {
            Part::Where(condition) | Part::Keyed(condition) => {
                page(query.clone().filter(condition))
            }
            Part::EachGrid(regions) => {
                let (grid, rows) = (Alias::new("g"), Alias::new("e"));
                let of_grid = query.clone().filter(
                    Expr::col((Entity, Column::GridId)).equals((grid.clone(), region::Column::Id)),
                );
                Query::select()
                    .column((rows.clone(), Asterisk))
                    .from_subquery(*regions, grid)
                    .join_lateral(
                        JoinType::InnerJoin,
                        page(of_grid),
                        rows.clone(),
                        Expr::cust("TRUE"),
                    )
                    .order_by((rows.clone(), Column::ReportedAt), Order::Desc)
                    .order_by((rows, Column::Id), Order::Desc)
                    .limit(limit)
                    .to_owned()
            }
        })
        .collect();
    let several = statements.len() > 1;
    let mut rows = if postgres {
        // One round trip for every part: each part's page as a sub-select, side by side.
        let mut parts = statements.into_iter();
        let Some(mut all) = parts.next() else {
            return Ok(Vec::new());
        };
        if several {
            let page_of = |i: usize, statement| {
                Query::select()
                    .column(Asterisk)
                    .from_subquery(statement, Alias::new(format!("p{i}")))
                    .to_owned()
            };
            all = page_of(0, all);
            for (i, part) in parts.enumerate() {
                all.union(UnionType::All, page_of(i + 1, part));
            }
        }
        let (all, width) = joined(all, columns.width(), reach.scope(), along);
        let statement = backend.build(&all);
        let read = |c: &PgColumns<'_>| read_listed(c, columns, along);
        if stable {
            pg_row::all_read(keyed, statement, width, read).await?
        } else {
            pg_row::all_read(db, statement, width, read).await?
        }
    } else {
        let mut rows = Vec::new();
        for statement in statements {
            rows.extend(
                Entity::find()
                    .from_raw_sql(backend.build(&statement))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(Listed::alone),
            );
        }
        rows
    };
    if several {
        // Each part's page is in order; a row two parts share comes twice, side by side.
        rows.sort_unstable_by_key(|r| std::cmp::Reverse((r.event.reported_at, r.event.id)));
        rows.dedup_by_key(|r| r.event.id);
        rows.truncate(limit as usize);
    }
    Ok(rows)
}

/// What a list reads of each row: which of the event's columns, and what along with it.
#[derive(Debug, Clone, Copy)]
pub struct RowRead {
    pub columns: EventColumns,
    pub along: ListAlong,
}

/// What a list reads along with its rows, in the same statement (PostgreSQL).
#[derive(Debug, Clone, Copy, Default)]
pub struct ListAlong {
    /// Each row's grid, when in the caller's scope.
    pub grids: bool,
    /// Each row's reporter, when in the caller's scope: whole, or its name alone.
    pub reporters: Link,
    /// Each row's assigned unit, when the caller may see it: whole, or its name alone.
    pub units: Link,
}

/// A listed event and what was read along with it (`None`: not read along; `Some(None)`: none,
/// or out of the caller's sight).
#[derive(Debug)]
pub struct Listed {
    pub event: EventRow,
    pub grid: Option<Option<RegionRow>>,
    pub reporter: Option<Option<Seen<AccountCard>>>,
    pub unit: Option<Option<Seen<MemberUnitRow>>>,
}

impl Listed {
    fn alone(event: EventRow) -> Self {
        Listed {
            event,
            grid: None,
            reporter: None,
            unit: None,
        }
    }
}

/// The page `rows` selects (`width` columns), with what `along` asks joined to each row where
/// the caller may see it, as each kind's loader filters it, their columns after the event's;
/// and the joined row's width. Without any, the page as it is.
fn joined(
    rows: SelectStatement,
    width: usize,
    scope: &Scope,
    along: ListAlong,
) -> (SelectStatement, usize) {
    if !along.grids && !along.reporters.wanted() && !along.units.wanted() {
        return (rows, width);
    }
    let page = Alias::new("page");
    let mut query = Query::select()
        .column((page.clone(), Asterisk))
        .from_subquery(rows, page.clone())
        .to_owned();
    let mut width = width;
    if along.grids {
        join_row(
            &mut query,
            (region::Entity, region::Column::Id),
            region::Column::iter(),
            (page.clone(), Column::GridId),
            super::region::visible(scope),
        );
        width += RegionRow::WIDTH;
    }
    if along.reporters.wanted() {
        let columns: &[account::Column] = match along.reporters {
            Link::Name => &[account::Column::Id, account::Column::Name],
            _ => &CARD_COLUMNS,
        };
        join_row(
            &mut query,
            (account::Entity, account::Column::Id),
            columns.iter().copied(),
            (page.clone(), Column::ReporterAccountId),
            super::account::visible(scope),
        );
        width += along.reporters.width(AccountCard::WIDTH);
    }
    if along.units.wanted() {
        let columns: Vec<member_unit::Column> = match along.units {
            Link::Name => vec![member_unit::Column::Id, member_unit::Column::Name],
            _ => member_unit::Column::iter().collect(),
        };
        join_row(
            &mut query,
            (member_unit::Entity, member_unit::Column::Id),
            columns,
            (page.clone(), Column::AssignedUnitId),
            super::member_unit::visible(scope),
        );
        width += along.units.width(MemberUnitRow::WIDTH);
    }
    query
        .order_by((page.clone(), Column::ReportedAt), Order::Desc)
        .order_by((page, Column::Id), Order::Desc);
    (query, width)
}

/// Joins to each row of `query` the row of `E` whose `id` is the row's `key`, if `visible`: its
/// `columns`. Row by row through the key: joined as a table, PostgreSQL's generic plan
/// hashed every unit to test who may see it (0.65 ms for a console page); `OFFSET 0` keeps the
/// sub-select from being flattened into such a join.
fn join_row<E: EntityTrait>(
    query: &mut SelectStatement,
    (entity, id): (E, E::Column),
    columns: impl IntoIterator<Item = E::Column, IntoIter: Clone>,
    key: (Alias, Column),
    visible: Condition,
) {
    let alias = Alias::new(format!("along_{}", entity.table_name()));
    let columns = columns.into_iter();
    let of_row = Query::select()
        .columns(columns.clone().map(|c| (entity, c)))
        .from(entity)
        .and_where(Expr::col((entity, id)).equals(key))
        .cond_where(visible)
        .offset(0)
        .to_owned();
    query
        .columns(columns.map(|c| (alias.clone(), c)))
        .join_lateral(JoinType::LeftJoin, of_row, alias, Expr::cust("TRUE"));
}

/// A row of `joined`: the event's columns, then its grid's, its reporter's and its unit's when
/// read along.
fn read_listed(
    c: &PgColumns<'_>,
    columns: EventColumns,
    along: ListAlong,
) -> Result<Listed, DbErr> {
    let event = read_event(c, columns)?;
    let mut at = columns.width();
    // Where each joined kind starts, if read along.
    let mut next = |wanted: bool, width: usize| {
        let first = at;
        if wanted {
            at += width;
        }
        wanted.then_some(first)
    };
    let grid = next(along.grids, RegionRow::WIDTH);
    let reporter = next(
        along.reporters.wanted(),
        along.reporters.width(AccountCard::WIDTH),
    );
    let unit = next(
        along.units.wanted(),
        along.units.width(MemberUnitRow::WIDTH),
    );
    Ok(Listed {
        event,
        grid: grid.map(|at| c.joined::<RegionRow>(at)).transpose()?,
        reporter: reporter
            .map(|at| joined_seen::<AccountCard>(c, at, along.reporters))
            .transpose()?,
        unit: unit
            .map(|at| joined_seen::<MemberUnitRow>(c, at, along.units))
            .transpose()?,
    })
}

/// A linked row `LEFT JOIN`ed from column `first` on, as `link` read it.
fn joined_seen<R: ByPosition>(
    c: &PgColumns<'_>,
    first: usize,
    link: Link,
) -> Result<Option<Seen<R>>, DbErr> {
    Ok(match link {
        Link::Name => c.joined::<Named>(first)?.map(Seen::Named),
        _ => c.joined::<R>(first)?.map(Seen::Whole),
    })
}

/// A new report, filed in the figure rollups in the same transaction.
pub async fn insert(db: &impl ConnectionTrait, row: EventRow) -> Result<EventRow, DbErr> {
    let row = event::ActiveModel::from(row).insert(db).await?;
    super::rollup::record(db, None, &row).await?;
    Ok(row)
}

pub async fn link_residents(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    resident_ids: &[Uuid],
) -> Result<(), DbErr> {
    if resident_ids.is_empty() {
        return Ok(());
    }
    EventResident::insert_many(resident_ids.iter().map(|&resident_id| {
        event_resident::ActiveModel::from(event_resident::Model {
            event_id,
            resident_id,
        })
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Resident ids linked to these events.
pub async fn residents_of(
    db: &impl ConnectionTrait,
    event_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    Ok(EventResident::find()
        .filter(event_resident::Column::EventId.is_in(event_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.event_id, r.resident_id))
        .collect())
}

/// Writes `row` only if nobody changed the event since `old` was read: of two concurrent
/// steps on one event, one wins and the other sees `None`. The change is filed in the figure
/// rollups in the same transaction.
pub async fn update_if_unchanged(
    db: &impl ConnectionTrait,
    old: &EventRow,
    mut row: EventRow,
) -> Result<Option<EventRow>, DbErr> {
    let version = old.version;
    row.version = version + 1;
    let model = event::ActiveModel::from(row.clone()).reset_all();
    let result = Entity::update_many()
        .set(model)
        .filter(Column::Id.eq(row.id))
        .filter(Column::Version.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    super::rollup::record(db, Some(old), &row).await?;
    Ok(Some(row))
}

pub async fn insert_step(db: &impl ConnectionTrait, row: StepRow) -> Result<StepRow, DbErr> {
    event_step::ActiveModel::from(row).insert(db).await
}

/// Timeline entries of these events, oldest first.
pub async fn steps_of(
    db: &impl ConnectionTrait,
    event_ids: &[Uuid],
) -> Result<Vec<StepRow>, DbErr> {
    Step::find()
        .filter(super::ids_in(
            db.get_database_backend(),
            event_step::Column::EventId,
            event_ids,
        ))
        .order_by_asc(event_step::Column::CreatedAt)
        .order_by_asc(event_step::Column::Id)
        .all(db)
        .await
}

/// Open events of a category captured since `since` inside a lat/lng box, within reach.
#[allow(clippy::too_many_arguments)]
pub async fn nearby_open(
    db: &impl ConnectionTrait,
    reach: &EventReach,
    category: &str,
    since: DateTime<Utc>,
    (lat0, lat1, lng0, lng1): (f64, f64, f64, f64),
    except: Uuid,
    limit: u64,
) -> Result<Vec<EventRow>, DbErr> {
    Entity::find()
        .filter(reachable(reach))
        .filter(Column::Category.eq(category))
        .filter(Column::CapturedAt.gte(since))
        .filter(Column::Lat.between(lat0, lat1))
        .filter(Column::Lng.between(lng0, lng1))
        .filter(Column::State.is_in(EventState::OPEN.iter().map(|s| s.as_str())))
        .filter(Column::Id.ne(except))
        .limit(limit)
        .all(db)
        .await
}

/// Grids in scope whose boundary box holds the point (the polygon test is the caller's).
pub async fn grids_around(
    db: &impl ConnectionTrait,
    scope: &Scope,
    lat: f64,
    lng: f64,
) -> Result<Vec<region::Model>, DbErr> {
    region::Entity::find()
        .filter(region::Column::Level.eq("GRID"))
        .filter(region::Column::BboxMinLat.lte(lat))
        .filter(region::Column::BboxMaxLat.gte(lat))
        .filter(region::Column::BboxMinLng.lte(lng))
        .filter(region::Column::BboxMaxLng.gte(lng))
        .filter(path_in_scope(region::Column::Path, scope))
        .limit(50)
        .all(db)
        .await
}

fn due_column(stage: DeadlineStage) -> (Column, Column, Column) {
    match stage {
        DeadlineStage::Accept => (
            Column::AcceptDueAt,
            Column::AcceptMetAt,
            Column::AcceptBreachedAt,
        ),
        DeadlineStage::Plan => (Column::PlanDueAt, Column::PlanMetAt, Column::PlanBreachedAt),
        DeadlineStage::Close => (
            Column::CloseDueAt,
            Column::CloseMetAt,
            Column::CloseBreachedAt,
        ),
    }
}

/// Events whose `stage` clock has run out unmet and is not yet marked breached.
pub async fn breach_candidates(
    db: &impl ConnectionTrait,
    stage: DeadlineStage,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<EventRow>, DbErr> {
    let (due, met, breached) = due_column(stage);
    Entity::find()
        .filter(due.lt(now))
        .filter(met.is_null())
        .filter(breached.is_null())
        .filter(Column::State.ne(EventState::Suspended.as_str()))
        .order_by_asc(due)
        .limit(limit)
        .all(db)
        .await
}

/// Marks one breach; `false` when another sweep (or a step that met the clock) came first.
pub async fn mark_breached(
    db: &impl ConnectionTrait,
    id: Uuid,
    stage: DeadlineStage,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let (due, met, breached) = due_column(stage);
    let result = Entity::update_many()
        .col_expr(breached, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(due.lt(now))
        .filter(met.is_null())
        .filter(breached.is_null())
        .filter(Column::State.ne(EventState::Suspended.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// All deadline rules, most specific first.
pub async fn deadline_rules(db: &impl ConnectionTrait) -> Result<Vec<DeadlineRuleRow>, DbErr> {
    Rule::find()
        .order_by_asc(deadline_rule::Column::Category)
        .order_by_asc(deadline_rule::Column::Priority)
        .all(db)
        .await
}

/// The rules that could apply to a category and priority ('*' is a wildcard).
pub async fn rules_for(
    db: &impl ConnectionTrait,
    category: &str,
    priority: &str,
) -> Result<Vec<DeadlineRuleRow>, DbErr> {
    Rule::find()
        .filter(deadline_rule::Column::Category.is_in([category, "*"]))
        .filter(deadline_rule::Column::Priority.is_in([priority, "*"]))
        .all(db)
        .await
}

pub async fn find_rule(
    db: &impl ConnectionTrait,
    category: &str,
    priority: &str,
) -> Result<Option<DeadlineRuleRow>, DbErr> {
    Rule::find()
        .filter(deadline_rule::Column::Category.eq(category))
        .filter(deadline_rule::Column::Priority.eq(priority))
        .one(db)
        .await
}

pub async fn save_rule(
    db: &impl ConnectionTrait,
    row: DeadlineRuleRow,
    exists: bool,
) -> Result<DeadlineRuleRow, DbErr> {
    let model = deadline_rule::ActiveModel::from(row);
    if exists {
        model.reset_all().update(db).await
    } else {
        model.insert(db).await
    }
}

pub async fn credit(db: &impl ConnectionTrait, row: LedgerRow) -> Result<LedgerRow, DbErr> {
    points_ledger::ActiveModel::from(row).insert(db).await
}

pub async fn ledger_of_event(
    db: &impl ConnectionTrait,
    event_id: Uuid,
) -> Result<Vec<LedgerRow>, DbErr> {
    Ledger::find()
        .filter(points_ledger::Column::EventId.eq(event_id))
        .all(db)
        .await
}

/// Ledger rows of one account, newest first.
pub async fn ledger_of_account(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    limit: u64,
) -> Result<Vec<LedgerRow>, DbErr> {
    Ledger::find()
        .filter(points_ledger::Column::AccountId.eq(account_id))
        .order_by_desc(points_ledger::Column::CreatedAt)
        .order_by_desc(points_ledger::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct LeaderRow {
    pub account_id: Uuid,
    pub points: i64,
    pub accepted_reports: i64,
    pub on_site_resolutions: i64,
}

/// Points and accepted reports per account for grids under `path`, in `[from, to)`, best first.
pub async fn leaderboard(
    db: &impl ConnectionTrait,
    path: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<LeaderRow>, DbErr> {
    let under = regions_in_scope(&Scope::within(path));
    let reason = |r: &str| {
        Expr::case(
            Expr::col(points_ledger::Column::Reason).eq(r),
            Expr::val(1i64),
        )
        .finally(Expr::val(0i64))
    };
    let reversal = crate::domain::event::PointsReason::Reversal.as_str();
    Ledger::find()
        .select_only()
        .column(points_ledger::Column::AccountId)
        .column_as(
            Expr::col(points_ledger::Column::Points)
                .sum()
                .cast_as("BIGINT"),
            "points",
        )
        // A reversed acceptance no longer counts as an accepted report.
        .column_as(
            Expr::expr(reason("REPORT_ACCEPTED"))
                .sum()
                .sub(Expr::expr(reason(reversal)).sum())
                .cast_as("BIGINT"),
            "accepted_reports",
        )
        .column_as(
            Expr::expr(reason("ON_SITE_RESOLUTION"))
                .sum()
                .cast_as("BIGINT"),
            "on_site_resolutions",
        )
        .filter(points_ledger::Column::GridId.in_subquery(under))
        .filter(points_ledger::Column::CreatedAt.gte(from))
        .filter(points_ledger::Column::CreatedAt.lt(to))
        .group_by(points_ledger::Column::AccountId)
        .order_by_desc(Expr::col(points_ledger::Column::Points).sum())
        .order_by_asc(points_ledger::Column::AccountId)
        .limit(limit)
        .into_model::<LeaderRow>()
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// `ByPosition` reads each column at its `Column` discriminant: that must be its place in the
    /// select `Entity::find()` writes.
    #[test]
    fn event_columns_are_selected_in_declaration_order() {
        let columns: Vec<Column> = Column::iter().collect();
        assert_eq!(columns.len(), EVENT_WIDTH);
        for (i, c) in columns.into_iter().enumerate() {
            assert_eq!(c as usize, i);
        }
    }

    #[test]
    fn aggregated_steps_read_whatever_the_sessions_time_zone_and_refuse_unknown_codes() {
        // As PostgreSQL writes a row under `TimeZone = 'Asia/Shanghai'`.
        let json = r#"[{"id":"01a2405a-9812-7738-92e9-bdb56b0839c2","event_id":"01a2405a-9812-7738-92e9-bdb56b0839c3","actor_account_id":null,"actor_name":"网格员","action":"REPORTED","from_state":null,"to_state":"REPORTED","note":"第一行\n\"引号\"","detail":null,"created_at":"2026-12-04T18:40:01.123456+08:00"}]"#;
        let steps: Vec<StepRow> = json_rows::<StepJson>(json)
            .unwrap()
            .into_iter()
            .map(StepRow::try_from)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(
            steps[0].created_at.to_rfc3339(),
            "2026-12-04T10:40:01.123456+00:00"
        );
        assert_eq!(steps[0].note.as_deref(), Some("第一行\n\"引号\""));
        assert_eq!(steps[0].to_state, Some(EventState::Reported));
        let unknown = json.replace(r#""action":"REPORTED""#, r#""action":"TELEPORTED""#);
        let decoded: Vec<StepJson> = json_rows(&unknown).unwrap();
        assert!(StepRow::try_from(decoded.into_iter().next().unwrap()).is_err());
        assert!(json_rows::<StepJson>("[{").is_err());
    }
}
