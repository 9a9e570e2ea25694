//! Posting needs (community staff, for a community) and offers (a unit liaison, to a committee
//! its unit sits on), with the micro-wish beneficiary check.
use super::{Record, begin_write, record, region_row, today};
use crate::access::resident::ResidentReach;
use crate::access::service_item::{self as access};
use crate::access::{Actor, Principal};
use crate::domain::region::{RegionLevel, is_within};
use crate::domain::service_item::{
    ServiceCategory, ServiceDirection, ServiceItemKind, ServiceItemState, ServiceStepAction,
    beneficiary_summary, parse_capacity, parse_description, parse_due_on, parse_title,
};
use crate::error::{AppError, AppResult};
use crate::service::photo::{self, IncomingPhoto, PhotoOwner};
use crate::service::region::find_at_level;
use crate::state::AppState;
use crate::store::region::RegionRow;
use crate::store::resident;
use crate::store::service_item::{self as store, ItemRow};
use chrono::NaiveDate;
use serde_json::json;
use uuid::Uuid;

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
