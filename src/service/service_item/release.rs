//! The sweep that releases claims still `CLAIMED` after their item's due day.
use super::{Record, begin_write, record, today};
use crate::domain::service_item::{ServiceClaimState, ServiceStepAction};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::service_item::{self as store, ClaimReport, ClaimRow};
use serde_json::json;

/// Releases every claim still `CLAIMED` after its item's due day: the place goes back on the
/// list (a full item opens again) and the poster finds a timeline entry saying so. Each release
/// is its own conditional update, so running the sweep twice, or on two servers at once,
/// releases each claim once. Returns how many were released.
#[tracing::instrument(skip_all)]
pub async fn release_stale_claims(state: &AppState) -> AppResult<usize> {
    const BATCH: u64 = 200;
    let mut released = 0;
    loop {
        let today = today(state);
        let batch = store::stale_claims(&state.db, today, BATCH).await?;
        let mut released_now = 0;
        for claim in &batch {
            if release(state, claim).await? {
                released_now += 1;
            }
        }
        released += released_now;
        if (batch.len() as u64) < BATCH || released_now == 0 {
            break;
        }
    }
    if released > 0 {
        tracing::info!(released, "claims released for inaction");
    }
    Ok(released)
}

async fn release(state: &AppState, claim: &ClaimRow) -> AppResult<bool> {
    let now = state.now();
    let txn = begin_write(state).await?;
    let Some(moved) = store::move_claim(
        &txn,
        claim.id,
        ServiceClaimState::Claimed,
        ServiceClaimState::Released,
        ClaimReport::default(),
        now,
    )
    .await?
    else {
        // Started, withdrawn or released by someone else meanwhile.
        txn.rollback().await?;
        return Ok(false);
    };
    let Some((before, after)) = store::give_place_back(&txn, moved.item_id, now).await? else {
        txn.rollback().await?;
        return Err(AppError::internal(anyhow::anyhow!(
            "claim {} held no place on its item",
            moved.id
        )));
    };
    let (b, a) = (before.state, after.state);
    record(
        &txn,
        None,
        now,
        Record {
            item: &after,
            claim_id: Some(moved.id),
            action: ServiceStepAction::Released,
            item_change: (b != a).then_some((Some(b), a)),
            claim_change: Some((Some(ServiceClaimState::Claimed), ServiceClaimState::Released)),
            note: Some(format!(
                "截止日期 {} 前未开始实施，认领已自动释放，名额重新开放",
                after.due_on
            )),
            audit_action: "service_claim.release",
            detail: json!({ "item": after.id, "unit": moved.member_unit_id, "community": moved.community_id, "dueOn": after.due_on }),
        },
    )
    .await?;
    let told = crate::service::notification::for_claim_release(&txn, &after, &moved, now).await?;
    txn.commit().await?;
    crate::service::announce::notified(state, told).await;
    Ok(true)
}
