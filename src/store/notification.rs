//! The notification inbox. Rows are written in the transaction of the change they tell of and
//! read back by their owner only: every read here takes the owner's account id.
use super::entity::account;
use super::entity::notification::{self, ActiveModel, Column, Entity};
use super::page::keyset;
use crate::domain::page::PageRequest;
use crate::domain::role::Role;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

pub type NotificationRow = notification::Model;

pub async fn insert_many(
    db: &impl ConnectionTrait,
    rows: Vec<NotificationRow>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    Entity::insert_many(rows.into_iter().map(ActiveModel::from))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The active accounts of `role` bound to one of `regions`.
pub async fn active_accounts(
    db: &impl ConnectionTrait,
    role: Role,
    regions: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    if regions.is_empty() {
        return Ok(Vec::new());
    }
    account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .filter(account::Column::Role.eq(role))
        .filter(account::Column::RegionId.is_in(regions.iter().copied()))
        .filter(account::Column::DisabledAt.is_null())
        .into_tuple()
        .all(db)
        .await
}

/// The active liaisons of a member unit.
pub async fn unit_liaisons(db: &impl ConnectionTrait, unit: Uuid) -> Result<Vec<Uuid>, DbErr> {
    account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .filter(account::Column::Role.eq(Role::UnitLiaison))
        .filter(account::Column::MemberUnitId.eq(unit))
        .filter(account::Column::DisabledAt.is_null())
        .into_tuple()
        .all(db)
        .await
}

/// One page of an account's inbox, newest first.
pub async fn page(
    db: &impl ConnectionTrait,
    owner: Uuid,
    unread_only: bool,
    after: Option<Uuid>,
    page: &PageRequest,
) -> Result<Vec<NotificationRow>, DbErr> {
    let mut query = Entity::find().filter(Column::AccountId.eq(owner));
    if unread_only {
        query = query.filter(Column::ReadAt.is_null());
    }
    keyset(db, query, Column::Id, Order::Desc, after, page).await
}

/// One notification, if it is the owner's.
pub async fn find_own(
    db: &impl ConnectionTrait,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<NotificationRow>, DbErr> {
    Entity::find_by_id(id)
        .filter(Column::AccountId.eq(owner))
        .one(db)
        .await
}

pub async fn unread_count(db: &impl ConnectionTrait, owner: Uuid) -> Result<u64, DbErr> {
    Entity::find()
        .filter(Column::AccountId.eq(owner))
        .filter(Column::ReadAt.is_null())
        .count(db)
        .await
}

/// Marks the owner's unread notifications among `ids` read; others' ids are passed over.
/// Returns how many changed.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    owner: Uuid,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let done = Entity::update_many()
        .col_expr(Column::ReadAt, Expr::value(now))
        .filter(Column::AccountId.eq(owner))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
