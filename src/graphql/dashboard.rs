//! `dashboard`: figures for admins (DESIGN §8) over a region's subtree and a window of
//! Asia/Shanghai days. Each block is computed, in SQL, only when it is asked for.
use super::region::Region;
use super::{actor, state};
use crate::domain::event::DeadlineStage;
use crate::service::figures::{self as service, Count, DashboardScope};
use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::NaiveDate;
use uuid::Uuid;

fn int(n: i64) -> i32 {
    n.clamp(0, i64::from(i32::MAX)) as i32
}

/// How many rows hold one value of an enum.
#[derive(SimpleObject)]
pub struct DashboardCount {
    /// The enum value (e.g. `CLOSED`, `PART_TIME`).
    pub key: String,
    /// Its zh-CN label.
    pub label: String,
    pub count: i32,
}

impl From<Count> for DashboardCount {
    fn from(c: Count) -> Self {
        DashboardCount {
            key: c.key.to_owned(),
            label: c.label.to_owned(),
            count: int(c.count),
        }
    }
}

fn counts(list: Vec<Count>) -> Vec<DashboardCount> {
    list.into_iter().map(DashboardCount::from).collect()
}

/// Events reported in the window in the region's subtree.
#[derive(SimpleObject)]
pub struct DashboardEvents {
    pub total: i32,
    /// Every state, in order, with its count (0 included).
    pub by_state: Vec<DashboardCount>,
    pub by_category: Vec<DashboardCount>,
    pub by_source: Vec<DashboardCount>,
    /// How much the gig workers (part-time grid members) contribute.
    pub by_reporter_kind: Vec<DashboardCount>,
    /// Of these events, how many have some clock run out unmet now (as `events(filter:
    /// {overdue: true})`).
    pub overdue_now: i32,
    /// The median minutes from report to close of those closed (one decimal); `null` if none.
    pub median_close_minutes: Option<f64>,
}

/// One clock over the window's events.
#[derive(SimpleObject)]
pub struct DashboardDeadline {
    pub stage: DeadlineStage,
    /// Met in time.
    pub met: i32,
    /// Met late, or run out unmet (time stands still while an event is suspended).
    pub breached: i32,
    /// Still running.
    pub pending: i32,
    /// met / (met + breached), 0 to 1; `null` before any clock is decided.
    pub on_time_rate: Option<f64>,
}

#[derive(SimpleObject)]
pub struct DashboardGrid {
    pub grid: Region,
    /// Events reported in the grid in the window.
    pub count: i32,
}

/// Service claiming, meetings and activities of the committees in the region's subtree, counted
/// by the day each step happened (each meeting or activity was held) in the window.
#[derive(SimpleObject)]
pub struct DashboardService {
    /// Needs and offers posted.
    pub posted: i32,
    pub claimed: i32,
    pub completed: i32,
    pub verified: i32,
    /// Claims released because nothing was started by the due day.
    pub released: i32,
    pub people_served: i32,
    /// Joint meetings (联席会议) of the committees, by the day held.
    pub meetings: i32,
    /// Co-building activities (共建活动) of the committees, by the day held.
    pub activities: i32,
    /// People those meetings and activities reached.
    pub people_reached: i32,
}

/// One Asia/Shanghai day of the window.
#[derive(SimpleObject)]
pub struct DashboardDay {
    pub day: NaiveDate,
    /// Events reported that day.
    pub reported: i32,
    /// Events of the region closed that day, whenever they were reported.
    pub closed: i32,
    /// Clocks of the region's events that fell due that day and ran out: met late, or still
    /// unmet now.
    pub breached: i32,
}

pub struct Dashboard(DashboardScope);

#[Object]
impl Dashboard {
    async fn region(&self) -> Region {
        Region::from(self.0.region.clone())
    }

    async fn from(&self) -> NaiveDate {
        self.0.window.from
    }

    async fn to(&self) -> NaiveDate {
        self.0.window.to
    }

    async fn events(&self, ctx: &Context<'_>) -> Result<DashboardEvents> {
        let f = service::event_figures(state(ctx), &self.0).await?;
        Ok(DashboardEvents {
            total: int(f.total),
            by_state: counts(f.by_state),
            by_category: counts(f.by_category),
            by_source: counts(f.by_source),
            by_reporter_kind: counts(f.by_reporter_kind),
            overdue_now: int(f.overdue_now),
            median_close_minutes: f.median_close_minutes,
        })
    }

    /// ACCEPT, PLAN and CLOSE.
    async fn deadlines(&self, ctx: &Context<'_>) -> Result<Vec<DashboardDeadline>> {
        Ok(service::deadline_figures(state(ctx), &self.0)
            .await?
            .into_iter()
            .map(|d| DashboardDeadline {
                stage: d.stage,
                met: int(d.met),
                breached: int(d.breached),
                pending: int(d.pending),
                on_time_rate: d.on_time_rate,
            })
            .collect())
    }

    /// The grids with the most events in the window, most first (1 to 100).
    async fn busiest_grids(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> Result<Vec<DashboardGrid>> {
        Ok(service::busiest_grids(state(ctx), &self.0, first)
            .await?
            .into_iter()
            .map(|(grid, n)| DashboardGrid {
                grid: Region::from(grid),
                count: int(n),
            })
            .collect())
    }

    async fn service(&self, ctx: &Context<'_>) -> Result<DashboardService> {
        let f = service::service_figures(state(ctx), &self.0).await?;
        Ok(DashboardService {
            posted: int(f.items_posted),
            claimed: int(f.claims_made),
            completed: int(f.claims_completed),
            verified: int(f.claims_verified),
            released: int(f.claims_released),
            people_served: int(f.people_served),
            meetings: int(f.meetings),
            activities: int(f.activities),
            people_reached: int(f.people_reached),
        })
    }

    /// Residents of the region now, per tag: counts only. `null` for a caller who may not see
    /// residents (every dashboard caller is staff today, so it is always there).
    async fn residents_by_tag(&self, ctx: &Context<'_>) -> Result<Option<Vec<DashboardCount>>> {
        Ok(service::residents_by_tag(state(ctx), &self.0)
            .await?
            .map(counts))
    }

    /// One entry per day of the window, days with nothing included.
    async fn daily(&self, ctx: &Context<'_>) -> Result<Vec<DashboardDay>> {
        Ok(service::daily(state(ctx), &self.0)
            .await?
            .into_iter()
            .map(|d| DashboardDay {
                day: d.day,
                reported: int(d.reported),
                closed: int(d.closed),
                breached: int(d.breached),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// Figures for a region in your scope over the Asia/Shanghai days `from..=to` (at most 366):
    /// events reported there in that window. Community workers and above; a region outside your
    /// scope is `NOT_FOUND`, anyone else `FORBIDDEN`; a wrong window `BAD_USER_INPUT` (`to`).
    async fn dashboard(
        &self,
        ctx: &Context<'_>,
        region_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Dashboard> {
        let actor = actor(ctx)?;
        Ok(Dashboard(
            service::dashboard(state(ctx), actor, region_id, from, to).await?,
        ))
    }
}
