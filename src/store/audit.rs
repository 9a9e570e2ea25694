//! The append-only audit log. Rows are only ever inserted; nothing here updates or deletes.
use super::entity::audit_log;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Order};

pub use audit_log::Model as AuditRow;

pub async fn append(db: &impl ConnectionTrait, row: AuditRow) -> Result<(), DbErr> {
    audit_log::ActiveModel::from(row).insert(db).await?;
    Ok(())
}

use super::entity::audit_log::{Column, Entity};
use super::scope::region_in_scope;
use crate::access::Scope;
use crate::domain::page::PageRequest;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// One page, newest first; entries without a region only in the unrestricted scope.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &AuditFilter,
    page: &PageRequest,
    after: Option<Uuid>,
) -> Result<Vec<AuditRow>, DbErr> {
    let mut query = Entity::find().filter(region_in_scope(Column::RegionId, scope));
    if let Some(action) = &filter.action {
        query = query.filter(Column::Action.eq(action.as_str()));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(Column::ActorId.eq(actor));
    }
    if let Some(target) = filter.target_id {
        query = query.filter(Column::TargetId.eq(target));
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::At.lt(to));
    }
    super::page::keyset(db, query, Column::Id, Order::Desc, after, page).await
}
