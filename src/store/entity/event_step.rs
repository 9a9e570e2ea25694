use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_step")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub actor_account_id: Option<Uuid>,
    pub actor_name: String,
    pub action: crate::domain::event::EventAction,
    pub from_state: Option<crate::domain::event::EventState>,
    pub to_state: Option<crate::domain::event::EventState>,
    pub note: Option<String>,
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
