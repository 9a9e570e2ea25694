//! Figures for admins: the dashboard's blocks and the CSV export of events. Access is decided by
//! `access::figures`; every figure is one grouped statement in `store::figures`.
use crate::access::figures::figures_within;
use crate::access::resident::ResidentReach;
use crate::access::{Actor, Principal, Scope};
use crate::domain::event::{DeadlineStage, EventCategory, EventSource, EventState, ReporterKind};
use crate::domain::figures::Window;
use crate::domain::labels::Labelled;
use crate::domain::region::RegionLevel;
use crate::domain::service_item::shanghai_day_start;
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::figures::OpenClocks;
use crate::store::figures::{self as store, Cohort, Dimension};
use crate::store::region::{self, RegionRow};
use crate::store::rollup::{Counters, counter_name, month_key};
use crate::store::service_item::{self as items, Figures};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::OnceCell;
use uuid::Uuid;

/// What one dashboard covers: a region in the caller's scope and a window of days.
#[derive(Debug, Clone)]
pub struct DashboardScope {
    pub region: RegionRow,
    pub window: Window,
    pub within: Scope,
    /// The caller may see residents (counts by tag are shown only then).
    pub sees_residents: bool,
    /// The instant the figures are taken at (overdue now, pending clocks).
    pub now: DateTime<Utc>,
    /// Read once per dashboard, shared by the blocks that need them.
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    days: OnceCell<Vec<(NaiveDate, Counters)>>,
    open: OnceCell<OpenClocks>,
}

impl DashboardScope {
    pub fn cohort(&self) -> Cohort {
        Cohort {
            within: self.within.clone(),
            start: self.window.start(),
            end: self.window.end(),
            state: None,
            category: None,
        }
    }

    /// Above a grid, figures come from the daily rollups of its grids' parents; a grid's own
    /// dashboard counts its events directly (a few thousand rows at most).
    fn rolled_up(&self) -> bool {
        self.region.level != RegionLevel::Grid
    }

    async fn days(&self, state: &AppState) -> AppResult<&[(NaiveDate, Counters)]> {
        let days = self
            .shared
            .days
            .get_or_try_init(|| {
                store::rolled_up_days(&state.db, &self.within, self.window.from, self.window.to)
            })
            .await?;
        Ok(days)
    }

    /// The window's rollup counters added up.
    async fn sums(&self, state: &AppState) -> AppResult<Counters> {
        let mut sum = Counters::default();
        for (_, c) in self.days(state).await? {
            sum.add(c, 1);
        }
        Ok(sum)
    }

    async fn open(&self, state: &AppState) -> AppResult<&OpenClocks> {
        let open = self
            .shared
            .open
            .get_or_try_init(|| async {
                store::open_clocks(&state.db, &self.cohort(), self.now).await
            })
            .await?;
        Ok(open)
    }
}

/// Every value of `T` with its counter from the rollup.
fn counted<T: Labelled>(sums: &Counters, prefix: &str) -> Vec<Count> {
    T::all()
        .iter()
        .map(|v| Count {
            key: v.code(),
            label: v.label(),
            count: sums.of(prefix, v.code()),
        })
        .collect()
}

fn minutes(seconds: Option<f64>) -> Option<f64> {
    seconds.map(|secs| (secs / 60.0 * 10.0).round() / 10.0)
}

/// The region and window, checked: the window first (`BAD_USER_INPUT`), then who may see
/// figures (`FORBIDDEN`), then the region (`NOT_FOUND` outside the caller's scope).
async fn figures_region(
    state: &AppState,
    me: &Principal,
    region_id: Uuid,
) -> AppResult<(RegionRow, Scope)> {
    let region = region::find_unscoped(&state.db, region_id).await?;
    let within = figures_within(me, region.as_ref().map(|r| r.path.as_str()))?;
    let region = region.ok_or_else(|| AppError::not_found("regionId: 区域"))?;
    Ok((region, within))
}

pub async fn dashboard(
    state: &AppState,
    actor: &Actor,
    region_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<DashboardScope> {
    let window = Window::parse(from, to)?;
    let me = &actor.principal;
    let (region, within) = figures_region(state, me, region_id).await?;
    Ok(DashboardScope {
        region,
        window,
        within,
        sees_residents: ResidentReach::to_view(me).is_ok(),
        now: state.now(),
        shared: Arc::default(),
    })
}

/// A count of one enum value, with its code and zh-CN label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub key: &'static str,
    pub label: &'static str,
    pub count: i64,
}

/// Every value of `T`, in the enum's order, with its count (0 when absent). A stored code that
/// is not a value of `T` is `INTERNAL`.
fn counts_of<T: Labelled>(rows: Vec<(String, i64)>) -> AppResult<Vec<Count>> {
    let mut by_code: HashMap<String, i64> = rows.into_iter().collect();
    let out = T::all()
        .iter()
        .map(|v| Count {
            key: v.code(),
            label: v.label(),
            count: by_code.remove(v.code()).unwrap_or(0),
        })
        .collect();
    if let Some(code) = by_code.keys().next() {
        return Err(AppError::internal(anyhow::anyhow!(
            "unknown {} code {code:?} in the event table",
            T::ENUM
        )));
    }
    Ok(out)
}

/// The events block: totals, counts by state, category, source and reporter kind, overdue now,
/// the median minutes from report to close.
#[derive(Debug, Clone)]
pub struct EventFigures {
    pub total: i64,
    pub by_state: Vec<Count>,
    pub by_category: Vec<Count>,
    pub by_source: Vec<Count>,
    pub by_reporter_kind: Vec<Count>,
    pub overdue_now: i64,
    pub median_close_minutes: Option<f64>,
}

pub async fn event_figures(state: &AppState, scope: &DashboardScope) -> AppResult<EventFigures> {
    if scope.rolled_up() {
        let sums = scope.sums(state).await?;
        let median = store::rolled_up_median(
            &state.db,
            &scope.within,
            scope.window.from,
            scope.window.to,
            sums.get("closed_timed"),
        )
        .await?;
        return Ok(EventFigures {
            total: sums.get("reported"),
            by_state: counted::<EventState>(&sums, "state"),
            by_category: counted::<EventCategory>(&sums, "category"),
            by_source: counted::<EventSource>(&sums, "source"),
            by_reporter_kind: counted::<ReporterKind>(&sums, "kind"),
            overdue_now: scope.open(state).await?.overdue_now,
            median_close_minutes: minutes(median),
        });
    }
    let db = &state.db;
    let cohort = scope.cohort();
    let totals = store::totals(db, &cohort, scope.now).await?;
    let median = store::median_close_seconds(db, &cohort).await?;
    Ok(EventFigures {
        total: totals.total,
        by_state: counts_of::<EventState>(store::count_by(db, &cohort, Dimension::State).await?)?,
        by_category: counts_of::<EventCategory>(
            store::count_by(db, &cohort, Dimension::Category).await?,
        )?,
        by_source: counts_of::<EventSource>(
            store::count_by(db, &cohort, Dimension::Source).await?,
        )?,
        by_reporter_kind: counts_of::<ReporterKind>(
            store::count_by(db, &cohort, Dimension::ReporterKind).await?,
        )?,
        overdue_now: totals.overdue_now,
        median_close_minutes: minutes(median),
    })
}

/// One clock over the cohort.
#[derive(Debug, Clone)]
pub struct DeadlineFigures {
    pub stage: DeadlineStage,
    pub met: i64,
    pub breached: i64,
    pub pending: i64,
    /// met / (met + breached); `None` when no clock has been decided yet.
    pub on_time_rate: Option<f64>,
}

pub async fn deadline_figures(
    state: &AppState,
    scope: &DashboardScope,
) -> AppResult<Vec<DeadlineFigures>> {
    if scope.rolled_up() {
        let sums = scope.sums(state).await?;
        let open = scope.open(state).await?;
        let total = sums.get("reported");
        return Ok(open
            .unmet_breached
            .iter()
            .map(|(stage, unmet)| {
                let met = sums.of("met", stage.as_str());
                let breached = sums.of("late", stage.as_str()) + unmet;
                DeadlineFigures {
                    stage: *stage,
                    met,
                    breached,
                    pending: total - met - breached,
                    on_time_rate: on_time_rate(met, breached),
                }
            })
            .collect());
    }
    let totals = store::totals(&state.db, &scope.cohort(), scope.now).await?;
    Ok(totals
        .deadlines
        .into_iter()
        .map(|(stage, met, breached)| DeadlineFigures {
            stage,
            met,
            breached,
            pending: totals.total - met - breached,
            on_time_rate: on_time_rate(met, breached),
        })
        .collect())
}

fn on_time_rate(met: i64, breached: i64) -> Option<f64> {
    (met + breached > 0).then(|| met as f64 / (met + breached) as f64)
}

/// Events per grid of the window above a grid: whole months from the monthly rollup, the days
/// before the first and after the last whole month from the events.
async fn rolled_up_grid_counts(
    state: &AppState,
    scope: &DashboardScope,
) -> AppResult<Vec<(Uuid, i64)>> {
    let Window { from, to } = scope.window;
    let end = to + Days::new(1);
    // The whole months are [first_whole, last_whole_ends).
    let first_whole = if from.day() == 1 {
        from
    } else {
        first_of_next_month(from)
    };
    let last_whole_ends = if end.day() == 1 {
        end
    } else {
        to.with_day(1).unwrap_or(to)
    };
    let live = |start: NaiveDate, end: NaiveDate| {
        let mut cohort = scope.cohort();
        cohort.start = shanghai_day_start(start);
        cohort.end = shanghai_day_start(end);
        cohort
    };
    if first_whole >= last_whole_ends {
        return Ok(store::grid_counts(&state.db, &live(from, end)).await?);
    }
    let mut counts = store::rolled_up_grid_counts(
        &state.db,
        &scope.within,
        &month_key(first_whole),
        &month_key(last_whole_ends - Days::new(1)),
    )
    .await?;
    if from < first_whole {
        counts.extend(store::grid_counts(&state.db, &live(from, first_whole)).await?);
    }
    if last_whole_ends < end {
        counts.extend(store::grid_counts(&state.db, &live(last_whole_ends, end)).await?);
    }
    Ok(counts)
}

fn first_of_next_month(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day)
}

/// The busiest grids: (grid, events), most first.
pub async fn busiest_grids(
    state: &AppState,
    scope: &DashboardScope,
    first: i32,
) -> AppResult<Vec<(RegionRow, i64)>> {
    if !(1..=100).contains(&first) {
        return Err(AppError::bad_input("first", "first 须在 1 到 100 之间"));
    }
    let parts = if scope.rolled_up() {
        rolled_up_grid_counts(state, scope).await?
    } else {
        store::grid_counts(&state.db, &scope.cohort()).await?
    };
    let mut by_grid: HashMap<Uuid, i64> = HashMap::new();
    for (grid, n) in parts {
        *by_grid.entry(grid).or_default() += n;
    }
    let mut counts: Vec<(Uuid, i64)> = by_grid.into_iter().filter(|(_, n)| *n > 0).collect();
    // Most first, then by id.
    counts.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts.truncate(first as usize);
    let ids: Vec<Uuid> = counts.iter().map(|(id, _)| *id).collect();
    let grids: HashMap<Uuid, RegionRow> = region::find_many(&state.db, &ids, &scope.within)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(counts
        .into_iter()
        .filter_map(|(id, n)| grids.get(&id).cloned().map(|g| (g, n)))
        .collect())
}

/// Service claiming in the region's subtree over the window (the follow-through figures of its
/// committees, added up).
pub async fn service_figures(state: &AppState, scope: &DashboardScope) -> AppResult<Figures> {
    let committees = items::committees_follow_through(
        &state.db,
        &scope.within,
        scope.window.start(),
        scope.window.end(),
    )
    .await?;
    Ok(committees
        .into_iter()
        .fold(Figures::default(), |mut sum, (_, f)| {
            sum.add(&f);
            sum
        }))
}

/// Residents in the region per tag, counts only; `None` for a caller who sees no residents.
pub async fn residents_by_tag(
    state: &AppState,
    scope: &DashboardScope,
) -> AppResult<Option<Vec<Count>>> {
    if !scope.sees_residents {
        return Ok(None);
    }
    let rows = store::residents_by_tag(&state.db, &scope.within).await?;
    Ok(Some(
        rows.into_iter()
            .map(|(tag, count)| Count {
                key: tag.code(),
                label: tag.label(),
                count,
            })
            .collect(),
    ))
}

/// One day of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub day: NaiveDate,
    pub reported: i64,
    pub closed: i64,
    pub breached: i64,
}

/// One entry per day of the window, days with nothing included.
pub async fn daily(state: &AppState, scope: &DashboardScope) -> AppResult<Vec<Day>> {
    let figures = if scope.rolled_up() {
        let days = scope.days(state).await?;
        let pick = |name: &str| -> Vec<(NaiveDate, i64)> {
            days.iter().map(|(d, c)| (*d, c.get(name))).collect()
        };
        let mut breached =
            store::breached_by_due_day(&state.db, &scope.cohort(), scope.now, true).await?;
        for stage in DeadlineStage::ALL {
            breached.extend(pick(&counter_name("late_on", stage.as_str())));
        }
        store::Daily {
            reported: pick("reported"),
            closed: pick("closed_on"),
            breached,
        }
    } else {
        store::daily(&state.db, &scope.cohort(), scope.now).await?
    };
    let mut days: Vec<Day> = scope
        .window
        .days()
        .into_iter()
        .map(|day| Day {
            day,
            reported: 0,
            closed: 0,
            breached: 0,
        })
        .collect();
    let index = |d: NaiveDate| (d - scope.window.from).num_days();
    let mut add = |list: Vec<(NaiveDate, i64)>, pick: fn(&mut Day) -> &mut i64| {
        for (d, n) in list {
            if let Some(day) = usize::try_from(index(d)).ok().and_then(|i| days.get_mut(i)) {
                *pick(day) += n;
            }
        }
    };
    add(figures.reported, |d| &mut d.reported);
    add(figures.closed, |d| &mut d.closed);
    add(figures.breached, |d| &mut d.breached);
    Ok(days)
}

/// What one CSV export takes: a region and window, optionally one state and one category.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub region_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub state: Option<EventState>,
    pub category: Option<EventCategory>,
}

/// An export allowed and audited: the cohort to page through.
#[derive(Debug, Clone)]
pub struct Export {
    pub cohort: Cohort,
    pub rows: i64,
    pub now: DateTime<Utc>,
}

/// Checks the caller and the window, counts the rows and writes the audit entry (who took
/// which rows, PIPL) before anything is sent. Events reported after this moment are left out,
/// so the count holds while the pages stream.
pub async fn start_export(
    state: &AppState,
    actor: &Actor,
    request: &ExportRequest,
) -> AppResult<Export> {
    let window = Window::parse(request.from, request.to)?;
    let me = &actor.principal;
    let (region, within) = match figures_region(state, me, request.region_id).await {
        Ok(found) => found,
        Err(refusal @ (AppError::Forbidden(_) | AppError::NotFound(_))) => {
            return Err(export_denied(state, actor, request, refusal).await);
        }
        Err(e) => return Err(e),
    };
    let now = state.now();
    let cohort = Cohort {
        within,
        start: window.start(),
        end: window.end().min(now + chrono::Duration::seconds(1)),
        state: request.state,
        category: request.category,
    };
    let rows = store::count(&state.db, &cohort).await?;
    audit::record(
        &state.db,
        Some(actor),
        now,
        Entry {
            action: "EXPORT_EVENTS",
            target_type: "region",
            target_id: Some(region.id),
            region_id: Some(region.id),
            outcome: Outcome::Success,
            detail: Some(json!({
                "from": request.from,
                "to": request.to,
                "state": request.state.map(|s| s.as_str()),
                "category": request.category.map(|c| c.as_str()),
                "rows": rows,
            })),
        },
    )
    .await?;
    Ok(Export { cohort, rows, now })
}

/// Writes a refused export (out of scope, or a caller who sees no figures) to the audit log as
/// `DENIED`, under the caller's own region so its admins see the attempt, and hands the refusal
/// back.
async fn export_denied(
    state: &AppState,
    actor: &Actor,
    request: &ExportRequest,
    refusal: AppError,
) -> AppError {
    let written = audit::record(
        &state.db,
        Some(actor),
        state.now(),
        Entry {
            action: "EXPORT_EVENTS",
            target_type: "region",
            target_id: Some(request.region_id),
            region_id: actor.principal.region_id,
            outcome: Outcome::Denied,
            detail: Some(json!({
                "from": request.from,
                "to": request.to,
                "state": request.state.map(|s| s.as_str()),
                "category": request.category.map(|c| c.as_str()),
                "refused": refusal.code(),
            })),
        },
    )
    .await;
    match written {
        Ok(()) => refusal,
        Err(e) => e.into(),
    }
}

/// The export's header row (zh-CN), in the order of `export_cells`.
pub const EXPORT_HEADERS: [&str; 17] = [
    "事件编号",
    "标题",
    "类别",
    "状态",
    "网格",
    "社区",
    "上报人类型",
    "上报时间",
    "受理时限",
    "受理是否按时",
    "方案时限",
    "方案是否按时",
    "办结时限",
    "办结是否按时",
    "承办单位",
    "结案时间",
    "满意度",
];

/// An instant as an Asia/Shanghai wall-clock time.
fn shanghai_time(at: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    at.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn label_of<T: Labelled>(code: &str) -> AppResult<&'static str> {
    T::all()
        .iter()
        .find(|v| v.code() == code)
        .map(|v| v.label())
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown {} code {code:?}", T::ENUM)))
}

/// One exported event as CSV cells: zh-CN labels, Asia/Shanghai times, never the reporter's
/// name or phone, every cell neutralised against formulas.
pub fn export_cells(row: &store::ExportRow, now: DateTime<Utc>) -> AppResult<Vec<String>> {
    use crate::domain::event::{Clock, deadline_status};
    use crate::domain::figures::neutralise_cell;
    let clock = |due_at, met_at, minutes: i32| {
        let status = deadline_status(
            Clock {
                due_at,
                met_at,
                minutes: i64::from(minutes),
            },
            now,
            row.suspended_at,
        );
        (shanghai_time(due_at), status.label().to_owned())
    };
    let (accept_due, accept) = clock(row.accept_due_at, row.accept_met_at, row.accept_minutes);
    let (plan_due, plan) = clock(row.plan_due_at, row.plan_met_at, row.plan_minutes);
    let (close_due, close) = clock(row.close_due_at, row.close_met_at, row.close_minutes);
    let closed_at = match (row.state.as_str(), row.close_met_at) {
        ("CLOSED", Some(at)) => shanghai_time(at),
        _ => String::new(),
    };
    let cells = [
        row.id.to_string(),
        row.title.clone(),
        label_of::<EventCategory>(&row.category)?.to_owned(),
        label_of::<EventState>(&row.state)?.to_owned(),
        row.grid.clone(),
        row.community.clone().unwrap_or_default(),
        label_of::<ReporterKind>(&row.reporter_kind)?.to_owned(),
        shanghai_time(row.reported_at),
        accept_due,
        accept,
        plan_due,
        plan,
        close_due,
        close,
        row.unit.clone().unwrap_or_default(),
        closed_at,
        row.satisfaction.map(|s| s.to_string()).unwrap_or_default(),
    ];
    Ok(cells
        .iter()
        .map(|c| neutralise_cell(c).into_owned())
        .collect())
}
