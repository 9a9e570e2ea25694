//! Reads: the `serviceItems` list, one item or claim, and whether a caller may see an item or a
//! claim (for their photos).
use super::{today, viewer, visible_item};
use crate::access::service_item::{self as access, ItemViewer, Viewer};
use crate::access::{Actor, Principal};
use crate::domain::page::PageRequest;
use crate::domain::service_item::{
    ServiceCategory, ServiceDirection, ServiceItemKind, ServiceItemState,
};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::region::RegionRow;
use crate::store::service_item::{self as store, ClaimRow, ItemFilter, ItemRow};
use uuid::Uuid;

/// Filters of `serviceItems`.
#[derive(Debug, Default, Clone)]
pub struct ItemQuery {
    pub region_id: Option<Uuid>,
    pub direction: Option<ServiceDirection>,
    pub kind: Option<ServiceItemKind>,
    pub category: Option<ServiceCategory>,
    pub state: Option<ServiceItemState>,
    pub claimable_by_me: bool,
}

/// The list, for a caller whose `viewer` the request already learnt (`viewer`).
pub async fn list_service_items(
    state: &AppState,
    actor: &Actor,
    viewer: &ItemViewer,
    query: ItemQuery,
    page: &PageRequest,
    with_regions: bool,
) -> AppResult<Vec<(ItemRow, Option<RegionRow>)>> {
    let me = &actor.principal;
    let staff = matches!(viewer.kind(), Viewer::Staff { .. } | Viewer::All);
    let within = crate::service::region::narrowing(state, me, query.region_id, staff).await?;
    let filter = ItemFilter {
        within,
        direction: query.direction,
        kind: query.kind,
        category: query.category,
        state: query.state,
        claimable: query
            .claimable_by_me
            .then(|| (access::claimant(me, viewer), today(state))),
    };
    // "Claimable by me" walks the newest items for the caller's own committees or regions:
    // the same plan whatever they are, so it is planned once.
    let db = if filter.claimable.is_some() {
        &state.keyed
    } else {
        &state.db
    };
    Ok(store::list_items(db, viewer, &filter, page, page.after_id()?, with_regions).await?)
}

pub async fn find_service_item(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ItemRow> {
    let viewer = viewer(&actor.principal)?;
    visible_item(state, &viewer, id).await
}

/// May this caller see the item (for its photos)? Grid members see no items.
pub async fn may_see_item(state: &AppState, me: &Principal, id: Uuid) -> AppResult<bool> {
    Ok(match viewer(me) {
        Ok(viewer) => store::find_item(&state.db, id, &viewer).await?.is_some(),
        Err(AppError::Forbidden(_)) => false,
        Err(e) => return Err(e),
    })
}

/// May this caller see the claim (for its completion photos)?
pub async fn may_see_claim(state: &AppState, me: &Principal, id: Uuid) -> AppResult<bool> {
    Ok(match viewer(me) {
        Ok(viewer) => store::find_claim(&state.db, id, &viewer).await?.is_some(),
        Err(AppError::Forbidden(_)) => false,
        Err(e) => return Err(e),
    })
}

pub async fn find_service_claim(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ClaimRow> {
    let viewer = viewer(&actor.principal)?;
    store::find_claim(&state.db, id, &viewer)
        .await?
        .ok_or_else(|| AppError::not_found("认领"))
}
