use sea_orm::entity::prelude::*;

/// One immutable timeline entry of a service item; rows are only ever inserted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_item_step")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    pub claim_id: Option<Uuid>,
    pub action: crate::domain::service_item::ServiceStepAction,
    pub item_from: Option<crate::domain::service_item::ServiceItemState>,
    pub item_to: Option<crate::domain::service_item::ServiceItemState>,
    pub claim_from: Option<crate::domain::service_item::ServiceClaimState>,
    pub claim_to: Option<crate::domain::service_item::ServiceClaimState>,
    /// `None` for the system (the release sweep).
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub actor_role: Option<crate::domain::role::Role>,
    pub note: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
