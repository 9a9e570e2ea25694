//! Committee activities: recording a big party committee's (or big working committee's) joint
//! meeting (联席会议) or co-building activity (共建活动) with the member units that took part, the
//! service items it served and its photos; listing them; telling whether a caller may see one
//! (for its photos). Who may do what is `access::committee`; a refused record is audited as
//! `DENIED`, a recorded one in its own transaction.
use crate::access::committee::{self as access, ActivityReach, Reach};
use crate::access::{Actor, Principal};
use crate::domain::committee::{
    CommitteeActivityKind, parse_activity_title, parse_held_on, parse_notes, parse_people_reached,
    parse_service_item_ids, parse_unit_ids,
};
use crate::domain::page::PageRequest;
use crate::domain::region::{RegionLevel, is_within};
use crate::domain::role::Role;
use crate::domain::service_item::shanghai_day;
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Entry, Outcome};
use crate::service::photo::{self, IncomingPhoto, PhotoOwner, StagedPhoto};
use crate::state::AppState;
use crate::store::committee::{self as store, ActivityFilter, ActivityRow};
use crate::store::{member_unit, region, service_item as items};
use chrono::NaiveDate;
use sea_orm::TransactionTrait;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A meeting or activity as the client sends it.
pub struct NewCommitteeActivity {
    /// Minted once by the client; a retry with it returns the first record.
    pub client_id: Uuid,
    /// The committee: a community (big party committee) or sub-district (big working committee).
    pub committee_region_id: Uuid,
    pub kind: CommitteeActivityKind,
    pub held_on: NaiveDate,
    pub title: String,
    pub unit_ids: Vec<Uuid>,
    pub people_reached: i32,
    pub notes: Option<String>,
    pub service_item_ids: Vec<Uuid>,
    pub photos: Vec<IncomingPhoto>,
}

/// The committees a liaison's unit sits on (empty for anyone else).
async fn unit_committees(state: &AppState, me: &Principal) -> AppResult<Vec<Uuid>> {
    Ok(match (me.role, me.member_unit_id) {
        (Role::UnitLiaison, Some(unit)) => member_unit::committees_of_unit(&state.db, unit).await?,
        _ => Vec::new(),
    })
}

/// What this caller may see of committee activities. Grid members: `FORBIDDEN`.
pub async fn reach(state: &AppState, me: &Principal) -> AppResult<ActivityReach> {
    let committees = match me.role {
        Role::UnitLiaison => Some(unit_committees(state, me).await?),
        _ => None,
    };
    access::reach(me, committees)
}

/// The input as checked, in the form its payload hash is taken of.
struct Checked {
    title: String,
    notes: Option<String>,
    people_reached: i32,
    unit_ids: Vec<Uuid>,
    item_ids: Vec<Uuid>,
    held_on: NaiveDate,
}

/// What makes two submissions "the same record": every field the client chose, and the
/// content of every photo.
fn payload_hash(input: &NewCommitteeActivity, checked: &Checked) -> String {
    let photos: Vec<&str> = input.photos.iter().map(|p| p.sha256()).collect();
    let canonical = json!({
        "committee": input.committee_region_id,
        "kind": input.kind.as_str(),
        "heldOn": checked.held_on,
        "title": checked.title,
        "units": checked.unit_ids,
        "peopleReached": checked.people_reached,
        "notes": checked.notes,
        "serviceItems": checked.item_ids,
        "photos": photos,
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

fn replay(existing: ActivityRow, me: &Principal, hash: &str) -> AppResult<ActivityRow> {
    crate::service::check_replay(
        existing.recorded_by == me.account_id,
        existing.payload_hash == hash,
        "活动记录",
    )?;
    Ok(existing)
}

/// Records a meeting or activity. A retry with the same `clientId` by the same account returns
/// the first record; a different payload under that id, or another account's id, is
/// `CONFLICT`. Staff in scope and liaisons of the committee's member units may record; every
/// unit named must sit on the committee, every service item must be one the caller sees of the
/// committee's region (a sub-district's working committee: of its communities too).
#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, client_id = %input.client_id))]
pub async fn record_committee_activity(
    state: &AppState,
    actor: &Actor,
    input: NewCommitteeActivity,
) -> AppResult<ActivityRow> {
    let me = &actor.principal;
    if input.client_id.is_nil() {
        return Err(AppError::bad_input("clientId", "clientId 不能为空 UUID"));
    }
    let checked = Checked {
        title: parse_activity_title(&input.title)?,
        notes: parse_notes(input.notes.as_deref())?,
        people_reached: parse_people_reached(input.people_reached)?,
        unit_ids: parse_unit_ids(&input.unit_ids)?,
        item_ids: parse_service_item_ids(&input.service_item_ids)?,
        held_on: input.held_on,
    };
    let hash = payload_hash(&input, &checked);
    if let Some(existing) = store::find_by_client_id_unscoped(&state.db, input.client_id).await? {
        return replay(existing, me, &hash);
    }
    parse_held_on(input.held_on, shanghai_day(state.now()))?;

    let committee = region::find_unscoped(&state.db, input.committee_region_id).await?;
    let committees = unit_committees(state, me).await?;
    if let Err(refusal) = access::judge_recording(
        me,
        input.committee_region_id,
        committee.as_ref().map(|c| c.path.as_str()),
        &committees,
    ) {
        return Err(denied(state, actor, &input, committee.is_some(), refusal).await);
    }
    let committee = committee.ok_or_else(|| AppError::not_found("committeeRegionId: 区域"))?;
    if !matches!(
        committee.level,
        RegionLevel::Community | RegionLevel::SubDistrict
    ) {
        return Err(AppError::bad_input(
            "committeeRegionId",
            "大党委设在社区，大工委设在街道",
        ));
    }
    let members = store::members_of_committee(&state.db, committee.id, &checked.unit_ids).await?;
    if checked.unit_ids.iter().any(|u| !members.contains(u)) {
        return Err(AppError::bad_input(
            "unitIds",
            "参与单位须为该大党委（大工委）的成员单位",
        ));
    }
    if !checked.item_ids.is_empty() {
        let viewer = crate::service::service_item::viewer(me)?;
        let found = items::find_items(&state.db, &checked.item_ids, &viewer).await?;
        if found.len() != checked.item_ids.len() {
            return Err(AppError::NotFound(
                "serviceItemIds: 服务项目不存在或不在您的范围内".into(),
            ));
        }
        let region_ids: Vec<Uuid> = found.iter().map(|i| i.region_id).collect();
        let regions = region::find_many_unscoped(&state.db, &region_ids).await?;
        let served = found.iter().all(|item| {
            regions
                .iter()
                .find(|r| r.id == item.region_id)
                .is_some_and(|r| is_within(&r.path, &committee.path))
        });
        if !served {
            return Err(AppError::bad_input(
                "serviceItemIds",
                "关联的服务项目须属于该大党委（大工委）",
            ));
        }
    }
    let staged = photo::stage(state, "photos", input.photos).await?;
    let now = state.now();
    let row = ActivityRow {
        id: Uuid::now_v7(),
        client_id: input.client_id,
        payload_hash: hash.clone(),
        region_id: committee.id,
        kind: input.kind,
        held_on: checked.held_on,
        title: checked.title,
        people_reached: checked.people_reached,
        notes: checked.notes,
        recorded_by: me.account_id,
        recorded_by_name: me.name.clone(),
        recorded_at: now,
    };
    let client_id = input.client_id;
    match insert(
        state,
        actor,
        row,
        &checked.unit_ids,
        &checked.item_ids,
        &staged,
    )
    .await
    {
        Ok(row) => Ok(row),
        // A concurrent submission of the same id got there first: answer as a retry would be.
        Err(AppError::Conflict { .. }) => {
            match store::find_by_client_id_unscoped(&state.db, client_id).await? {
                Some(existing) => replay(existing, me, &hash),
                None => Err(AppError::conflict(Some("clientId"), "提交冲突，请重试")),
            }
        }
        Err(e) => Err(e),
    }
}

async fn insert(
    state: &AppState,
    actor: &Actor,
    row: ActivityRow,
    unit_ids: &[Uuid],
    item_ids: &[Uuid],
    staged: &[StagedPhoto],
) -> AppResult<ActivityRow> {
    let now = row.recorded_at;
    let txn = state.db.begin().await?;
    let row = store::insert(&txn, row, unit_ids, item_ids)
        .await
        .map_err(|e| AppError::from_db_unique(e, "clientId", "该 clientId 已被使用"))?;
    photo::attach(
        &txn,
        PhotoOwner::CommitteeActivity(row.id),
        staged,
        actor.principal.account_id,
        now,
    )
    .await?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "committee_activity.record",
            target_type: "committee_activity",
            target_id: Some(row.id),
            region_id: Some(row.region_id),
            outcome: Outcome::Success,
            detail: Some(json!({
                "kind": row.kind.as_str(), "heldOn": row.held_on, "units": unit_ids,
                "serviceItems": item_ids, "peopleReached": row.people_reached,
                "photos": staged.len(),
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Writes a refused record to the audit log as `DENIED` (on its own, so it stays recorded) and
/// hands the refusal back.
async fn denied(
    state: &AppState,
    actor: &Actor,
    input: &NewCommitteeActivity,
    committee_exists: bool,
    refusal: AppError,
) -> AppError {
    let me = &actor.principal;
    let written = audit::record(
        &state.db,
        Some(actor),
        state.now(),
        Entry {
            action: "committee_activity.record",
            target_type: "region",
            target_id: Some(input.committee_region_id),
            region_id: if committee_exists {
                Some(input.committee_region_id)
            } else {
                me.region_id
            },
            outcome: Outcome::Denied,
            detail: Some(json!({ "kind": input.kind.as_str(), "clientId": input.client_id })),
        },
    )
    .await;
    match written {
        Ok(()) => refusal,
        Err(e) => e.into(),
    }
}

/// Filters of `committeeActivities`.
#[derive(Debug, Default, Clone)]
pub struct ActivityQuery {
    pub region_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// One page of the activities the caller sees, most recently recorded first. Staff: of the
/// committees in scope (a `regionId` outside it is `NOT_FOUND`); a liaison: of its unit's
/// committees (`regionId` only narrows); grid members: `FORBIDDEN`.
pub async fn list_committee_activities(
    state: &AppState,
    actor: &Actor,
    query: ActivityQuery,
    page: &PageRequest,
) -> AppResult<Vec<ActivityRow>> {
    let me = &actor.principal;
    let reach = reach(state, me).await?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && to < from
    {
        return Err(AppError::bad_input("to", "结束日期早于开始日期"));
    }
    let staff = matches!(reach.kind(), Reach::Staff { .. } | Reach::All);
    let within = crate::service::region::narrowing(state, me, query.region_id, staff).await?;
    let filter = ActivityFilter {
        within,
        from: query.from,
        to: query.to,
    };
    Ok(store::list(&state.db, &reach, &filter, page, page.after_id()?).await?)
}

/// May this caller see the activity (for its photos)? Grid members see none.
pub async fn may_see_activity(state: &AppState, me: &Principal, id: Uuid) -> AppResult<bool> {
    Ok(match reach(state, me).await {
        Ok(reach) => store::find(&state.db, id, &reach).await?.is_some(),
        Err(AppError::Forbidden(_)) => false,
        Err(e) => return Err(e),
    })
}
