//! Two-way service claiming (双向认领): posting needs and offers, claiming them, the steps of a
//! claim, the sweep that releases claims nobody started by the due date, and the follow-through
//! figures. Each use-case checks who may act, owns its transaction, and writes both the audit
//! entry and the item's timeline entry in it.
//!
//! Who is who: a need is posted by community staff for a community and claimed by member units
//! (through their liaison accounts) sitting on that community's big party committee or on its
//! sub-district's big working committee. An offer is posted by a unit liaison to a committee its
//! unit sits on and claimed by a community (a community worker) of that committee. The claimant
//! starts, completes and withdraws; the poster's side verifies.
//!
//! One file per concern; callers use the names re-exported here, and the helpers every file
//! shares (write transactions, the timeline + audit record, refusals) live below.

/// Claiming an item, and the steps of a claim: start, complete, verify, withdraw.
mod claiming;
/// Follow-through figures per committee and member unit.
mod follow_through;
/// The poster's side of an item: close, cancel, reschedule.
mod poster;
/// Posting needs and offers.
mod posting;
/// Reads: lists, one item or claim, and whether a caller may see one (for photos).
mod queries;
/// The sweep that releases claims nobody started by the due date.
mod release;

pub use claiming::{
    Completion, claim_service_item, complete_claim, start_claim, verify_claim, withdraw_claim,
};
pub use follow_through::{FollowThrough, follow_through};
pub use poster::{cancel_service_item, close_service_item, reschedule_service_item};
pub use posting::{NewServiceItem, post_service_item};
pub use queries::{
    ItemQuery, find_service_claim, find_service_item, list_service_items, may_see_claim,
    may_see_item,
};
pub use release::release_stale_claims;

use crate::access::service_item::{self as access, ItemViewer, SideStanding};
use crate::access::{Actor, Principal};
use crate::domain::service_item::{
    ServiceClaimState, ServiceItemState, ServiceStepAction, shanghai_day,
};
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::region::{self, RegionRow};
use crate::store::service_item::{self as store, ItemRow, StepRow};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use uuid::Uuid;

/// A write transaction. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so concurrent
/// writers queue on the busy timeout instead of failing when a read would have to upgrade.
async fn begin_write(state: &AppState) -> Result<DatabaseTransaction, DbErr> {
    state
        .db
        .begin_with_options(TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        })
        .await
}

fn today(state: &AppState) -> NaiveDate {
    shanghai_day(state.now())
}

/// What this caller may see of service items. Grid members take no part in claiming.
pub fn viewer(me: &Principal) -> AppResult<ItemViewer> {
    access::viewer(me, me.committee_paths.clone())
}

async fn region_row(state: &AppState, id: Uuid) -> AppResult<RegionRow> {
    region::find_unscoped(&state.db, id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("region {id} of a service row is gone")))
}

/// The caller's standing towards the community (or committee region) `region_id`.
async fn side_standing(
    state: &AppState,
    me: &Principal,
    region_id: Uuid,
) -> AppResult<SideStanding> {
    Ok(SideStanding::of(
        me,
        &region_row(state, region_id).await?.path,
    ))
}

/// Writes a refused attempt to the audit log as `DENIED`, on its own so it stays recorded, and
/// hands the refusal back.
async fn denied(
    state: &AppState,
    actor: &Actor,
    action: &str,
    target: (&'static str, Uuid),
    region_id: Uuid,
    refusal: AppError,
) -> AppError {
    let written = audit::record(
        &state.db,
        Some(actor),
        state.now(),
        Entry {
            action,
            target_type: target.0,
            target_id: Some(target.1),
            region_id: Some(region_id),
            outcome: Outcome::Denied,
            detail: None,
        },
    )
    .await;
    match written {
        Ok(()) => refusal,
        Err(e) => e.into(),
    }
}

/// A timeline entry and its audit entry, written in the caller's transaction.
struct Record<'a> {
    item: &'a ItemRow,
    claim_id: Option<Uuid>,
    action: ServiceStepAction,
    item_change: Option<(Option<ServiceItemState>, ServiceItemState)>,
    claim_change: Option<(Option<ServiceClaimState>, ServiceClaimState)>,
    note: Option<String>,
    audit_action: &'a str,
    detail: serde_json::Value,
}

async fn record(
    txn: &DatabaseTransaction,
    actor: Option<&Actor>,
    now: DateTime<Utc>,
    r: Record<'_>,
) -> AppResult<StepRow> {
    let step = store::insert_step(
        txn,
        StepRow {
            id: Uuid::now_v7(),
            item_id: r.item.id,
            claim_id: r.claim_id,
            action: r.action,
            item_from: r.item_change.and_then(|c| c.0),
            item_to: r.item_change.map(|c| c.1),
            claim_from: r.claim_change.and_then(|c| c.0),
            claim_to: r.claim_change.map(|c| c.1),
            actor_id: actor.map(|a| a.principal.account_id),
            actor_name: actor.map(|a| a.principal.name.clone()),
            actor_role: actor.map(|a| a.principal.role),
            note: r.note,
            at: now,
        },
    )
    .await?;
    let (target_type, target_id) = match r.claim_id {
        Some(id) => ("service_claim", id),
        None => ("service_item", r.item.id),
    };
    audit::record(
        txn,
        actor,
        now,
        Entry {
            action: r.audit_action,
            target_type,
            target_id: Some(target_id),
            region_id: Some(r.item.region_id),
            outcome: Outcome::Success,
            detail: Some(r.detail),
        },
    )
    .await?;
    Ok(step)
}

/// A visible item, or `NOT_FOUND`.
async fn visible_item(state: &AppState, viewer: &ItemViewer, id: Uuid) -> AppResult<ItemRow> {
    store::find_item(&state.db, id, viewer)
        .await?
        .ok_or_else(|| AppError::not_found("服务项目"))
}

fn item_transition_error(state: ServiceItemState, verb: &str) -> AppError {
    AppError::invalid_transition(
        state.as_str(),
        format!("服务项目当前状态为 {}，不能{verb}", state.as_str()),
    )
}
