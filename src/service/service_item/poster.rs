//! The poster's side of an item: closing, cancelling and rescheduling it.
use super::{
    Record, begin_write, denied, item_transition_error, record, side_standing, today, viewer,
    visible_item,
};
use crate::access::Actor;
use crate::access::service_item::judge_poster;
use crate::domain::service_item::{ServiceItemState, ServiceStepAction, parse_due_on, parse_note};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::service_item::{self as store, ItemRow};
use chrono::NaiveDate;
use sea_orm::DatabaseTransaction;
use serde_json::json;
use uuid::Uuid;

/// The poster's side: community staff in scope for a need, the offering unit's liaison for an
/// offer. A refusal is audited as `DENIED`.
async fn require_poster(
    state: &AppState,
    actor: &Actor,
    item: &ItemRow,
    action: &str,
) -> AppResult<()> {
    let standing = side_standing(state, &actor.principal, item.region_id).await?;
    match judge_poster(&standing, item) {
        Ok(()) => Ok(()),
        Err(refusal) => Err(denied(
            state,
            actor,
            action,
            ("service_item", item.id),
            item.region_id,
            refusal,
        )
        .await),
    }
}

/// The item row, locked for the rest of the transaction (PostgreSQL; SQLite write transactions
/// hold the whole database already).
async fn locked_item(txn: &DatabaseTransaction, id: Uuid) -> AppResult<ItemRow> {
    store::lock_item(txn, id)
        .await?
        .ok_or_else(|| AppError::not_found("服务项目"))
}

/// Closes an open or full item: no more claims; the claims made carry on to verification.
#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, item = %id))]
pub async fn close_service_item(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    note: Option<String>,
) -> AppResult<ItemRow> {
    end_item(state, actor, id, note, ServiceItemState::Closed).await
}

/// Cancels an item nobody holds a claim on (the need went away, the offer fell through).
#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, item = %id))]
pub async fn cancel_service_item(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    note: Option<String>,
) -> AppResult<ItemRow> {
    end_item(state, actor, id, note, ServiceItemState::Cancelled).await
}

async fn end_item(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    note: Option<String>,
    to: ServiceItemState,
) -> AppResult<ItemRow> {
    let me = &actor.principal;
    let viewer = viewer(me)?;
    let item = visible_item(state, &viewer, id).await?;
    let cancelling = to == ServiceItemState::Cancelled;
    let action = if cancelling {
        "service_item.cancel"
    } else {
        "service_item.close"
    };
    require_poster(state, actor, &item, action).await?;
    let note = parse_note("note", note.as_deref())?;
    let verb = if cancelling { "取消" } else { "关闭" };
    let now = state.now();
    let txn = begin_write(state).await?;
    // Read under the row lock, so the state we check is the one we change.
    let current = locked_item(&txn, id).await?;
    let from = current.state;
    let refusal = if !matches!(from, ServiceItemState::Open | ServiceItemState::Full) {
        Some(item_transition_error(from, verb))
    } else if cancelling && current.active_claims > 0 {
        Some(AppError::conflict(None, "已有认领，不能取消；可改为关闭"))
    } else {
        None
    };
    if let Some(err) = refusal {
        txn.rollback().await?;
        return Err(err);
    }
    let row = store::set_item_state(&txn, id, from, to, cancelling, now)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("locked item {id} did not change")))?;
    record(
        &txn,
        Some(actor),
        now,
        Record {
            item: &row,
            claim_id: None,
            action: if cancelling {
                ServiceStepAction::Cancelled
            } else {
                ServiceStepAction::Closed
            },
            item_change: Some((Some(from), to)),
            claim_change: None,
            note,
            audit_action: action,
            detail: json!({ "from": from.as_str(), "to": to.as_str() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Moves an open or full item's due date (e.g. after a claim was released for inaction).
#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, item = %id))]
pub async fn reschedule_service_item(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    due_on: NaiveDate,
    note: Option<String>,
) -> AppResult<ItemRow> {
    let me = &actor.principal;
    let viewer = viewer(me)?;
    let item = visible_item(state, &viewer, id).await?;
    require_poster(state, actor, &item, "service_item.reschedule").await?;
    let due_on = parse_due_on(due_on, today(state))?;
    let note = parse_note("note", note.as_deref())?;
    let now = state.now();
    let txn = begin_write(state).await?;
    let current = locked_item(&txn, id).await?;
    let current_state = current.state;
    if !matches!(
        current_state,
        ServiceItemState::Open | ServiceItemState::Full
    ) {
        txn.rollback().await?;
        return Err(item_transition_error(current_state, "调整截止日期"));
    }
    let row = store::set_due_on(&txn, id, due_on, now)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("locked item {id} did not change")))?;
    let text = format!("截止日期 {} → {}", current.due_on, due_on);
    record(
        &txn,
        Some(actor),
        now,
        Record {
            item: &row,
            claim_id: None,
            action: ServiceStepAction::Rescheduled,
            item_change: None,
            claim_change: None,
            note: Some(match note {
                Some(n) => format!("{text}：{n}"),
                None => text,
            }),
            audit_action: "service_item.reschedule",
            detail: json!({ "from": current.due_on, "to": due_on }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
