use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reporter_account_id: Uuid,
    pub reporter_name: String,
    pub reporter_kind: crate::domain::event::ReporterKind,
    pub reporter_occupation: Option<crate::domain::people::Occupation>,
    pub payload_hash: String,
    pub grid_id: Uuid,
    pub category: crate::domain::event::EventCategory,
    pub source: crate::domain::event::EventSource,
    pub priority: crate::domain::event::EventPriority,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub lat: f64,
    pub lng: f64,
    pub captured_at: DateTimeUtc,
    pub reported_at: DateTimeUtc,
    pub state: crate::domain::event::EventState,
    pub resume_state: Option<crate::domain::event::EventState>,
    pub suspended_at: Option<DateTimeUtc>,
    pub paused_seconds: i64,
    pub level: crate::domain::region::RegionLevel,
    pub assigned_unit_id: Option<Uuid>,
    pub resolution: Option<crate::domain::event::Resolution>,
    pub satisfaction: Option<i16>,
    pub duplicate_of_id: Option<Uuid>,
    pub merged_into_id: Option<Uuid>,
    pub accept_minutes: i32,
    pub plan_minutes: i32,
    pub close_minutes: i32,
    pub accept_due_at: DateTimeUtc,
    pub plan_due_at: DateTimeUtc,
    pub close_due_at: DateTimeUtc,
    pub accept_met_at: Option<DateTimeUtc>,
    pub plan_met_at: Option<DateTimeUtc>,
    pub close_met_at: Option<DateTimeUtc>,
    pub accept_breached_at: Option<DateTimeUtc>,
    pub plan_breached_at: Option<DateTimeUtc>,
    pub close_breached_at: Option<DateTimeUtc>,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
