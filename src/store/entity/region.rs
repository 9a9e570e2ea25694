use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "region")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub level: crate::domain::region::RegionLevel,
    pub name: String,
    pub code: Option<String>,
    pub grid_kind: Option<crate::domain::region::GridKind>,
    pub boundary: Option<String>,
    pub bbox_min_lng: Option<f64>,
    pub bbox_min_lat: Option<f64>,
    pub bbox_max_lng: Option<f64>,
    pub bbox_max_lat: Option<f64>,
    pub path: String,
    pub depth: i16,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
