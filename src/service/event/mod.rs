//! Events: idempotent reporting (one client-minted id, one event), the handling workflow with
//! its immutable timeline, deadline clocks and the breach sweep, possible duplicates, points.
//! One file per concern; callers use the names re-exported here, and the helpers every file
//! shares (text checks, timeline entries) live below.

/// Deadline clocks: the policy for a report, the rules city admins set, the breach sweep.
mod deadlines;
/// Points earned by workflow steps, and the leaderboard.
mod points;
/// Reads: one event, lists, possible duplicates, whether a caller may see an event.
mod queries;
/// Filing a report: validation, idempotent replay, the grid it belongs to.
mod report;
/// The handling workflow: one step at a time, judged on every attempt; merging duplicates.
mod workflow;

pub use deadlines::{deadline_rules, policy_for, set_deadline_rule, sweep_breaches};
pub use points::{LeaderEntry, leaderboard};
pub use queries::{get_detail, like_pattern, list, may_see_event, possible_duplicates};
pub use report::{MAX_SYNC, NewReport, report_event};
pub use workflow::{StepInput, apply_step, merge_events};

use crate::access::Actor;
use crate::domain::event::{EventAction, EventState};
use crate::error::{AppError, AppResult};
use crate::store::event::{self as store, EventRow, StepRow};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// Trimmed text of `min` to `max` characters, without control characters but tab and newline.
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

/// `text`, where blank means absent.
fn optional_text(field: &str, raw: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => text(field, s, 1, max).map(Some),
    }
}

/// Appends one entry to an event's timeline (`actor` `None`: the system).
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
