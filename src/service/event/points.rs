//! Points: the ledger rows a workflow step earns, and the leaderboard over them.
use crate::access::{Actor, Principal};
use crate::domain::event::{PointsReason, ReporterKind, Resolution, Step};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::event::{self as store, EventRow, LedgerRow};
use crate::store::region;
use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// Ledger rows a step earns (each at most once per event and reason).
pub(super) async fn award_points(
    state: &AppState,
    db: &impl ConnectionTrait,
    event: &EventRow,
    step: Step,
    principal: &Principal,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let points = state.settings.points;
    let earned = store::ledger_of_event(db, event.id).await?;
    let has = |reason: PointsReason| earned.iter().any(|r| r.reason == reason);
    let reporter_earns = event.reporter_kind != ReporterKind::Staff;
    let credit = |account_id, reason: PointsReason, amount| LedgerRow {
        id: Uuid::now_v7(),
        account_id,
        event_id: event.id,
        grid_id: event.grid_id,
        reason,
        points: amount,
        created_at: now,
    };
    let mut rows = Vec::new();
    match step {
        // A valid report pays when a triager accepts it, or when it is closed without ever
        // having been accepted (resolved on the spot).
        Step::Accept | Step::Close if reporter_earns && !has(PointsReason::ReportAccepted) => {
            rows.push(credit(
                event.reporter_account_id,
                PointsReason::ReportAccepted,
                points.report_accepted,
            ));
        }
        Step::Resolve(Resolution::OnSite)
            if principal.role == Role::GridMember && !has(PointsReason::OnSiteResolution) =>
        {
            rows.push(credit(
                principal.account_id,
                PointsReason::OnSiteResolution,
                points.on_site_resolution,
            ));
        }
        Step::MergeAway if has(PointsReason::ReportAccepted) && !has(PointsReason::Reversal) => {
            // A duplicate earns nothing: the credit is reversed by a new row, never edited.
            let paid = earned
                .iter()
                .find(|r| r.reason == PointsReason::ReportAccepted)
                .map_or(0, |r| r.points);
            rows.push(credit(
                event.reporter_account_id,
                PointsReason::Reversal,
                -paid,
            ));
        }
        _ => {}
    }
    for row in rows {
        store::credit(db, row).await?;
    }
    Ok(())
}

pub struct LeaderEntry {
    pub rank: usize,
    pub account_id: Uuid,
    pub name: String,
    pub points: i64,
    pub accepted_reports: i64,
    pub on_site_resolutions: i64,
}

/// Points earned in grids under a region in scope over `[from, to)`.
pub async fn leaderboard(
    state: &AppState,
    actor: &Actor,
    region_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<LeaderEntry>> {
    if to <= from {
        return Err(AppError::bad_input("to", "结束时间须晚于开始时间"));
    }
    if to - from > Duration::days(366) {
        return Err(AppError::bad_input("to", "时间范围不能超过一年"));
    }
    let region = region::find(&state.db, region_id, &actor.principal.scope)
        .await?
        .ok_or_else(|| AppError::bad_input("regionId", "区域不存在或不在您的范围内"))?;
    let rows = store::leaderboard(&state.db, &region.path, from, to, limit).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.account_id).collect();
    let names = crate::store::account::find_many_unscoped(&state.db, &ids).await?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| LeaderEntry {
            rank: i + 1,
            name: names
                .iter()
                .find(|a| a.id == r.account_id)
                .map_or_else(String::new, |a| a.name.clone()),
            account_id: r.account_id,
            points: r.points,
            accepted_reports: r.accepted_reports,
            on_site_resolutions: r.on_site_resolutions,
        })
        .collect())
}
