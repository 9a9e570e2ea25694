//! Follow-through figures of committees and member units over a period of days.
use crate::access::{Actor, Scope};
use crate::domain::service_item::shanghai_day_start;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::region::{self, RegionRow};
use crate::store::service_item::{self as store, Figures};
use chrono::NaiveDate;
use uuid::Uuid;

/// Follow-through of committees and units over a period of Asia/Shanghai days.
pub struct FollowThrough {
    pub region: Option<RegionRow>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub committees: Vec<(Uuid, Figures)>,
    pub units: Vec<(Uuid, Figures)>,
}

/// Items posted, claims made, completed, verified, withdrawn and released for inaction, and
/// people served, per committee and per member unit, for the committees in `region_id`'s subtree
/// (default: the caller's scope), over the days `from..=to`. Community workers and above.
pub async fn follow_through(
    state: &AppState,
    actor: &Actor,
    region_id: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<FollowThrough> {
    let me = &actor.principal;
    crate::service::require_staff(actor, "只有社区工作者及以上可以查看认领履约情况")?;
    if to < from {
        return Err(AppError::bad_input("to", "结束日期早于开始日期"));
    }
    if (to - from).num_days() > 731 {
        return Err(AppError::bad_input("to", "统计区间最长两年"));
    }
    let region = match region_id {
        Some(id) => Some(
            region::find(&state.db, id, &me.scope)
                .await?
                .ok_or_else(|| {
                    AppError::NotFound("regionId: 区域不存在或不在您的管辖范围内".into())
                })?,
        ),
        None => None,
    };
    let within = match &region {
        Some(r) => Scope::within(&r.path),
        None => me.scope.clone(),
    };
    let lo = shanghai_day_start(from);
    let hi = shanghai_day_start(to + chrono::Days::new(1));
    let (committees, units) = store::follow_through(&state.db, &within, lo, hi).await?;
    Ok(FollowThrough {
        region,
        from,
        to,
        committees,
        units,
    })
}
