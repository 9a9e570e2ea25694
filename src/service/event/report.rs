//! Filing a report: input checks, the payload hash that makes a retry idempotent, the grid the
//! report belongs to, and the insert with its first timeline entry.
use super::{deadlines::policy_for, optional_text, text, timeline};
use crate::access::event as access;
use crate::access::resident::ResidentReach;
use crate::access::{Actor, Principal};
use crate::domain::event::{
    self as rules, DeadlineStage, EventAction, EventCategory, EventPriority, EventSource,
    EventState, ReporterKind,
};
use crate::domain::people::GridMemberKind;
use crate::domain::region::RegionLevel;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::announce;
use crate::service::audit::{self, Entry, Outcome};
use crate::service::photo::{self, IncomingPhoto, PhotoOwner, StagedPhoto};
use crate::state::AppState;
use crate::store::event::{self as store, EventRow};
use crate::store::{grid_member, region, resident};
use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A report as the app sends it.
pub struct NewReport {
    pub client_id: Uuid,
    pub category: EventCategory,
    pub source: EventSource,
    pub priority: EventPriority,
    pub title: String,
    pub description: String,
    pub lat: f64,
    pub lng: f64,
    pub address: Option<String>,
    pub captured_at: DateTime<Utc>,
    pub grid_id: Option<Uuid>,
    pub resident_ids: Vec<Uuid>,
    pub photos: Vec<IncomingPhoto>,
}

const MAX_RELATED_RESIDENTS: usize = 20;
/// Reports per `syncReports` call (each is filed by `report_event`).
pub const MAX_SYNC: usize = 50;

/// What makes two submissions "the same report": every field the reporter chose, and the
/// content of every photo.
fn payload_hash(
    input: &NewReport,
    title: &str,
    description: &str,
    address: Option<&str>,
) -> String {
    let mut residents = input.resident_ids.clone();
    residents.sort();
    let photos: Vec<&str> = input.photos.iter().map(|p| p.sha256()).collect();
    let canonical = json!({
        "category": input.category.as_str(),
        "source": input.source.as_str(),
        "priority": input.priority.as_str(),
        "title": title,
        "description": description,
        "address": address,
        "lat": input.lat,
        "lng": input.lng,
        "capturedAt": input.captured_at.timestamp_micros(),
        "gridId": input.grid_id,
        "residents": residents,
        "photos": photos,
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

fn reporter_kind(principal: &Principal) -> ReporterKind {
    match (principal.role, principal.grid_member_kind) {
        (Role::GridMember, Some(GridMemberKind::FullTime)) => ReporterKind::FullTime,
        (Role::GridMember, Some(GridMemberKind::Professional)) => ReporterKind::Professional,
        (Role::GridMember, _) => ReporterKind::PartTime,
        _ => ReporterKind::Staff,
    }
}

/// The grid a report belongs to: the chosen one (a grid in the reporter's scope), or the grid in
/// scope whose boundary holds the point.
async fn grid_for(
    state: &AppState,
    principal: &Principal,
    input: &NewReport,
) -> AppResult<region::RegionRow> {
    if let Some(id) = input.grid_id {
        return crate::service::region::find_at_level(
            state,
            &principal.scope,
            "gridId",
            id,
            &[RegionLevel::Grid],
            "事件须归属到网格",
        )
        .await;
    }
    let candidates = store::grids_around(&state.db, &principal.scope, input.lat, input.lng).await?;
    candidates
        .into_iter()
        .find(|g| {
            g.boundary
                .as_deref()
                .is_some_and(|b| rules::point_in_geojson(b, input.lat, input.lng))
        })
        .ok_or_else(|| {
            AppError::bad_input(
                "location",
                "该位置不在您负责的任何网格内，请选择网格后再上报",
            )
        })
}

/// Files a report. A retry with the same `clientId` by the same account returns the first
/// event; a different payload under that id is `CONFLICT`; another account's id is `CONFLICT`
/// too and never shows the other account's event.
#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, client_id = %input.client_id))]
pub async fn report_event(
    state: &AppState,
    actor: &Actor,
    input: NewReport,
) -> AppResult<EventRow> {
    let principal = &actor.principal;
    access::judge_reporting(principal)?;
    if input.client_id.is_nil() {
        return Err(AppError::bad_input("clientId", "clientId 不能为空 UUID"));
    }
    let title = text("title", &input.title, 2, 100)?;
    let description = text("description", &input.description, 0, 2000)?;
    let address = optional_text("address", input.address.as_deref(), 200)?;
    let hash = payload_hash(&input, &title, &description, address.as_deref());

    if let Some(existing) = store::find_unscoped(&state.db, input.client_id).await? {
        return replay(existing, principal, &hash);
    }

    rules::parse_location(input.lat, input.lng)?;
    let now = state.now();
    rules::check_captured_at(input.captured_at, now)?;
    if input.resident_ids.len() > MAX_RELATED_RESIDENTS {
        return Err(AppError::bad_input(
            "residentIds",
            format!("关联居民最多 {MAX_RELATED_RESIDENTS} 人"),
        ));
    }
    let grid = grid_for(state, principal, &input).await?;
    let mut resident_ids = input.resident_ids.clone();
    resident_ids.sort();
    resident_ids.dedup();
    for id in &resident_ids {
        if resident::find(&state.db, *id, &ResidentReach::to_name(principal))
            .await?
            .is_none()
        {
            return Err(AppError::bad_input(
                "residentIds",
                "关联的居民不存在或不在您的范围内",
            ));
        }
    }
    let category = input.category;
    let priority = input.priority;
    let policy = policy_for(&state.db, category, priority).await?;
    let occupation = if principal.role == Role::GridMember {
        grid_member::find_by_account(&state.db, principal.account_id)
            .await?
            .map(|m| m.occupation)
    } else {
        None
    };
    let client_id = input.client_id;
    let captured_at = input.captured_at;
    let due = |stage| captured_at + Duration::minutes(policy.minutes(stage));
    let row = EventRow {
        id: client_id,
        reporter_account_id: principal.account_id,
        reporter_name: principal.name.clone(),
        reporter_kind: reporter_kind(principal),
        reporter_occupation: occupation,
        payload_hash: hash.clone(),
        grid_id: grid.id,
        category,
        source: input.source,
        priority,
        title,
        description,
        address,
        lat: input.lat,
        lng: input.lng,
        captured_at,
        reported_at: now,
        state: EventState::Reported,
        resume_state: None,
        suspended_at: None,
        paused_seconds: 0,
        level: RegionLevel::Community,
        assigned_unit_id: None,
        resolution: None,
        satisfaction: None,
        duplicate_of_id: None,
        merged_into_id: None,
        accept_minutes: policy.accept_minutes as i32,
        plan_minutes: policy.plan_minutes as i32,
        close_minutes: policy.close_minutes as i32,
        accept_due_at: due(DeadlineStage::Accept),
        plan_due_at: due(DeadlineStage::Plan),
        close_due_at: due(DeadlineStage::Close),
        accept_met_at: None,
        plan_met_at: None,
        close_met_at: None,
        accept_breached_at: None,
        plan_breached_at: None,
        close_breached_at: None,
        version: 0,
        updated_at: now,
    };
    let staged = photo::stage(state, "photos", input.photos).await?;
    match insert_report(state, actor, row, &resident_ids, &staged).await {
        Ok(row) => Ok(row),
        // A concurrent submission of the same id got there first: answer as a retry would be.
        Err(AppError::Conflict { .. }) => match store::find_unscoped(&state.db, client_id).await? {
            Some(existing) => replay(existing, principal, &hash),
            None => Err(AppError::conflict(Some("clientId"), "提交冲突，请重试")),
        },
        Err(e) => Err(e),
    }
}

fn replay(existing: EventRow, principal: &Principal, hash: &str) -> AppResult<EventRow> {
    crate::service::check_replay(
        existing.reporter_account_id == principal.account_id,
        existing.payload_hash == hash,
        "上报",
    )?;
    Ok(existing)
}

async fn insert_report(
    state: &AppState,
    actor: &Actor,
    row: EventRow,
    resident_ids: &[Uuid],
    staged: &[StagedPhoto],
) -> AppResult<EventRow> {
    let now = row.reported_at;
    let txn = state.db.begin().await?;
    let row = store::insert(&txn, row)
        .await
        .map_err(|e| AppError::from_db_unique(e, "clientId", "该 clientId 已被使用"))?;
    store::link_residents(&txn, row.id, resident_ids).await?;
    photo::attach(
        &txn,
        PhotoOwner::Event(row.id),
        staged,
        actor.principal.account_id,
        now,
    )
    .await?;
    timeline(
        &txn,
        Some(actor),
        &row,
        EventAction::Reported,
        None,
        Some(EventState::Reported),
        None,
        None,
        now,
    )
    .await?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "event.report",
            target_type: "event",
            target_id: Some(row.id),
            region_id: Some(row.grid_id),
            outcome: Outcome::Success,
            detail: Some(json!({ "category": row.category.as_str(), "photos": staged.len() })),
        },
    )
    .await?;
    txn.commit().await?;
    announce::event_changed(state, &row, EventAction::Reported, now, Default::default()).await;
    Ok(row)
}
