//! Writes audit entries: who did what to which row, where, under which request, and whether it
//! was allowed. Entries never hold a full ID number, phone or token.
use crate::access::Actor;
use crate::store::audit::{AuditRow, append};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "SUCCESS",
            Outcome::Denied => "DENIED",
        }
    }
}

/// What an audit entry is about.
pub struct Entry<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<Uuid>,
    pub region_id: Option<Uuid>,
    pub outcome: Outcome,
    pub detail: Option<serde_json::Value>,
}

pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<&Actor>,
    at: DateTime<Utc>,
    entry: Entry<'_>,
) -> Result<(), DbErr> {
    record_as(
        db,
        actor.map(|a| (a.principal.account_id, a.principal.role.as_str())),
        actor.map(|a| a.request_id.as_str()),
        at,
        entry,
    )
    .await
}

/// Like `record`, for actions taken before a principal exists (logging in).
pub async fn record_as(
    db: &impl ConnectionTrait,
    who: Option<(Uuid, &str)>,
    request_id: Option<&str>,
    at: DateTime<Utc>,
    entry: Entry<'_>,
) -> Result<(), DbErr> {
    append(
        db,
        AuditRow {
            id: Uuid::now_v7(),
            at,
            actor_id: who.map(|w| w.0),
            actor_role: who.map(|w| w.1.to_owned()),
            action: entry.action.to_owned(),
            target_type: entry.target_type.to_owned(),
            target_id: entry.target_id,
            region_id: entry.region_id,
            request_id: request_id.map(str::to_owned),
            outcome: entry.outcome.as_str().to_owned(),
            detail: entry.detail.map(|d| d.to_string()),
        },
    )
    .await
}

/// The audit log in the caller's scope (city and sub-district admins).
pub async fn list(
    state: &crate::state::AppState,
    actor: &Actor,
    filter: crate::store::audit::AuditFilter,
    page: &crate::domain::page::PageRequest,
) -> crate::error::AppResult<Vec<AuditRow>> {
    use crate::domain::role::Role;
    use crate::error::AppError;
    if !actor
        .principal
        .has_role(&[Role::CityAdmin, Role::SubDistrictAdmin])
    {
        return Err(AppError::forbidden("只有管理员可以查看审计日志"));
    }
    let after = page.after_id()?;
    Ok(crate::store::audit::list(&state.db, &actor.principal.scope, &filter, page, after).await?)
}
