//! Region rows: look-ups, scoped lists (tree order), inserts, updates and subtree moves.
use super::entity::region::{self, Column, Entity};
use super::pg_row::{self, ByPosition, PgColumns};
use super::scope::path_in_scope;
use crate::access::Scope;
use crate::domain::page::PageRequest;
use crate::domain::region::{RegionLevel, subtree_range};
use crate::domain::search::contains_pattern;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, Order,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

pub use region::Model as RegionRow;

/// The last column of the table in select order.
const REGION_WIDTH: usize = Column::UpdatedAt as usize + 1;

impl ByPosition for RegionRow {
    const WIDTH: usize = REGION_WIDTH;

    fn read(c: &PgColumns<'_>) -> Result<Self, DbErr> {
        use Column as C;
        Ok(RegionRow {
            id: c.get(C::Id as usize)?,
            parent_id: c.get(C::ParentId as usize)?,
            level: c.code(C::Level as usize)?,
            name: c.get(C::Name as usize)?,
            code: c.get(C::Code as usize)?,
            grid_kind: c.code_opt(C::GridKind as usize)?,
            boundary: c.get(C::Boundary as usize)?,
            bbox_min_lng: c.get(C::BboxMinLng as usize)?,
            bbox_min_lat: c.get(C::BboxMinLat as usize)?,
            bbox_max_lng: c.get(C::BboxMaxLng as usize)?,
            bbox_max_lat: c.get(C::BboxMaxLat as usize)?,
            path: c.get(C::Path as usize)?,
            depth: c.get(C::Depth as usize)?,
            created_at: c.get(C::CreatedAt as usize)?,
            updated_at: c.get(C::UpdatedAt as usize)?,
        })
    }
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
    scope: &Scope,
) -> Result<Option<RegionRow>, DbErr> {
    Entity::find_by_id(id)
        .filter(path_in_scope(Column::Path, scope))
        .one(db)
        .await
}

/// Without any scope: the service's own look-ups (an event's grid for the permission check,
/// the caller's own region, seeding).
pub async fn find_unscoped(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<RegionRow>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Without any scope: regions shown beside rows the caller already may see (the committee of
/// a service item a liaison sees).
pub async fn find_many_unscoped(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<RegionRow>, DbErr> {
    pg_row::all(
        db,
        Entity::find().filter(super::ids_in(db.get_database_backend(), Column::Id, ids)),
    )
    .await
}

/// The regions a caller with `scope` may see (on the `region` table).
pub fn visible(scope: &Scope) -> sea_orm::Condition {
    path_in_scope(Column::Path, scope)
}

pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    scope: &Scope,
) -> Result<Vec<RegionRow>, DbErr> {
    let query = Entity::find()
        .filter(super::ids_in(db.get_database_backend(), Column::Id, ids))
        .filter(visible(scope));
    pg_row::all(db, query).await
}

pub async fn children_of(
    db: &impl ConnectionTrait,
    parent_ids: &[Uuid],
    scope: &Scope,
) -> Result<Vec<RegionRow>, DbErr> {
    Entity::find()
        .filter(Column::ParentId.is_in(parent_ids.iter().copied()))
        .filter(path_in_scope(Column::Path, scope))
        .order_by_asc(Column::Path)
        .all(db)
        .await
}

#[derive(Debug, Default, Clone)]
pub struct RegionFilter {
    pub parent_id: Option<Uuid>,
    /// Everything below this region (not the region itself).
    pub within: Option<String>,
    pub level: Option<RegionLevel>,
    pub name_contains: Option<String>,
}

/// One page in tree order (by path), plus one extra row to tell whether more follow.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &RegionFilter,
    page: &PageRequest,
) -> Result<Vec<RegionRow>, DbErr> {
    let mut query = Entity::find().filter(path_in_scope(Column::Path, scope));
    if let Some(parent) = filter.parent_id {
        query = query.filter(Column::ParentId.eq(parent));
    }
    if let Some(within) = &filter.within {
        let (lo, hi) = subtree_range(within);
        query = query
            .filter(Column::Path.gt(lo))
            .filter(Column::Path.lt(hi));
    }
    if let Some(level) = filter.level {
        query = query.filter(Column::Level.eq(level.as_str()));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(Column::Name.like(super::like(contains_pattern(text))));
    }
    let after = page.after.as_deref();
    super::page::keyset(db, query, Column::Path, Order::Asc, after, page).await
}

pub async fn insert(db: &impl ConnectionTrait, row: RegionRow) -> Result<RegionRow, DbErr> {
    region::ActiveModel::from(row).insert(db).await
}

pub async fn update(db: &impl ConnectionTrait, row: RegionRow) -> Result<RegionRow, DbErr> {
    // Every column is written: the caller changed the model it read.
    region::ActiveModel::from(row).reset_all().update(db).await
}

/// Rewrites the paths (and depths) of a whole subtree after its root moved.
pub async fn move_subtree(
    db: &impl ConnectionTrait,
    old_path: &str,
    new_path: &str,
    depth_delta: i16,
) -> Result<u64, DbErr> {
    let (lo, hi) = subtree_range(old_path);
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE region SET path = $1 || substr(path, $2), depth = depth + $3 \
             WHERE path >= $4 AND path < $5"
        }
        _ => {
            "UPDATE region SET path = ? || substr(path, ?), depth = depth + ? \
             WHERE path >= ? AND path < ?"
        }
    };
    let start = old_path.len() as i32 + 1;
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                new_path.into(),
                start.into(),
                depth_delta.into(),
                lo.into(),
                hi.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Does any region sit below `path`?
pub async fn has_descendants(db: &impl ConnectionTrait, path: &str) -> Result<bool, DbErr> {
    let (_, hi) = subtree_range(path);
    let row = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Path.gt(path))
        .filter(Column::Path.lt(hi))
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    Ok(row.is_some())
}

/// A region by its parent and name (names are unique among siblings).
pub async fn find_child(
    db: &impl ConnectionTrait,
    parent_id: Option<Uuid>,
    name: &str,
) -> Result<Option<RegionRow>, DbErr> {
    let query = match parent_id {
        Some(parent) => Entity::find().filter(Column::ParentId.eq(parent)),
        None => Entity::find().filter(Column::ParentId.is_null()),
    };
    query.filter(Column::Name.eq(name)).one(db).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// `ByPosition` reads each column at its `Column` discriminant: that must be its place in the
    /// select `Entity::find()` writes.
    #[test]
    fn region_columns_are_selected_in_declaration_order() {
        let columns: Vec<Column> = Column::iter().collect();
        assert_eq!(columns.len(), REGION_WIDTH);
        for (i, c) in columns.into_iter().enumerate() {
            assert_eq!(c as usize, i);
        }
    }
}
