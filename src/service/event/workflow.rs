//! The handling workflow: a step is judged for its actor against the row as it is now (again on
//! every retry), applied with its timeline entry and points; merging duplicates.
use super::{optional_text, points::award_points, text, timeline};
use crate::access::event::{self as access, EventReach, Standing};
use crate::access::{Actor, Principal};
use crate::domain::event::{self as rules, DeadlineStage, EventAction, EventState, Step};
use crate::domain::region::RegionLevel;
use crate::error::{AppError, AppResult};
use crate::service::announce;
use crate::service::audit::{self, Entry, Outcome};
use crate::service::notification::{self, Told};
use crate::service::photo::{self, IncomingPhoto, PhotoOwner};
use crate::state::AppState;
use crate::store::event::{self as store, EventRow};
use crate::store::{member_unit, region};
use chrono::Duration;
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

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
        let Some(saved) = store::update_if_unchanged(&txn, &attempt, updated).await? else {
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
        let told = notification::for_event_entry(
            &txn,
            Some(principal.account_id),
            &saved,
            step.action(),
            now,
        )
        .await?;
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
        announce::event_changed(state, &saved, step.action(), now, told).await;
        return Ok(saved);
    }
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
    announce::event_changed(
        state,
        &target,
        EventAction::MergedFrom,
        now,
        Told::default(),
    )
    .await;
    Ok(store::find_unscoped(&state.db, target_id)
        .await?
        .unwrap_or(target))
}
