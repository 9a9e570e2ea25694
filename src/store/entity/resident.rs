use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resident")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Uuid,
    pub name: String,
    pub gender: crate::domain::resident::Gender,
    pub birth_date: Date,
    pub id_number_enc: String,
    pub id_number_hash: String,
    pub phone_enc: Option<String>,
    pub phone_hash: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
    pub household: Option<String>,
    pub residence_type: crate::domain::resident::ResidenceType,
    pub tags: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
