//! Photo rows: which stored image (by content hash) belongs to which owner, in which order.
use super::entity::photo::{self, Column, Entity};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use photo::Model as PhotoRow;

pub async fn insert(db: &impl ConnectionTrait, row: PhotoRow) -> Result<PhotoRow, DbErr> {
    photo::ActiveModel::from(row).insert(db).await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<PhotoRow>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Photos of these owners (of one kind), in upload order.
pub async fn of_owners(
    db: &impl ConnectionTrait,
    kind: &str,
    owner_ids: &[Uuid],
) -> Result<Vec<PhotoRow>, DbErr> {
    Entity::find()
        .filter(Column::OwnerKind.eq(kind))
        .filter(super::ids_in(
            db.get_database_backend(),
            Column::OwnerId,
            owner_ids,
        ))
        .order_by_asc(Column::OwnerId)
        .order_by_asc(Column::Position)
        .all(db)
        .await
}
