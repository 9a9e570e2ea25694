use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_claim")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    /// The unit side: the claimant of a need, the offerer of an offer.
    pub member_unit_id: Uuid,
    /// The community side: the poster of a need, the claimant of an offer.
    pub community_id: Uuid,
    pub state: crate::domain::service_item::ServiceClaimState,
    pub claimed_by: Uuid,
    pub claimed_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub verified_at: Option<DateTimeUtc>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub released_at: Option<DateTimeUtc>,
    pub people_served: Option<i32>,
    pub report_notes: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
