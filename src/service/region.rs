//! The region tree: admins build and reshape it below their own scope.
use crate::access::cache::{Revoked, announce};
use crate::access::{Actor, Scope};
use crate::domain::page::PageRequest;
use crate::domain::region::{
    Boundary, GridKind, RegionLevel, child_path, is_within, parse_region_code, parse_region_name,
};
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::region::{self, RegionFilter, RegionRow};
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

pub struct NewRegion {
    pub parent_id: Option<Uuid>,
    pub level: RegionLevel,
    pub name: String,
    pub code: Option<String>,
    pub grid_kind: Option<GridKind>,
    pub boundary: Option<Value>,
}

/// A change to a region; `None` leaves a field as it is. `boundary: Some(None)` clears it.
#[derive(Default)]
pub struct RegionChange {
    pub name: Option<String>,
    pub code: Option<Option<String>>,
    pub grid_kind: Option<GridKind>,
    pub boundary: Option<Option<Value>>,
    pub parent_id: Option<Uuid>,
}

fn region_not_found(field: &str) -> AppError {
    AppError::NotFound(format!("{field}: 区域不存在或不在您的管辖范围内"))
}

/// A region in `scope` whose level is one of `levels`: `NOT_FOUND` outside scope,
/// `BAD_USER_INPUT` on `field` with `message` at another level.
pub(crate) async fn find_at_level(
    state: &AppState,
    scope: &Scope,
    field: &str,
    id: Uuid,
    levels: &[RegionLevel],
    message: &str,
) -> AppResult<RegionRow> {
    let row = region::find(&state.db, id, scope)
        .await?
        .ok_or_else(|| region_not_found(field))?;
    if !levels.contains(&row.level) {
        return Err(AppError::bad_input(field, message));
    }
    Ok(row)
}

fn nesting_error(level: RegionLevel, parent: Option<RegionLevel>) -> AppError {
    let parent = parent.map_or("顶层", |p| p.as_str());
    AppError::bad_input(
        "parentId",
        format!(
            "{} 不能直接建在 {} 下（层级须为 街道 > 社区 > 网格 > 小区）",
            level.as_str(),
            parent
        ),
    )
}

fn apply_boundary(row: &mut RegionRow, boundary: Option<Boundary>) {
    row.bbox_min_lng = boundary.as_ref().map(|b| b.min_lng);
    row.bbox_min_lat = boundary.as_ref().map(|b| b.min_lat);
    row.bbox_max_lng = boundary.as_ref().map(|b| b.max_lng);
    row.bbox_max_lat = boundary.as_ref().map(|b| b.max_lat);
    row.boundary = boundary.map(|b| b.geojson);
}

fn check_manager(actor: &Actor) -> AppResult<()> {
    if actor.principal.role.manages_regions() {
        Ok(())
    } else {
        Err(AppError::forbidden("无权管理区域"))
    }
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id))]
pub async fn create_region(
    state: &AppState,
    actor: &Actor,
    input: NewRegion,
) -> AppResult<RegionRow> {
    check_manager(actor)?;
    let scope = &actor.principal.scope;
    let name = parse_region_name(&input.name)?;
    let code = parse_region_code(input.code.as_deref())?;
    let parent = match input.parent_id {
        Some(id) => Some(
            region::find(&state.db, id, scope)
                .await?
                .ok_or_else(|| region_not_found("parentId"))?,
        ),
        None if scope.is_everything() => None,
        None => return Err(AppError::forbidden("只能在您管辖的区域下创建区域")),
    };
    let parent_level = parent.as_ref().map(|p| p.level);
    if !input.level.may_nest_under(parent_level) {
        return Err(nesting_error(input.level, parent_level));
    }
    let is_grid = input.level == RegionLevel::Grid;
    if !is_grid && input.grid_kind.is_some() {
        return Err(AppError::bad_input("gridKind", "只有网格有网格类型"));
    }
    if !is_grid && input.boundary.is_some() {
        return Err(AppError::bad_input("boundary", "只有网格可以设置边界"));
    }
    let boundary = input.boundary.as_ref().map(Boundary::parse).transpose()?;
    let id = Uuid::now_v7();
    let now = state.now();
    let mut row = RegionRow {
        id,
        parent_id: parent.as_ref().map(|p| p.id),
        level: input.level,
        name,
        code,
        grid_kind: is_grid.then(|| input.grid_kind.unwrap_or(GridKind::Residential)),
        boundary: None,
        bbox_min_lng: None,
        bbox_min_lat: None,
        bbox_max_lng: None,
        bbox_max_lat: None,
        path: child_path(parent.as_ref().map(|p| p.path.as_str()), id),
        depth: parent.as_ref().map_or(0, |p| p.depth + 1),
        created_at: now,
        updated_at: now,
    };
    apply_boundary(&mut row, boundary);
    let txn = state.db.begin().await?;
    let row = region::insert(&txn, row)
        .await
        .map_err(|e| AppError::from_db_unique(e, "name", "同一上级下已有同名区域"))?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "region.create",
            target_type: "region",
            target_id: Some(row.id),
            region_id: Some(row.id),
            outcome: Outcome::Success,
            detail: Some(json!({ "level": row.level.as_str(), "name": row.name })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, region = %id))]
pub async fn update_region(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    change: RegionChange,
) -> AppResult<RegionRow> {
    check_manager(actor)?;
    let me = &actor.principal;
    let mut row = region::find(&state.db, id, &me.scope)
        .await?
        .ok_or_else(|| region_not_found("id"))?;
    if me.region_path.as_deref() == Some(row.path.as_str()) {
        return Err(AppError::forbidden(
            "不能修改自己所属的区域，请联系上级管理员",
        ));
    }
    let level = row.level;
    if let Some(name) = &change.name {
        row.name = parse_region_name(name)?;
    }
    if let Some(code) = &change.code {
        row.code = parse_region_code(code.as_deref())?;
    }
    if let Some(kind) = change.grid_kind {
        if level != RegionLevel::Grid {
            return Err(AppError::bad_input("gridKind", "只有网格有网格类型"));
        }
        row.grid_kind = Some(kind);
    }
    if let Some(boundary) = &change.boundary {
        if level != RegionLevel::Grid && boundary.is_some() {
            return Err(AppError::bad_input("boundary", "只有网格可以设置边界"));
        }
        let parsed = boundary.as_ref().map(Boundary::parse).transpose()?;
        apply_boundary(&mut row, parsed);
    }
    let mut moved_from = None;
    if let Some(parent_id) = change.parent_id.filter(|p| Some(*p) != row.parent_id) {
        let parent = region::find(&state.db, parent_id, &me.scope)
            .await?
            .ok_or_else(|| region_not_found("parentId"))?;
        if is_within(&parent.path, &row.path) {
            return Err(AppError::bad_input(
                "parentId",
                "不能把区域移到它自己或它的下级之下",
            ));
        }
        let parent_level = parent.level;
        if !level.may_nest_under(Some(parent_level)) {
            return Err(nesting_error(level, Some(parent_level)));
        }
        moved_from = Some((row.path.clone(), row.depth, row.parent_id.unwrap_or(row.id)));
        row.parent_id = Some(parent.id);
        row.path = child_path(Some(&parent.path), row.id);
        row.depth = parent.depth + 1;
    }
    let now = state.now();
    row.updated_at = now;
    let txn = state.db.begin().await?;
    if let Some((old_path, old_depth, _)) = &moved_from {
        region::move_subtree(&txn, old_path, &row.path, row.depth - old_depth).await?;
        // Scopes are region paths: every signed-in caller under the subtree has a new one.
        announce(&txn, Revoked::Everyone).await?;
    }
    let row = region::update(&txn, row)
        .await
        .map_err(|e| AppError::from_db_unique(e, "name", "同一上级下已有同名区域"))?;
    if let (Some((_, _, old_bucket)), Some(new_parent), RegionLevel::Grid) =
        (&moved_from, row.parent_id, level)
    {
        // A grid's events are counted under its parent: the figures move with it.
        crate::store::rollup::move_grid(&txn, row.id, *old_bucket, new_parent).await?;
    }
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: if moved_from.is_some() {
                "region.move"
            } else {
                "region.update"
            },
            target_type: "region",
            target_id: Some(row.id),
            region_id: Some(row.id),
            outcome: Outcome::Success,
            detail: Some(json!({ "name": row.name })),
        },
    )
    .await?;
    txn.commit().await?;
    if moved_from.is_some() {
        state.principals.forget(Revoked::Everyone);
    }
    Ok(row)
}

/// A `regionId:` argument of a list as a narrowing filter, never a grant. Callers with a
/// region scope (`scoped`: staff) must name a region in it, else `NOT_FOUND`. Callers without one
/// (liaisons) only narrow what they already see: an unknown id narrows to nothing, the same
/// answer as a region they see nothing in, so the answer tells nothing about which ids exist.
pub async fn narrowing(
    state: &AppState,
    me: &crate::access::Principal,
    region_id: Option<Uuid>,
    scoped: bool,
) -> AppResult<Option<Scope>> {
    let Some(id) = region_id else {
        return Ok(None);
    };
    if scoped {
        let region = region::find(&state.db, id, &me.scope)
            .await?
            .ok_or_else(|| AppError::NotFound("regionId: 区域不存在或不在您的管辖范围内".into()))?;
        return Ok(Some(Scope::within(&region.path)));
    }
    Ok(Some(match region::find_unscoped(&state.db, id).await? {
        Some(region) => Scope::within(&region.path),
        None => Scope::nothing(),
    }))
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<RegionRow> {
    region::find(&state.db, id, &actor.principal.scope)
        .await?
        .ok_or_else(|| AppError::not_found("区域"))
}

pub struct RegionQuery {
    pub parent_id: Option<Uuid>,
    pub within: Option<Uuid>,
    pub level: Option<RegionLevel>,
    pub search: Option<String>,
}

/// A page of regions in scope, in tree order.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: RegionQuery,
    page: &PageRequest,
) -> AppResult<Vec<RegionRow>> {
    let scope = &actor.principal.scope;
    let within = match query.within {
        Some(id) => Some(
            region::find(&state.db, id, scope)
                .await?
                .ok_or_else(|| region_not_found("within"))?
                .path,
        ),
        None => None,
    };
    let search = query
        .search
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if search.as_ref().is_some_and(|s| s.chars().count() > 64) {
        return Err(AppError::bad_input("search", "搜索词过长"));
    }
    let filter = RegionFilter {
        parent_id: query.parent_id,
        within,
        level: query.level,
        name_contains: search,
    };
    Ok(region::list(&state.db, scope, &filter, page).await?)
}
