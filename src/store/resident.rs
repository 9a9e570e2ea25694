//! Resident rows. Personal identifiers are stored encrypted with keyed hashes beside them; this
//! module never sees a plain ID number or phone.
use super::entity::resident::{self, Column, Entity};
use super::scope::region_in_scope;
use crate::access::resident::ResidentReach;
use crate::domain::page::PageRequest;
use crate::domain::resident::{ResidentTag, tag_pattern};
use crate::domain::search::prefix_pattern;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use resident::Model as ResidentRow;

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
    reach: &ResidentReach,
) -> Result<Option<ResidentRow>, DbErr> {
    Entity::find_by_id(id)
        .filter(region_in_scope(Column::RegionId, reach.scope()))
        .one(db)
        .await
}

pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    reach: &ResidentReach,
) -> Result<Vec<ResidentRow>, DbErr> {
    Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(region_in_scope(Column::RegionId, reach.scope()))
        .all(db)
        .await
}

/// Any resident (in any scope) holding one of these ID-number hashes.
pub async fn find_by_id_hashes(
    db: &impl ConnectionTrait,
    hashes: &[String],
) -> Result<Option<ResidentRow>, DbErr> {
    Entity::find()
        .filter(Column::IdNumberHash.is_in(hashes.iter().cloned()))
        .one(db)
        .await
}

#[derive(Debug, Default, Clone)]
pub struct ResidentFilter {
    pub tag: Option<ResidentTag>,
    pub name: Option<String>,
    pub building: Option<String>,
}

/// One page, newest first, plus one row to tell whether more follow.
pub async fn list(
    db: &impl ConnectionTrait,
    reach: &ResidentReach,
    filter: &ResidentFilter,
    page: &PageRequest,
    after: Option<Uuid>,
) -> Result<Vec<ResidentRow>, DbErr> {
    let mut query = Entity::find().filter(region_in_scope(Column::RegionId, reach.scope()));
    if let Some(tag) = filter.tag {
        query = query.filter(Column::Tags.like(tag_pattern(tag)));
    }
    if let Some(name) = &filter.name {
        query = query.filter(Column::Name.like(super::like(prefix_pattern(name))));
    }
    if let Some(building) = &filter.building {
        query = query.filter(Column::Building.eq(building.as_str()));
    }
    super::page::keyset(db, query, Column::Id, Order::Desc, after, page).await
}

/// A new resident, counted under its region's tags in the same transaction.
pub async fn insert(db: &impl ConnectionTrait, row: ResidentRow) -> Result<ResidentRow, DbErr> {
    let row = resident::ActiveModel::from(row).insert(db).await?;
    super::rollup::count_resident_tags(db, row.region_id, &row.tags, 1).await?;
    Ok(row)
}

/// Writes a resident; its tag counts move from what is stored (read and, on PostgreSQL, locked
/// in this transaction, so two concurrent edits are counted in the order they commit) to `row`.
pub async fn update(db: &impl ConnectionTrait, row: ResidentRow) -> Result<ResidentRow, DbErr> {
    let mut current = Entity::find_by_id(row.id);
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        current = current.lock_exclusive();
    }
    let stored = current
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("resident {}", row.id)))?;
    let row = resident::ActiveModel::from(row)
        .reset_all()
        .update(db)
        .await?;
    if (stored.region_id, &stored.tags) != (row.region_id, &row.tags) {
        super::rollup::count_resident_tags(db, stored.region_id, &stored.tags, -1).await?;
        super::rollup::count_resident_tags(db, row.region_id, &row.tags, 1).await?;
    }
    Ok(row)
}

/// Every resident, oldest first, in pages (for re-encryption under a new key).
pub async fn batch_after(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
    size: u64,
) -> Result<Vec<ResidentRow>, DbErr> {
    let mut query = Entity::find();
    if let Some(after) = after {
        query = query.filter(Column::Id.gt(after));
    }
    query.order_by_asc(Column::Id).limit(size).all(db).await
}
