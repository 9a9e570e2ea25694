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
use crate::access::resident::ResidentReach;
use crate::access::service_item::{
    self as access, ItemViewer, SideStanding, Viewer, judge_claim_step, judge_claiming,
    judge_poster,
};
use crate::access::{Actor, Principal, Scope};
use crate::domain::page::PageRequest;
use crate::domain::region::{RegionLevel, is_within};
use crate::domain::role::Role;
use crate::domain::service_item::{
    ClaimStep, ServiceCategory, ServiceClaimState, ServiceDirection, ServiceItemKind,
    ServiceItemState, ServiceStepAction, accepts_claims_on, beneficiary_summary, parse_capacity,
    parse_description, parse_due_on, parse_note, parse_people_served, parse_title, shanghai_day,
    shanghai_day_start,
};
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Entry, Outcome};
use crate::service::photo::{self, IncomingPhoto, PhotoOwner};
use crate::service::region::find_at_level;
use crate::state::AppState;
use crate::store::region::{self, RegionRow};
use crate::store::resident;
use crate::store::service_item::{
    self as store, ClaimReport, ClaimRow, Figures, ItemFilter, ItemRow, StepRow,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use serde_json::json;
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
pub async fn viewer(state: &AppState, me: &Principal) -> AppResult<ItemViewer> {
    let committee_paths = match (me.role, me.member_unit_id) {
        (Role::UnitLiaison, Some(unit_id)) => {
            Some(store::committee_paths_of_unit(&state.db, unit_id).await?)
        }
        _ => None,
    };
    access::viewer(me, committee_paths)
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

pub struct NewServiceItem {
    pub direction: ServiceDirection,
    pub kind: ServiceItemKind,
    pub category: ServiceCategory,
    pub title: String,
    pub description: String,
    pub capacity: Option<i32>,
    pub due_on: NaiveDate,
    /// The committee: a community for a need; a community or sub-district the offering unit
    /// sits on the committee of, for an offer.
    pub region_id: Uuid,
    /// Micro-wishes only: the resident the wish is for.
    pub beneficiary_resident_id: Option<Uuid>,
    pub photos: Vec<IncomingPhoto>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id))]
pub async fn post_service_item(
    state: &AppState,
    actor: &Actor,
    input: NewServiceItem,
) -> AppResult<ItemRow> {
    let me = &actor.principal;
    let title = parse_title(&input.title)?;
    let description = parse_description(&input.description)?;
    let capacity = parse_capacity(input.capacity, input.kind)?;
    let due_on = parse_due_on(input.due_on, today(state))?;
    let offering_unit = access::judge_posting(me, input.direction)?;
    let (region, posted_by_unit_id, beneficiary) = match (input.direction, offering_unit) {
        (ServiceDirection::Need, _) => {
            let community = find_at_level(
                state,
                &me.scope,
                "regionId",
                input.region_id,
                &[RegionLevel::Community],
                "需求清单须发布到社区",
            )
            .await?;
            let beneficiary = match (input.kind, input.beneficiary_resident_id) {
                (ServiceItemKind::MicroWish, Some(id)) => {
                    Some(micro_wish_beneficiary(state, me, &community, id).await?)
                }
                (ServiceItemKind::MicroWish, None) => {
                    return Err(AppError::bad_input(
                        "beneficiaryResidentId",
                        "微心愿须指明受助居民",
                    ));
                }
                (ServiceItemKind::Project, Some(_)) => {
                    return Err(AppError::bad_input(
                        "beneficiaryResidentId",
                        "只有微心愿需要指明受助居民",
                    ));
                }
                (ServiceItemKind::Project, None) => None,
            };
            (community, None, beneficiary)
        }
        (ServiceDirection::Offer, None) => {
            return Err(AppError::internal(anyhow::anyhow!(
                "an offer judged postable without a unit"
            )));
        }
        (ServiceDirection::Offer, Some(unit_id)) => {
            if input.kind == ServiceItemKind::MicroWish {
                return Err(AppError::bad_input("kind", "微心愿只能作为社区需求发布"));
            }
            if input.beneficiary_resident_id.is_some() {
                return Err(AppError::bad_input(
                    "beneficiaryResidentId",
                    "只有微心愿需要指明受助居民",
                ));
            }
            let committees =
                crate::store::member_unit::committees_of_unit(&state.db, unit_id).await?;
            access::judge_offer_to(&committees, input.region_id)?;
            (
                region_row(state, input.region_id).await?,
                Some(unit_id),
                None,
            )
        }
    };
    // Checked and stored only once everything else passed; rows are written with the item.
    let staged = photo::stage(state, "photos", input.photos).await?;
    let now = state.now();
    let row = ItemRow {
        id: Uuid::now_v7(),
        direction: input.direction,
        kind: input.kind,
        category: input.category,
        title,
        description,
        capacity,
        active_claims: 0,
        state: ServiceItemState::Open,
        due_on,
        region_id: region.id,
        posted_by: me.account_id,
        posted_by_unit_id,
        beneficiary_resident_id: beneficiary.as_ref().map(|b| b.0),
        beneficiary_summary: beneficiary.map(|b| b.1),
        closed_at: None,
        created_at: now,
        updated_at: now,
    };
    let txn = begin_write(state).await?;
    let row = store::insert_item(&txn, row).await?;
    photo::attach(
        &txn,
        PhotoOwner::ServiceItem(row.id),
        &staged,
        me.account_id,
        now,
    )
    .await?;
    record(
        &txn,
        Some(actor),
        now,
        Record {
            item: &row,
            claim_id: None,
            action: ServiceStepAction::Posted,
            item_change: Some((None, ServiceItemState::Open)),
            claim_change: None,
            note: None,
            audit_action: "service_item.post",
            // Never the beneficiary: the log is read more widely than the resident is visible.
            detail: json!({
                "direction": row.direction.as_str(), "kind": row.kind.as_str(), "category": row.category.as_str(),
                "capacity": row.capacity, "dueOn": row.due_on, "unit": row.posted_by_unit_id,
                "photos": staged.len(),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The resident a micro-wish is for (in the poster's scope, living in the community) and the
/// masked description claimants will see instead.
async fn micro_wish_beneficiary(
    state: &AppState,
    me: &Principal,
    community: &RegionRow,
    resident_id: Uuid,
) -> AppResult<(Uuid, String)> {
    let resident = resident::find(&state.db, resident_id, &ResidentReach::to_name(me))
        .await?
        .ok_or_else(|| AppError::not_found("受助居民"))?;
    let home = region_row(state, resident.region_id).await?;
    if !is_within(&home.path, &community.path) {
        return Err(AppError::bad_input(
            "beneficiaryResidentId",
            "受助居民须居住在发布需求的社区",
        ));
    }
    let gender = resident.gender;
    Ok((
        resident.id,
        beneficiary_summary(resident.birth_date, gender, today(state)),
    ))
}

/// A visible item, or `NOT_FOUND`.
async fn visible_item(state: &AppState, viewer: &ItemViewer, id: Uuid) -> AppResult<ItemRow> {
    store::find_item(&state.db, id, viewer)
        .await?
        .ok_or_else(|| AppError::not_found("服务项目"))
}

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

fn item_transition_error(state: ServiceItemState, verb: &str) -> AppError {
    AppError::invalid_transition(
        state.as_str(),
        format!("服务项目当前状态为 {}，不能{verb}", state.as_str()),
    )
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
    let viewer = viewer(state, me).await?;
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
    let viewer = viewer(state, me).await?;
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
    let viewer = viewer(state, me).await?;
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
    let viewer = viewer(state, me).await?;
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
    txn.commit().await?;
    Ok(true)
}

/// Filters of `serviceItems`.
#[derive(Debug, Default, Clone)]
pub struct ItemQuery {
    pub region_id: Option<Uuid>,
    pub direction: Option<ServiceDirection>,
    pub kind: Option<ServiceItemKind>,
    pub category: Option<ServiceCategory>,
    pub state: Option<ServiceItemState>,
    pub claimable_by_me: bool,
}

pub async fn list_service_items(
    state: &AppState,
    actor: &Actor,
    query: ItemQuery,
    page: &PageRequest,
) -> AppResult<Vec<ItemRow>> {
    let me = &actor.principal;
    let viewer = viewer(state, me).await?;
    let within = match query.region_id {
        None => None,
        // Staff look within their scope, and a region outside it is not found.
        Some(id) if matches!(viewer.kind(), Viewer::Staff { .. } | Viewer::All) => {
            let region = region::find(&state.db, id, &me.scope)
                .await?
                .ok_or_else(|| {
                    AppError::NotFound("regionId: 区域不存在或不在您的管辖范围内".into())
                })?;
            Some(Scope::within(&region.path))
        }
        // A liaison has no region scope: the filter only narrows what it already sees, and an
        // unknown id narrows to nothing — the same answer as a region it sees nothing in, so
        // the answer tells nothing about which ids exist.
        Some(id) => Some(match region::find_unscoped(&state.db, id).await? {
            Some(region) => Scope::within(&region.path),
            None => Scope::nothing(),
        }),
    };
    let filter = ItemFilter {
        within,
        direction: query.direction,
        kind: query.kind,
        category: query.category,
        state: query.state,
        claimable: query
            .claimable_by_me
            .then(|| (access::claimant(me, &viewer), today(state))),
    };
    Ok(store::list_items(&state.db, &viewer, &filter, page, page.after_id()?).await?)
}

pub async fn find_service_item(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ItemRow> {
    let viewer = viewer(state, &actor.principal).await?;
    visible_item(state, &viewer, id).await
}

/// May this caller see the item (for its photos)? Grid members see no items.
pub async fn may_see_item(state: &AppState, me: &Principal, id: Uuid) -> AppResult<bool> {
    Ok(match viewer(state, me).await {
        Ok(viewer) => store::find_item(&state.db, id, &viewer).await?.is_some(),
        Err(AppError::Forbidden(_)) => false,
        Err(e) => return Err(e),
    })
}

/// May this caller see the claim (for its completion photos)?
pub async fn may_see_claim(state: &AppState, me: &Principal, id: Uuid) -> AppResult<bool> {
    Ok(match viewer(state, me).await {
        Ok(viewer) => store::find_claim(&state.db, id, &viewer).await?.is_some(),
        Err(AppError::Forbidden(_)) => false,
        Err(e) => return Err(e),
    })
}

pub async fn find_service_claim(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ClaimRow> {
    let viewer = viewer(state, &actor.principal).await?;
    store::find_claim(&state.db, id, &viewer)
        .await?
        .ok_or_else(|| AppError::not_found("认领"))
}

/// Follow-through of committees and units over a period of Asia/Shanghai days.
pub struct FollowThrough {
    pub region: Option<RegionRow>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub committees: Vec<(Uuid, Figures)>,
    pub units: Vec<(Uuid, Figures)>,
}

/// Items posted, claims made, completed, verified, withdrawn and released for inaction, and
/// people served, per committee and per member unit, for the committees in `region_id`'s subtree
/// (default: the caller's scope), over the days `from..=to`. Community workers and above.
pub async fn follow_through(
    state: &AppState,
    actor: &Actor,
    region_id: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<FollowThrough> {
    let me = &actor.principal;
    super::require_staff(actor, "只有社区工作者及以上可以查看认领履约情况")?;
    if to < from {
        return Err(AppError::bad_input("to", "结束日期早于开始日期"));
    }
    if (to - from).num_days() > 731 {
        return Err(AppError::bad_input("to", "统计区间最长两年"));
    }
    let region = match region_id {
        Some(id) => Some(
            region::find(&state.db, id, &me.scope)
                .await?
                .ok_or_else(|| {
                    AppError::NotFound("regionId: 区域不存在或不在您的管辖范围内".into())
                })?,
        ),
        None => None,
    };
    let within = match &region {
        Some(r) => Scope::within(&r.path),
        None => me.scope.clone(),
    };
    let lo = shanghai_day_start(from);
    let hi = shanghai_day_start(to + chrono::Days::new(1));
    let (committees, units) = store::follow_through(&state.db, &within, lo, hi).await?;
    Ok(FollowThrough {
        region,
        from,
        to,
        committees,
        units,
    })
}
