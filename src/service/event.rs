//! Events: idempotent reporting (one client-minted id, one event), the handling workflow with
//! its immutable timeline, deadline clocks and the breach sweep, possible duplicates, points.
use crate::access::event::{self as access, EventReach, Standing};
use crate::access::resident::ResidentReach;
use crate::access::{Actor, Principal};
use crate::domain::event::{
    self as rules, DeadlinePolicy, DeadlineStage, EventAction, EventCategory, EventPriority,
    EventSource, EventState, PointsReason, ReporterKind, Resolution, Step,
};
use crate::domain::people::GridMemberKind;
use crate::domain::region::RegionLevel;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::announce;
use crate::service::audit::{self, Entry, Outcome};
use crate::service::photo::{self, IncomingPhoto, PhotoOwner, StagedPhoto};
use crate::state::AppState;
use crate::store::event::{self as store, EventFilter, EventRow, LedgerRow, StepRow};
use crate::store::{grid_member, member_unit, region, resident};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
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

fn text(field: &str, raw: &str, min: usize, max: usize) -> AppResult<String> {
    let trimmed = raw.trim();
    let n = trimmed.chars().count();
    if n < min || n > max {
        return Err(AppError::bad_input(
            field,
            format!("长度须在 {min} 到 {max} 个字之间"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::bad_input(field, "不能包含控制字符"));
    }
    Ok(trimmed.to_owned())
}

fn optional_text(field: &str, raw: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => text(field, s, 1, max).map(Some),
    }
}

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

/// The deadline policy for a category and priority: the most specific rule, else the default.
pub async fn policy_for(
    db: &impl ConnectionTrait,
    category: EventCategory,
    priority: EventPriority,
) -> AppResult<DeadlinePolicy> {
    let rules = store::rules_for(db, category.as_str(), priority.as_str()).await?;
    let specificity =
        |r: &store::DeadlineRuleRow| u8::from(r.category != "*") * 2 + u8::from(r.priority != "*");
    Ok(rules
        .iter()
        .max_by_key(|r| specificity(r))
        .map(|r| DeadlinePolicy {
            accept_minutes: r.accept_minutes as i64,
            plan_minutes: r.plan_minutes as i64,
            close_minutes: r.close_minutes as i64,
        })
        .unwrap_or_default())
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
    if existing.reporter_account_id != principal.account_id {
        return Err(AppError::conflict(
            Some("clientId"),
            "该 clientId 已被使用，请重新生成",
        ));
    }
    if existing.payload_hash != hash {
        return Err(AppError::conflict(
            Some("clientId"),
            "该 clientId 已提交过内容不同的上报",
        ));
    }
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
    announce::event_changed(state, &row, EventAction::Reported, now).await;
    Ok(row)
}

#[allow(clippy::too_many_arguments)]
async fn timeline(
    db: &impl ConnectionTrait,
    actor: Option<&Actor>,
    event: &EventRow,
    action: EventAction,
    from: Option<EventState>,
    to: Option<EventState>,
    note: Option<String>,
    detail: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> AppResult<StepRow> {
    Ok(store::insert_step(
        db,
        StepRow {
            id: Uuid::now_v7(),
            event_id: event.id,
            actor_account_id: actor.map(|a| a.principal.account_id),
            actor_name: actor.map_or_else(|| "系统".to_owned(), |a| a.principal.name.clone()),
            action,
            from_state: from,
            to_state: to,
            note,
            detail: detail.map(|d| d.to_string()),
            created_at: now,
        },
    )
    .await?)
}

/// What a workflow step carries besides the step itself.
#[derive(Default)]
pub struct StepInput {
    pub note: Option<String>,
    pub unit_id: Option<Uuid>,
    pub duplicate_of: Option<Uuid>,
    pub satisfaction: Option<i32>,
    pub photos: Vec<IncomingPhoto>,
}

/// The actor's standing towards an event's grid (the grid never changes; what does — level,
/// unit — is read from the row each time a step is judged).
async fn standing(state: &AppState, principal: &Principal, row: &EventRow) -> AppResult<Standing> {
    let grid = region::find_unscoped(&state.db, row.grid_id).await?;
    Ok(Standing::of(
        principal,
        grid.as_ref().map(|g| g.path.as_str()),
    ))
}

/// Judges `step` for the actor against the row as it is now. A refusal is written to the audit
/// log as `DENIED` (on its own, so it stays recorded) and returned.
async fn judged(
    state: &AppState,
    actor: &Actor,
    step: Step,
    standing: &Standing,
    row: &EventRow,
) -> AppResult<()> {
    let Err(refusal) = access::judge(step, standing, row) else {
        return Ok(());
    };
    audit::record(
        &state.db,
        Some(actor),
        state.now(),
        Entry {
            action: &step_audit_action(step),
            target_type: "event",
            target_id: Some(row.id),
            region_id: Some(row.grid_id),
            outcome: Outcome::Denied,
            detail: Some(json!({ "state": row.state.as_str(), "level": row.level.as_str() })),
        },
    )
    .await?;
    Err(refusal)
}

fn step_audit_action(step: Step) -> String {
    format!("event.{}", step.action().as_str().to_lowercase())
}

fn require_reason(note: &Option<String>, what: &str) -> AppResult<String> {
    match note.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) => text("note", n, 1, 500),
        None => Err(AppError::bad_input("note", format!("{what}须填写原因"))),
    }
}

/// Where `step` takes the event from its current state, or `INVALID_TRANSITION`.
fn transition(step: Step, row: &EventRow) -> AppResult<EventState> {
    if step == Step::Escalate && row.level == RegionLevel::City {
        return Err(AppError::InvalidTransition {
            state: row.state.as_str().to_owned(),
            message: "事件已在市级处理，不能再上报".into(),
        });
    }
    let reopen_to = if row.assigned_unit_id.is_some() {
        EventState::Dispatched
    } else {
        EventState::InProgress
    };
    rules::next_state(row.state, step, row.resume_state, reopen_to)
}

/// Applies one workflow step to an event the caller can see. Of two concurrent steps on one
/// event exactly one is applied; the other is answered as if it came after.
#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, event = %event_id, step = ?step))]
pub async fn apply_step(
    state: &AppState,
    actor: &Actor,
    event_id: Uuid,
    step: Step,
    input: StepInput,
) -> AppResult<EventRow> {
    let principal = &actor.principal;
    let reach = EventReach::of(principal);
    let row = store::find(&state.db, event_id, &reach)
        .await?
        .ok_or_else(|| AppError::not_found("事件"))?;
    let standing = standing(state, principal, &row).await?;
    // Refuse a step the actor may not take, or an illegal one, before looking at its inputs.
    judged(state, actor, step, &standing, &row).await?;
    transition(step, &row)?;

    // Inputs are checked (and photos stored) before the write, so a refusal changes nothing.
    let note = optional_text("note", input.note.as_deref(), 500)?;
    let mut unit = None;
    match step {
        Step::Reject | Step::Suspend => {
            require_reason(
                &input.note,
                if step == Step::Reject {
                    "退回"
                } else {
                    "挂起"
                },
            )?;
        }
        Step::Dispatch => {
            let id = input
                .unit_id
                .ok_or_else(|| AppError::bad_input("unitId", "须指定成员单位"))?;
            unit = Some(
                member_unit::find(&state.db, id, &principal.scope)
                    .await?
                    .ok_or_else(|| {
                        AppError::bad_input("unitId", "成员单位不存在或不在您的范围内")
                    })?,
            );
        }
        _ => {}
    }
    if let Some(dup) = input.duplicate_of {
        if dup == row.id {
            return Err(AppError::bad_input("duplicateOfId", "不能标记为自身的重复"));
        }
        if store::find(&state.db, dup, &reach).await?.is_none() {
            return Err(AppError::bad_input(
                "duplicateOfId",
                "原事件不存在或不在您的范围内",
            ));
        }
    }
    if let Some(s) = input.satisfaction
        && !(1..=5).contains(&s)
    {
        return Err(AppError::bad_input("satisfaction", "满意度须为 1 到 5"));
    }
    let staged = photo::stage(state, "photos", input.photos).await?;

    let now = state.now();
    let mut attempt = row;
    loop {
        // Every attempt is judged afresh, who may act with where the event is: a retry after
        // a version conflict meets the event as the other step left it (e.g. escalated).
        judged(state, actor, step, &standing, &attempt).await?;
        let current = attempt.state;
        let next = transition(step, &attempt)?;
        let mut updated = attempt.clone();
        updated.state = next;
        updated.updated_at = now;
        let mut detail = serde_json::Map::new();
        for stage in rules::stages_met_by(next) {
            let met = match stage {
                DeadlineStage::Accept => &mut updated.accept_met_at,
                DeadlineStage::Plan => &mut updated.plan_met_at,
                DeadlineStage::Close => &mut updated.close_met_at,
            };
            met.get_or_insert(now);
        }
        match step {
            Step::Reject => updated.duplicate_of_id = input.duplicate_of,
            Step::MergeAway => updated.merged_into_id = input.duplicate_of,
            Step::Dispatch => {
                updated.assigned_unit_id = unit.as_ref().map(|u| u.id);
                detail.insert("unitId".into(), json!(updated.assigned_unit_id));
                detail.insert("unitName".into(), json!(unit.as_ref().map(|u| &u.name)));
            }
            Step::Resolve(resolution) => {
                updated.resolution = Some(resolution);
                detail.insert("resolution".into(), json!(resolution.as_str()));
            }
            Step::Close => {
                updated.satisfaction = input.satisfaction.map(|s| s as i16);
                if let Some(s) = input.satisfaction {
                    detail.insert("satisfaction".into(), json!(s));
                }
            }
            Step::Reopen => {
                // "Not fixed": the last handler gets it back and the close clock restarts.
                updated.resolution = None;
                updated.close_met_at = None;
                updated.close_breached_at = None;
                updated.close_due_at = now + Duration::minutes(updated.close_minutes as i64);
                if let Some(unit) = updated.assigned_unit_id {
                    detail.insert("unitId".into(), json!(unit));
                }
            }
            Step::Suspend => {
                updated.resume_state = Some(current);
                updated.suspended_at = Some(now);
            }
            Step::Resume => {
                // Every clock still running is pushed back by the time spent suspended.
                let since = updated.suspended_at.unwrap_or(now);
                let paused = (now - since).max(Duration::zero());
                if updated.accept_met_at.is_none() {
                    updated.accept_due_at += paused;
                }
                if updated.plan_met_at.is_none() {
                    updated.plan_due_at += paused;
                }
                if updated.close_met_at.is_none() {
                    updated.close_due_at += paused;
                }
                updated.paused_seconds += paused.num_seconds();
                updated.resume_state = None;
                updated.suspended_at = None;
                detail.insert("pausedSeconds".into(), json!(paused.num_seconds()));
            }
            Step::Escalate => {
                let up = match updated.level {
                    RegionLevel::Community | RegionLevel::Grid | RegionLevel::Compound => {
                        RegionLevel::SubDistrict
                    }
                    _ => RegionLevel::City,
                };
                detail.insert("fromLevel".into(), json!(updated.level.as_str()));
                detail.insert("toLevel".into(), json!(up.as_str()));
                updated.level = up;
            }
            _ => {}
        }
        if let Some(dup) = input.duplicate_of {
            detail.insert("duplicateOfId".into(), json!(dup));
        }

        let txn = state.db.begin().await?;
        let Some(saved) = store::update_if_unchanged(&txn, updated, attempt.version).await? else {
            txn.rollback().await?;
            // Someone else moved the event first: judge this step against where it is now.
            attempt = store::find_unscoped(&state.db, event_id)
                .await?
                .ok_or_else(|| AppError::not_found("事件"))?;
            continue;
        };
        let entry = timeline(
            &txn,
            Some(actor),
            &saved,
            step.action(),
            Some(current),
            Some(next),
            note.clone(),
            (!detail.is_empty()).then_some(serde_json::Value::Object(detail)),
            now,
        )
        .await?;
        photo::attach(
            &txn,
            PhotoOwner::EventStep {
                event_id: saved.id,
                step_id: entry.id,
            },
            &staged,
            principal.account_id,
            now,
        )
        .await?;
        award_points(state, &txn, &saved, step, principal, now).await?;
        audit::record(
            &txn,
            Some(actor),
            now,
            Entry {
                action: &format!("event.{}", step.action().as_str().to_lowercase()),
                target_type: "event",
                target_id: Some(saved.id),
                region_id: Some(saved.grid_id),
                outcome: Outcome::Success,
                detail: Some(json!({ "from": current.as_str(), "to": next.as_str() })),
            },
        )
        .await?;
        txn.commit().await?;
        announce::event_changed(state, &saved, step.action(), now).await;
        return Ok(saved);
    }
}

/// Ledger rows a step earns (each at most once per event and reason).
async fn award_points(
    state: &AppState,
    db: &impl ConnectionTrait,
    event: &EventRow,
    step: Step,
    principal: &Principal,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let points = state.settings.points;
    let earned = store::ledger_of_event(db, event.id).await?;
    let has = |reason: PointsReason| earned.iter().any(|r| r.reason == reason);
    let reporter_earns = event.reporter_kind != ReporterKind::Staff;
    let credit = |account_id, reason: PointsReason, amount| LedgerRow {
        id: Uuid::now_v7(),
        account_id,
        event_id: event.id,
        grid_id: event.grid_id,
        reason,
        points: amount,
        created_at: now,
    };
    let mut rows = Vec::new();
    match step {
        // A valid report pays when a triager accepts it, or when it is closed without ever
        // having been accepted (resolved on the spot).
        Step::Accept | Step::Close if reporter_earns && !has(PointsReason::ReportAccepted) => {
            rows.push(credit(
                event.reporter_account_id,
                PointsReason::ReportAccepted,
                points.report_accepted,
            ));
        }
        Step::Resolve(Resolution::OnSite)
            if principal.role == Role::GridMember && !has(PointsReason::OnSiteResolution) =>
        {
            rows.push(credit(
                principal.account_id,
                PointsReason::OnSiteResolution,
                points.on_site_resolution,
            ));
        }
        Step::MergeAway if has(PointsReason::ReportAccepted) && !has(PointsReason::Reversal) => {
            // A duplicate earns nothing: the credit is reversed by a new row, never edited.
            let paid = earned
                .iter()
                .find(|r| r.reason == PointsReason::ReportAccepted)
                .map_or(0, |r| r.points);
            rows.push(credit(
                event.reporter_account_id,
                PointsReason::Reversal,
                -paid,
            ));
        }
        _ => {}
    }
    for row in rows {
        store::credit(db, row).await?;
    }
    Ok(())
}

/// Merges duplicates (`sources`, each REPORTED or ACCEPTED) into `target`.
#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, target = %target_id))]
pub async fn merge_events(
    state: &AppState,
    actor: &Actor,
    target_id: Uuid,
    source_ids: Vec<Uuid>,
    note: Option<String>,
) -> AppResult<EventRow> {
    let reach = EventReach::of(&actor.principal);
    let mut sources = source_ids;
    sources.sort();
    sources.dedup();
    if sources.is_empty() || sources.len() > 20 {
        return Err(AppError::bad_input(
            "sourceIds",
            "须指定 1 到 20 个被合并的事件",
        ));
    }
    if sources.contains(&target_id) {
        return Err(AppError::bad_input("sourceIds", "不能把事件合并到自身"));
    }
    let target = store::find(&state.db, target_id, &reach)
        .await?
        .ok_or_else(|| AppError::not_found("事件"))?;
    let target_state = target.state;
    if target_state.is_final() {
        return Err(AppError::InvalidTransition {
            state: target.state.as_str().to_owned(),
            message: format!(
                "目标事件当前状态为 {}，不能接收合并",
                rules::state_label(target_state)
            ),
        });
    }
    let standing_target = standing(state, &actor.principal, &target).await?;
    judged(state, actor, Step::MergeAway, &standing_target, &target).await?;
    // Every source is checked before any is merged, so a bad id merges nothing.
    for id in &sources {
        let source = store::find(&state.db, *id, &reach).await?.ok_or_else(|| {
            AppError::bad_input("sourceIds", "被合并的事件不存在或不在您的范围内")
        })?;
        let standing_source = standing(state, &actor.principal, &source).await?;
        judged(state, actor, Step::MergeAway, &standing_source, &source).await?;
        rules::next_state(source.state, Step::MergeAway, None, EventState::InProgress)?;
    }
    for id in &sources {
        apply_step(
            state,
            actor,
            *id,
            Step::MergeAway,
            StepInput {
                note: note.clone(),
                duplicate_of: Some(target_id),
                ..StepInput::default()
            },
        )
        .await?;
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    timeline(
        &txn,
        Some(actor),
        &target,
        EventAction::MergedFrom,
        Some(target_state),
        Some(target_state),
        optional_text("note", note.as_deref(), 500)?,
        Some(json!({ "mergedEventIds": sources })),
        now,
    )
    .await?;
    txn.commit().await?;
    announce::event_changed(state, &target, EventAction::MergedFrom, now).await;
    Ok(store::find_unscoped(&state.db, target_id)
        .await?
        .unwrap_or(target))
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<EventRow> {
    store::find(&state.db, id, &EventReach::of(&actor.principal))
        .await?
        .ok_or_else(|| AppError::not_found("事件"))
}

/// `%text%` for LIKE (escape character `\\`), with wildcards in the text taken literally.
pub fn like_pattern(text: &str) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 50 {
        return Err(AppError::bad_input(
            "filter.text",
            "搜索词须为 1 到 50 个字",
        ));
    }
    Ok(crate::domain::search::contains_pattern(text))
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    mut filter: EventFilter,
    region_id: Option<Uuid>,
    limit: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> AppResult<Vec<EventRow>> {
    if let Some(id) = region_id {
        let region = region::find(&state.db, id, &actor.principal.scope)
            .await?
            .ok_or_else(|| AppError::bad_input("filter.regionId", "区域不存在或不在您的范围内"))?;
        filter.region_path = Some(region.path);
    }
    Ok(store::list(
        &state.db,
        &EventReach::of(&actor.principal),
        &filter,
        state.now(),
        limit,
        after,
    )
    .await?)
}

/// Open events of the same category within `radius_m` metres captured in the 72 hours before
/// this one, in the caller's reach, nearest first.
pub async fn possible_duplicates(
    state: &AppState,
    actor: &Actor,
    event_id: Uuid,
    radius_m: f64,
) -> AppResult<Vec<(EventRow, f64)>> {
    let reach = EventReach::of(&actor.principal);
    let event = store::find(&state.db, event_id, &reach)
        .await?
        .ok_or_else(|| AppError::not_found("事件"))?;
    let here = (event.lat, event.lng);
    let candidates = store::nearby_open(
        &state.db,
        &reach,
        event.category.as_str(),
        event.captured_at - Duration::hours(72),
        rules::bounding_box(event.lat, event.lng, radius_m),
        event.id,
        200,
    )
    .await?;
    let mut near: Vec<(EventRow, f64)> = candidates
        .into_iter()
        .map(|e| {
            let d = rules::distance_m(here, (e.lat, e.lng));
            (e, d)
        })
        .filter(|(_, d)| *d <= radius_m)
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(near)
}

/// Marks every clock that ran out unmet, once, with a timeline entry. Safe to run on several
/// instances at once: each mark is a conditional update.
pub async fn sweep_breaches(state: &AppState) -> AppResult<usize> {
    let now = state.now();
    let mut marked = 0;
    for stage in DeadlineStage::ALL {
        loop {
            let batch = store::breach_candidates(&state.db, *stage, now, 200).await?;
            if batch.is_empty() {
                break;
            }
            let n = batch.len();
            for event in batch {
                let txn = state.db.begin().await?;
                if store::mark_breached(&txn, event.id, *stage, now).await? {
                    let state_now = Some(event.state);
                    timeline(
                        &txn,
                        None,
                        &event,
                        EventAction::DeadlineBreached,
                        state_now,
                        state_now,
                        None,
                        Some(json!({ "stage": stage.as_str() })),
                        now,
                    )
                    .await?;
                    marked += 1;
                    txn.commit().await?;
                    announce::event_changed(state, &event, EventAction::DeadlineBreached, now)
                        .await;
                } else {
                    txn.commit().await?;
                }
            }
            if n < 200 {
                break;
            }
        }
    }
    if marked > 0 {
        tracing::info!(marked, "deadline breaches marked");
    }
    Ok(marked)
}

/// Sets the clocks for a category and/or priority (`None`: any). City admins only: the rules
/// are one policy for the whole city.
pub async fn set_deadline_rule(
    state: &AppState,
    actor: &Actor,
    category: Option<EventCategory>,
    priority: Option<EventPriority>,
    policy: DeadlinePolicy,
) -> AppResult<store::DeadlineRuleRow> {
    access::judge_setting_deadline_rules(&actor.principal)?;
    policy.validate()?;
    let category = category.map_or("*", |c| c.as_str());
    let priority = priority.map_or("*", |p| p.as_str());
    let now = state.now();
    let existing = store::find_rule(&state.db, category, priority).await?;
    let row = store::DeadlineRuleRow {
        id: existing.as_ref().map_or_else(Uuid::now_v7, |r| r.id),
        category: category.to_owned(),
        priority: priority.to_owned(),
        accept_minutes: policy.accept_minutes as i32,
        plan_minutes: policy.plan_minutes as i32,
        close_minutes: policy.close_minutes as i32,
        updated_by: Some(actor.principal.account_id),
        updated_at: now,
    };
    let txn = state.db.begin().await?;
    let row = store::save_rule(&txn, row, existing.is_some())
        .await
        .map_err(|e| AppError::from_db_unique(e, "category", "该规则刚被他人修改，请重试"))?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "deadline_rule.set",
            target_type: "deadline_rule",
            target_id: Some(row.id),
            region_id: None,
            outcome: Outcome::Success,
            detail: Some(json!({
                "category": category, "priority": priority,
                "accept": policy.accept_minutes, "plan": policy.plan_minutes, "close": policy.close_minutes,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn deadline_rules(
    state: &AppState,
    actor: &Actor,
) -> AppResult<Vec<store::DeadlineRuleRow>> {
    super::require_staff(actor, "只有社区工作者及以上可以查看处置时限规则")?;
    Ok(store::deadline_rules(&state.db).await?)
}

pub struct LeaderEntry {
    pub rank: usize,
    pub account_id: Uuid,
    pub name: String,
    pub points: i64,
    pub accepted_reports: i64,
    pub on_site_resolutions: i64,
}

/// Points earned in grids under a region in scope over `[from, to)`.
pub async fn leaderboard(
    state: &AppState,
    actor: &Actor,
    region_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<LeaderEntry>> {
    if to <= from {
        return Err(AppError::bad_input("to", "结束时间须晚于开始时间"));
    }
    if to - from > Duration::days(366) {
        return Err(AppError::bad_input("to", "时间范围不能超过一年"));
    }
    let region = region::find(&state.db, region_id, &actor.principal.scope)
        .await?
        .ok_or_else(|| AppError::bad_input("regionId", "区域不存在或不在您的范围内"))?;
    let rows = store::leaderboard(&state.db, &region.path, from, to, limit).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.account_id).collect();
    let names = crate::store::account::find_many_unscoped(&state.db, &ids).await?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| LeaderEntry {
            rank: i + 1,
            name: names
                .iter()
                .find(|a| a.id == r.account_id)
                .map_or_else(String::new, |a| a.name.clone()),
            account_id: r.account_id,
            points: r.points,
            accepted_reports: r.accepted_reports,
            on_site_resolutions: r.on_site_resolutions,
        })
        .collect())
}
