use sea_orm::entity::prelude::*;

/// `Deserialize`: as PostgreSQL's `json_agg` writes the row (`store::event::find_detail`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "photo")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sha256: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub owner_kind: String,
    pub owner_id: Uuid,
    pub event_id: Option<Uuid>,
    pub position: i16,
    pub uploaded_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
