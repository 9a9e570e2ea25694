use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub phone_hash: String,
    pub phone_enc: String,
    pub name: String,
    pub password_hash: String,
    pub role: crate::domain::role::Role,
    pub region_id: Option<Uuid>,
    pub disabled_at: Option<DateTimeUtc>,
    pub failed_logins: i32,
    pub last_failed_login_at: Option<DateTimeUtc>,
    pub locked_until: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub member_unit_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
