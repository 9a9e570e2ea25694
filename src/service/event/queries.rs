//! Reads: one event, lists with filters, possible duplicates near an event, and whether a caller
//! may see an event (for its photos).
use crate::access::event::EventReach;
use crate::access::{Actor, Principal};
use crate::domain::event as rules;
use crate::domain::region::RegionLevel;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::event::{
    self as store, Along, EventDetail, EventFilter, EventRow, Listed, RowRead,
};
use crate::store::region;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// The event with what `along` asks read in its statement (`store::event::find_detail`).
pub async fn get_detail(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    along: Along,
) -> AppResult<EventDetail> {
    store::find_detail(&state.keyed, id, &EventReach::of(&actor.principal), along)
        .await?
        .ok_or_else(|| AppError::not_found("事件"))
}

/// May this caller see the event (for its photos and its timeline entries' photos)?
pub async fn may_see_event(state: &AppState, me: &Principal, id: Uuid) -> AppResult<bool> {
    Ok(store::find(&state.db, id, &EventReach::of(me))
        .await?
        .is_some())
}

/// `%text%` for LIKE (escape character `\\`), with wildcards in the text taken literally.
pub fn like_pattern(text: &str) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 50 {
        return Err(AppError::bad_input(
            "filter.text",
            "搜索词须为 1 到 50 个字",
        ));
    }
    Ok(crate::domain::search::contains_pattern(text))
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    mut filter: EventFilter,
    region_id: Option<Uuid>,
    limit: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
    read: RowRead,
) -> AppResult<Vec<Listed>> {
    if let Some(id) = region_id {
        let me = &actor.principal;
        // The caller's own region (a community worker's console) is known from its session.
        let (path, level) = match (me.region_id, &me.region_path, me.region_level) {
            (Some(own), Some(path), Some(level)) if own == id && me.scope.contains_path(path) => {
                (path.clone(), level)
            }
            _ => {
                let region = region::find(&state.keyed, id, &me.scope)
                    .await?
                    .ok_or_else(|| {
                        AppError::bad_input("filter.regionId", "区域不存在或不在您的范围内")
                    })?;
                (region.path, region.level)
            }
        };
        filter.region_path = Some(path);
        filter.region_few_grids = matches!(
            level,
            RegionLevel::Community | RegionLevel::Grid | RegionLevel::Compound
        );
    }
    Ok(store::list(
        &state.db,
        &state.keyed,
        &EventReach::of(&actor.principal),
        &filter,
        state.now(),
        limit,
        after,
        read,
    )
    .await?)
}

/// Open events of the same category within `radius_m` metres captured in the 72 hours before
/// this one, in the caller's reach, nearest first.
pub async fn possible_duplicates(
    state: &AppState,
    actor: &Actor,
    event_id: Uuid,
    radius_m: f64,
) -> AppResult<Vec<(EventRow, f64)>> {
    let reach = EventReach::of(&actor.principal);
    let event = store::find(&state.db, event_id, &reach)
        .await?
        .ok_or_else(|| AppError::not_found("事件"))?;
    let here = (event.lat, event.lng);
    let candidates = store::nearby_open(
        &state.db,
        &reach,
        event.category.as_str(),
        event.captured_at - Duration::hours(72),
        rules::bounding_box(event.lat, event.lng, radius_m),
        event.id,
        200,
    )
    .await?;
    let mut near: Vec<(EventRow, f64)> = candidates
        .into_iter()
        .map(|e| {
            let d = rules::distance_m(here, (e.lat, e.lng));
            (e, d)
        })
        .filter(|(_, d)| *d <= radius_m)
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(near)
}
