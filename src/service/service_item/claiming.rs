//! Claiming an item (capacity held under any concurrency) and the steps of a claim: start,
//! complete, verify, withdraw, each judged again under the row lock.
use super::{
    Record, begin_write, denied, item_transition_error, record, region_row, side_standing, today,
    viewer, visible_item,
};
use crate::access::Actor;
use crate::access::service_item::{judge_claim_step, judge_claiming};
use crate::domain::service_item::{
    ClaimStep, ServiceClaimState, ServiceItemState, ServiceStepAction, accepts_claims_on,
    parse_note, parse_people_served,
};
use crate::error::{AppError, AppResult};
use crate::service::photo::{self, IncomingPhoto, PhotoOwner};
use crate::state::AppState;
use crate::store::service_item::{self as store, ClaimReport, ClaimRow};
use serde_json::json;
use uuid::Uuid;

fn already_claimed() -> AppError {
    AppError::conflict(Some("itemId"), "已认领该项目，不能重复认领")
}

fn no_place_left() -> AppError {
    AppError::conflict(Some("itemId"), "该项目名额已满")
}

/// Claims an item for the caller's unit (a need) or community (an offer). Capacity holds under
/// any concurrency: the place is taken by one conditional UPDATE in the transaction that
/// inserts the claim, and a unique index keeps one live claim per party.
#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, item = %item_id))]
pub async fn claim_service_item(
    state: &AppState,
    actor: &Actor,
    item_id: Uuid,
    note: Option<String>,
) -> AppResult<ClaimRow> {
    let me = &actor.principal;
    let viewer = viewer(me)?;
    let item = visible_item(state, &viewer, item_id).await?;
    let note = parse_note("note", note.as_deref())?;
    let community = region_row(state, item.region_id).await?;
    let (member_unit_id, community_id) = match judge_claiming(me, &viewer, &item, &community.path) {
        Ok(parties) => parties,
        Err(refusal) => {
            return Err(denied(
                state,
                actor,
                "service_claim.claim",
                ("service_item", item.id),
                item.region_id,
                refusal,
            )
            .await);
        }
    };
    match item.state {
        ServiceItemState::Open => {}
        ServiceItemState::Full => return Err(no_place_left()),
        other => return Err(item_transition_error(other, "认领")),
    }
    if !accepts_claims_on(item.due_on, today(state)) {
        return Err(AppError::invalid_transition(
            item.state.as_str(),
            format!("该项目已过截止日期（{}），不再接受认领", item.due_on),
        ));
    }
    if store::holding_claim(&state.db, item.id, member_unit_id, community_id)
        .await?
        .is_some()
    {
        return Err(already_claimed());
    }

    let now = state.now();
    let txn = begin_write(state).await?;
    let Some(after) = store::take_place(&txn, item.id, now).await? else {
        txn.rollback().await?;
        // Someone took the last place, or the poster closed it, since we looked.
        let current = visible_item(state, &viewer, item_id).await?.state;
        return Err(match current {
            ServiceItemState::Open | ServiceItemState::Full => no_place_left(),
            other => item_transition_error(other, "认领"),
        });
    };
    let claim = match store::insert_claim(
        &txn,
        ClaimRow {
            id: Uuid::now_v7(),
            item_id: item.id,
            member_unit_id,
            community_id,
            state: ServiceClaimState::Claimed,
            claimed_by: me.account_id,
            claimed_at: now,
            started_at: None,
            completed_at: None,
            verified_at: None,
            withdrawn_at: None,
            released_at: None,
            people_served: None,
            report_notes: None,
            updated_at: now,
        },
    )
    .await
    {
        Ok(claim) => claim,
        Err(e) => {
            // The rollback also gives the place taken above back.
            txn.rollback().await?;
            return Err(AppError::from_db_unique(
                e,
                "itemId",
                "已认领该项目，不能重复认领",
            ));
        }
    };
    let after_state = after.state;
    record(
        &txn,
        Some(actor),
        now,
        Record {
            item: &after,
            claim_id: Some(claim.id),
            action: ServiceStepAction::Claimed,
            item_change: (after_state != ServiceItemState::Open)
                .then_some((Some(ServiceItemState::Open), after_state)),
            claim_change: Some((None, ServiceClaimState::Claimed)),
            note,
            audit_action: "service_claim.claim",
            detail: json!({
                "item": item.id, "unit": member_unit_id, "community": community_id,
                "activeClaims": after.active_claims, "capacity": after.capacity,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(claim)
}

/// A completion report.
pub struct Completion {
    pub people_served: i32,
    pub notes: Option<String>,
    pub photos: Vec<IncomingPhoto>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, claim = %claim_id))]
pub async fn start_claim(
    state: &AppState,
    actor: &Actor,
    claim_id: Uuid,
    note: Option<String>,
) -> AppResult<ClaimRow> {
    step_claim(state, actor, claim_id, ClaimStep::Start, None, note).await
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, claim = %claim_id))]
pub async fn complete_claim(
    state: &AppState,
    actor: &Actor,
    claim_id: Uuid,
    report: Completion,
) -> AppResult<ClaimRow> {
    step_claim(
        state,
        actor,
        claim_id,
        ClaimStep::Complete,
        Some(report),
        None,
    )
    .await
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, claim = %claim_id))]
pub async fn verify_claim(
    state: &AppState,
    actor: &Actor,
    claim_id: Uuid,
    note: Option<String>,
) -> AppResult<ClaimRow> {
    step_claim(state, actor, claim_id, ClaimStep::Verify, None, note).await
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, claim = %claim_id))]
pub async fn withdraw_claim(
    state: &AppState,
    actor: &Actor,
    claim_id: Uuid,
    reason: Option<String>,
) -> AppResult<ClaimRow> {
    step_claim(state, actor, claim_id, ClaimStep::Withdraw, None, reason).await
}

async fn step_claim(
    state: &AppState,
    actor: &Actor,
    claim_id: Uuid,
    step: ClaimStep,
    completion: Option<Completion>,
    note: Option<String>,
) -> AppResult<ClaimRow> {
    let me = &actor.principal;
    let viewer = viewer(me)?;
    let claim = store::find_claim(&state.db, claim_id, &viewer)
        .await?
        .ok_or_else(|| AppError::not_found("认领"))?;
    let item = store::find_item_unscoped(&state.db, claim.item_id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("claim {claim_id} has no item")))?;
    let standing = side_standing(state, me, claim.community_id).await?;
    let audit_action = match step {
        ClaimStep::Start => "service_claim.start",
        ClaimStep::Complete => "service_claim.complete",
        ClaimStep::Verify => "service_claim.verify",
        ClaimStep::Withdraw => "service_claim.withdraw",
    };
    let region_id = item.region_id;
    let refuse = move |refusal: AppError| async move {
        match refusal {
            AppError::Forbidden(_) => {
                denied(
                    state,
                    actor,
                    audit_action,
                    ("service_claim", claim_id),
                    region_id,
                    refusal,
                )
                .await
            }
            other => other,
        }
    };
    // Refuse the wrong side or an illegal step before looking at the inputs.
    if let Err(refusal) = judge_claim_step(step, &standing, item.direction, &claim) {
        return Err(refuse(refusal).await);
    }
    let note = parse_note("note", note.as_deref())?;
    let (report, photos) = match completion {
        Some(c) => (
            ClaimReport {
                people_served: Some(parse_people_served(c.people_served)?),
                notes: parse_note("notes", c.notes.as_deref())?,
            },
            c.photos,
        ),
        None => (ClaimReport::default(), Vec::new()),
    };
    let staged = photo::stage(state, "photos", photos).await?;
    let now = state.now();
    let txn = begin_write(state).await?;
    // Judged again under the row lock, with the state it is changed from: another step may
    // have moved the claim since.
    let current = store::lock_claim(&txn, claim_id)
        .await?
        .ok_or_else(|| AppError::not_found("认领"))?;
    let from = current.state;
    let to = match judge_claim_step(step, &standing, item.direction, &current) {
        Ok(to) => to,
        Err(refusal) => {
            txn.rollback().await?;
            return Err(refuse(refusal).await);
        }
    };
    let Some(moved) = store::move_claim(&txn, claim.id, from, to, report, now).await? else {
        txn.rollback().await?;
        return Err(AppError::conflict(None, "该认领刚被他人更新，请刷新后重试"));
    };
    photo::attach(
        &txn,
        PhotoOwner::ServiceClaim(moved.id),
        &staged,
        me.account_id,
        now,
    )
    .await?;
    let (item_after, item_change) = if step.frees_place() {
        match store::give_place_back(&txn, item.id, now).await? {
            Some((before, after)) => {
                let (b, a) = (before.state, after.state);
                (after, (b != a).then_some((Some(b), a)))
            }
            None => (item.clone(), None),
        }
    } else {
        (item.clone(), None)
    };
    record(
        &txn,
        Some(actor),
        now,
        Record {
            item: &item_after,
            claim_id: Some(moved.id),
            action: step.action(),
            item_change,
            claim_change: Some((Some(from), to)),
            note: note.or_else(|| {
                moved
                    .report_notes
                    .clone()
                    .filter(|_| step == ClaimStep::Complete)
            }),
            audit_action,
            detail: json!({
                "item": item.id, "from": from.as_str(), "to": to.as_str(),
                "peopleServed": moved.people_served, "photos": staged.len(),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(moved)
}
