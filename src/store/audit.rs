//! The append-only audit log. Rows are only ever inserted; nothing here updates or deletes.
use super::entity::audit_log;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr};

pub use audit_log::Model as AuditRow;

pub async fn append(db: &impl ConnectionTrait, row: AuditRow) -> Result<(), DbErr> {
    audit_log::ActiveModel::from(row).insert(db).await?;
    Ok(())
}
