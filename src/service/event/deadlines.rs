//! Deadline clocks: the policy for a category and priority, the rules city admins set, and the
//! sweep that marks clocks that ran out.
use super::timeline;
use crate::access::Actor;
use crate::access::event as access;
use crate::domain::event::{
    DeadlinePolicy, DeadlineStage, EventAction, EventCategory, EventPriority,
};
use crate::error::{AppError, AppResult};
use crate::service::announce;
use crate::service::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::event as store;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

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
                    let told = crate::service::notification::for_event_entry(
                        &txn,
                        None,
                        &event,
                        EventAction::DeadlineBreached,
                        now,
                    )
                    .await?;
                    marked += 1;
                    txn.commit().await?;
                    announce::event_changed(
                        state,
                        &event,
                        EventAction::DeadlineBreached,
                        now,
                        told,
                    )
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
    crate::service::require_staff(actor, "只有社区工作者及以上可以查看处置时限规则")?;
    Ok(store::deadline_rules(&state.db).await?)
}
