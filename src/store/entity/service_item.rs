use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub direction: crate::domain::service_item::ServiceDirection,
    pub kind: crate::domain::service_item::ServiceItemKind,
    pub category: crate::domain::service_item::ServiceCategory,
    pub title: String,
    pub description: String,
    pub capacity: i32,
    /// Claims holding a place (CLAIMED, IN_PROGRESS, COMPLETED, VERIFIED). Only ever changed by
    /// one conditional UPDATE, never read-modify-written.
    pub active_claims: i32,
    pub state: crate::domain::service_item::ServiceItemState,
    pub due_on: Date,
    /// The committee's region: the community of a need; the community or sub-district an offer
    /// is made to.
    pub region_id: Uuid,
    pub posted_by: Uuid,
    pub posted_by_unit_id: Option<Uuid>,
    pub beneficiary_resident_id: Option<Uuid>,
    pub beneficiary_summary: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
