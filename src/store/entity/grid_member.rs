use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grid_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Option<Uuid>,
    pub region_id: Uuid,
    pub name: String,
    pub phone_enc: String,
    pub phone_hash: String,
    pub kind: crate::domain::people::GridMemberKind,
    pub occupation: crate::domain::people::Occupation,
    pub employer: Option<String>,
    pub party_member: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
