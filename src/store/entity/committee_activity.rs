use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "committee_activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Minted by the client once per record; a retry with it finds the first record.
    pub client_id: Uuid,
    /// What makes a retry "the same record" (see `service::committee`).
    pub payload_hash: String,
    /// The committee's region: a community (big party committee) or a sub-district (big
    /// working committee).
    pub region_id: Uuid,
    pub kind: crate::domain::committee::CommitteeActivityKind,
    /// The Asia/Shanghai day it was held.
    pub held_on: Date,
    pub title: String,
    pub people_reached: i32,
    pub notes: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_by_name: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
