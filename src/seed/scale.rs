//! `gridhub seed scale`: city-sized synthetic data for benchmarks — a tree of sub-districts,
//! communities and grids, and events spread over the grids and the last year, written in
//! multi-row batches straight into the tables (no audit entries, no timelines). Runs on both
//! databases; not for production.
use crate::domain::event::{
    DeadlinePolicy, EventCategory, EventPriority, EventSource, EventState, ReporterKind,
};
use crate::domain::people::Occupation;
use crate::domain::region::{GridKind, RegionLevel, child_path};
use crate::error::AppResult;
use crate::service::account::create_city_admin;
use crate::state::AppState;
use crate::store::entity::{event, region};
use chrono::Duration;
use sea_orm::{EntityTrait, TransactionTrait};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct ScaleSizes {
    pub sub_districts: usize,
    pub communities_per_sub_district: usize,
    pub grids_per_community: usize,
    pub events: usize,
}

#[derive(Debug, Default)]
pub struct ScaleReport {
    pub regions: usize,
    pub events: usize,
    /// A grid holding events, for benchmark queries.
    pub sample_grid: Option<Uuid>,
}

/// Rows per INSERT: 500 events × 45 columns stays under both databases' bind-parameter limits.
const BATCH: usize = 500;

/// Deterministic pseudo-random numbers (xorshift), so two runs make the same shape of data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

pub async fn scale(
    state: &AppState,
    sizes: ScaleSizes,
    reporter_phone: &str,
    reporter_password: &str,
) -> AppResult<ScaleReport> {
    let now = state.now();
    let reporter =
        create_city_admin(state, reporter_phone, "规模数据上报人", reporter_password).await?;
    let mut report = ScaleReport::default();
    let mut regions = Vec::new();
    let mut grids = Vec::new();
    let mut make = |parent: Option<&region::Model>, level: RegionLevel, name: String| {
        let id = Uuid::now_v7();
        let row = region::Model {
            id,
            parent_id: parent.map(|p| p.id),
            level,
            name,
            code: None,
            grid_kind: (level == RegionLevel::Grid).then_some(GridKind::Residential),
            boundary: None,
            bbox_min_lng: None,
            bbox_min_lat: None,
            bbox_max_lng: None,
            bbox_max_lat: None,
            path: child_path(parent.map(|p| p.path.as_str()), id),
            depth: parent.map_or(0, |p| p.depth + 1),
            created_at: now,
            updated_at: now,
        };
        regions.push(row.clone());
        row
    };
    for s in 0..sizes.sub_districts {
        let sd = make(None, RegionLevel::SubDistrict, format!("规模街道{s:03}"));
        for c in 0..sizes.communities_per_sub_district {
            let community = make(
                Some(&sd),
                RegionLevel::Community,
                format!("规模社区{s:03}-{c:03}"),
            );
            for g in 0..sizes.grids_per_community {
                let grid = make(
                    Some(&community),
                    RegionLevel::Grid,
                    format!("规模网格{s:03}-{c:03}-{g:02}"),
                );
                grids.push(grid.id);
            }
        }
    }
    report.regions = regions.len();
    for chunk in regions.chunks(BATCH) {
        region::Entity::insert_many(chunk.iter().cloned().map(region::ActiveModel::from))
            .exec(&state.db)
            .await?;
    }

    let policy = DeadlinePolicy::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let states = [
        EventState::Reported,
        EventState::Accepted,
        EventState::Dispatched,
        EventState::InProgress,
        EventState::Resolved,
        EventState::Closed,
        EventState::Closed,
        EventState::Closed,
    ];
    let mut done = 0;
    while done < sizes.events {
        let n = BATCH.min(sizes.events - done);
        let rows: Vec<event::ActiveModel> = (0..n)
            .map(|_| {
                let grid = grids[rng.below(grids.len())];
                let category = EventCategory::ALL[rng.below(EventCategory::ALL.len())];
                let state_now = states[rng.below(states.len())];
                let captured = now - Duration::minutes(rng.below(365 * 24 * 60) as i64 + 10);
                let due = |m: i64| captured + Duration::minutes(m);
                let met = |after: i64| {
                    (!matches!(state_now, EventState::Reported))
                        .then(|| captured + Duration::minutes(after))
                };
                event::ActiveModel::from(event::Model {
                    id: Uuid::now_v7(),
                    reporter_account_id: reporter.id,
                    reporter_name: "规模数据上报人".into(),
                    reporter_kind: ReporterKind::PartTime,
                    reporter_occupation: Some(Occupation::DeliveryRider),
                    payload_hash: String::new(),
                    grid_id: grid,
                    category,
                    source: EventSource::Patrol,
                    priority: EventPriority::Normal,
                    title: format!("规模事件 {}", category.as_str()),
                    description: "合成数据".into(),
                    address: None,
                    lat: 22.70 + rng.below(10_000) as f64 * 1e-5,
                    lng: 112.90 + rng.below(10_000) as f64 * 1e-5,
                    captured_at: captured,
                    reported_at: captured + Duration::seconds(rng.below(600) as i64),
                    state: state_now,
                    resume_state: None,
                    suspended_at: None,
                    paused_seconds: 0,
                    level: RegionLevel::Community,
                    assigned_unit_id: None,
                    resolution: None,
                    satisfaction: None,
                    duplicate_of_id: None,
                    merged_into_id: None,
                    accept_minutes: policy.accept_minutes as i32,
                    plan_minutes: policy.plan_minutes as i32,
                    close_minutes: policy.close_minutes as i32,
                    accept_due_at: due(policy.accept_minutes),
                    plan_due_at: due(policy.plan_minutes),
                    close_due_at: due(policy.close_minutes),
                    accept_met_at: met(30),
                    plan_met_at: met(600),
                    close_met_at: (state_now == EventState::Closed)
                        .then(|| captured + Duration::days(3)),
                    accept_breached_at: None,
                    plan_breached_at: None,
                    close_breached_at: None,
                    version: 0,
                    updated_at: now,
                })
            })
            .collect();
        let txn = state.db.begin().await?;
        event::Entity::insert_many(rows).exec(&txn).await?;
        txn.commit().await?;
        done += n;
        if done % 100_000 == 0 {
            tracing::info!(done, "events written");
        }
    }
    report.events = done;
    report.sample_grid = grids.first().copied();
    Ok(report)
}
