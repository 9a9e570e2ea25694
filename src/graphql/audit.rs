//! `auditLog`: who did what, where and when — for admins, in their scope.
use super::page::{connection, connection_cost};
use super::{actor, state};
use crate::domain::page::PageRequest;
use crate::service::audit as service;
use crate::store::audit::{AuditFilter, AuditRow};
use async_graphql::connection::Connection;
use async_graphql::{Context, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(SimpleObject)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    /// e.g. `resident.reveal_id_number`, `account.disable`, `login`.
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub region_id: Option<Uuid>,
    pub request_id: Option<String>,
    /// `SUCCESS` or `DENIED`.
    pub outcome: String,
    pub detail: Option<Json<serde_json::Value>>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        AuditEntry {
            id: row.id,
            at: row.at,
            actor_id: row.actor_id,
            actor_role: row.actor_role,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            region_id: row.region_id,
            request_id: row.request_id,
            outcome: row.outcome,
            detail: row
                .detail
                .and_then(|d| serde_json::from_str(&d).ok())
                .map(Json),
        }
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The append-only audit log in your scope, newest first (city and sub-district admins).
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        action: Option<String>,
        actor_id: Option<Uuid>,
        target_id: Option<Uuid>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Connection<String, AuditEntry>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let filter = AuditFilter {
            action,
            actor_id,
            target_id,
            from,
            to,
        };
        let rows = service::list(state(ctx), actor(ctx)?, filter, &page).await?;
        Ok(connection(
            rows,
            &page,
            |r| r.id.to_string(),
            AuditEntry::from,
        ))
    }
}
