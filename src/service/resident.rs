//! Residents and their personal data (PIPL): ID numbers and phones are encrypted at rest with
//! keyed hashes for look-ups; the API shows masked forms; revealing a full ID number is a
//! reasoned, audited act of community workers and above, and a refused attempt is audited too.
use crate::access::Actor;
use crate::access::resident::ResidentReach;
use crate::domain::page::PageRequest;
use crate::domain::person::{parse_person_name, parse_phone};
use crate::domain::region::RegionLevel;
use crate::domain::resident::{
    Gender, IdNumber, ResidenceType, ResidentTag, encode_tags, parse_short_text,
};
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Entry, Outcome};
use crate::service::region::find_at_level;
use crate::state::AppState;
use crate::store::region;
use crate::store::resident::{self, ResidentFilter, ResidentRow};
use chrono::{FixedOffset, NaiveDate};
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

/// Calendar days are Asia/Shanghai days.
pub fn today(state: &AppState) -> NaiveDate {
    let shanghai = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    state.now().with_timezone(&shanghai).date_naive()
}

pub struct ResidentInput {
    pub region_id: Option<Uuid>,
    pub name: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub id_number: Option<String>,
    /// `Some(None)` clears the phone.
    pub phone: Option<Option<String>>,
    pub building: Option<Option<String>>,
    pub unit: Option<Option<String>>,
    pub room: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub household: Option<Option<String>>,
    pub residence_type: Option<ResidenceType>,
    pub tags: Option<Vec<ResidentTag>>,
}

fn require_staff(actor: &Actor, what: &str) -> AppResult<()> {
    super::require_staff(actor, &format!("无权{what}"))
}

/// Residents live in a grid or a compound.
async fn home_region(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<Uuid> {
    let levels = [RegionLevel::Grid, RegionLevel::Compound];
    let scope = &actor.principal.scope;
    Ok(find_at_level(
        state,
        scope,
        "regionId",
        id,
        &levels,
        "居民须登记到网格或小区",
    )
    .await?
    .id)
}

/// Applies the fields of `input` onto `row`, validating each and keeping identifiers encrypted.
async fn apply(state: &AppState, row: &mut ResidentRow, input: ResidentInput) -> AppResult<()> {
    if let Some(name) = &input.name {
        row.name = parse_person_name("name", name)?;
    }
    if let Some(raw) = &input.id_number {
        let id = IdNumber::parse("idNumber", raw, today(state))?;
        let hashes = state.pii.lookup_hashes("id_number", &id.value);
        if let Some(other) = resident::find_by_id_hashes(&state.db, &hashes).await?
            && other.id != row.id
        {
            return Err(AppError::conflict(Some("idNumber"), "该身份证号已登记"));
        }
        if let Some(gender) = input.gender
            && gender != id.gender
        {
            return Err(AppError::bad_input("gender", "性别与身份证号不一致"));
        }
        if let Some(birth) = input.birth_date
            && birth != id.birth_date
        {
            return Err(AppError::bad_input("birthDate", "出生日期与身份证号不一致"));
        }
        row.id_number_enc = state.pii.encrypt("id_number", &id.value)?;
        row.id_number_hash = state.pii.lookup_hash("id_number", &id.value);
        row.gender = id.gender;
        row.birth_date = id.birth_date;
    } else if input.gender.is_some() || input.birth_date.is_some() {
        return Err(AppError::bad_input(
            "gender",
            "性别和出生日期由身份证号决定，请修改身份证号",
        ));
    }
    if let Some(phone) = &input.phone {
        match phone {
            Some(raw) => {
                let phone = parse_phone("phone", raw)?;
                row.phone_enc = Some(state.pii.encrypt("phone", &phone)?);
                row.phone_hash = Some(state.pii.lookup_hash("phone", &phone));
            }
            None => {
                row.phone_enc = None;
                row.phone_hash = None;
            }
        }
    }
    if let Some(v) = &input.building {
        row.building = parse_short_text("building", v.as_deref(), 32)?;
    }
    if let Some(v) = &input.unit {
        row.unit = parse_short_text("unit", v.as_deref(), 16)?;
    }
    if let Some(v) = &input.room {
        row.room = parse_short_text("room", v.as_deref(), 16)?;
    }
    if let Some(v) = &input.address {
        row.address = parse_short_text("address", v.as_deref(), 200)?;
    }
    if let Some(v) = &input.household {
        row.household = parse_short_text("household", v.as_deref(), 64)?;
    }
    if let Some(kind) = input.residence_type {
        row.residence_type = kind;
    }
    if let Some(tags) = &input.tags {
        if tags.len() > 16 {
            return Err(AppError::bad_input("tags", "标签过多"));
        }
        row.tags = encode_tags(tags);
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id))]
pub async fn create_resident(
    state: &AppState,
    actor: &Actor,
    input: ResidentInput,
) -> AppResult<ResidentRow> {
    require_staff(actor, "登记居民")?;
    let region_id = home_region(
        state,
        actor,
        input
            .region_id
            .ok_or_else(|| AppError::bad_input("regionId", "须指定所在网格或小区"))?,
    )
    .await?;
    if input.name.is_none() {
        return Err(AppError::bad_input("name", "须填写姓名"));
    }
    if input.id_number.is_none() {
        return Err(AppError::bad_input("idNumber", "须填写身份证号"));
    }
    let now = state.now();
    let mut row = ResidentRow {
        id: Uuid::now_v7(),
        region_id,
        name: String::new(),
        // Set from the ID number below (it is required).
        gender: Gender::Female,
        birth_date: today(state),
        id_number_enc: String::new(),
        id_number_hash: String::new(),
        phone_enc: None,
        phone_hash: None,
        building: None,
        unit: None,
        room: None,
        address: None,
        household: None,
        residence_type: input.residence_type.unwrap_or(ResidenceType::Registered),
        tags: ",".into(),
        created_by: Some(actor.principal.account_id),
        created_at: now,
        updated_at: now,
    };
    apply(state, &mut row, input).await?;
    let txn = state.db.begin().await?;
    let row = resident::insert(&txn, row)
        .await
        .map_err(|e| AppError::from_db_unique(e, "idNumber", "该身份证号已登记"))?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "resident.create",
            target_type: "resident",
            target_id: Some(row.id),
            region_id: Some(row.region_id),
            outcome: Outcome::Success,
            detail: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, resident = %id))]
pub async fn update_resident(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    mut input: ResidentInput,
) -> AppResult<ResidentRow> {
    require_staff(actor, "修改居民信息")?;
    let mut row = resident::find(&state.db, id, &ResidentReach::to_view(&actor.principal)?)
        .await?
        .ok_or_else(|| AppError::not_found("居民"))?;
    if let Some(region_id) = input.region_id.take() {
        row.region_id = home_region(state, actor, region_id).await?;
    }
    let changed: Vec<&str> = [
        ("name", input.name.is_some()),
        ("idNumber", input.id_number.is_some()),
        ("phone", input.phone.is_some()),
        (
            "address",
            input.building.is_some()
                || input.unit.is_some()
                || input.room.is_some()
                || input.address.is_some(),
        ),
        ("household", input.household.is_some()),
        ("residenceType", input.residence_type.is_some()),
        ("tags", input.tags.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    apply(state, &mut row, input).await?;
    let now = state.now();
    row.updated_at = now;
    let txn = state.db.begin().await?;
    let row = resident::update(&txn, row)
        .await
        .map_err(|e| AppError::from_db_unique(e, "idNumber", "该身份证号已登记"))?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "resident.update",
            target_type: "resident",
            target_id: Some(row.id),
            region_id: Some(row.region_id),
            outcome: Outcome::Success,
            // Which fields changed, never their values.
            detail: Some(json!({ "fields": changed })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ResidentRow> {
    let reach = ResidentReach::to_view(&actor.principal)?;
    resident::find(&state.db, id, &reach)
        .await?
        .ok_or_else(|| AppError::not_found("居民"))
}

pub struct ResidentQuery {
    pub within: Option<Uuid>,
    pub tag: Option<ResidentTag>,
    pub name: Option<String>,
    pub building: Option<String>,
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: ResidentQuery,
    page: &PageRequest,
) -> AppResult<Vec<ResidentRow>> {
    let me = &actor.principal;
    let reach = ResidentReach::to_view(me)?;
    let reach = match query.within {
        Some(id) => reach.within(
            &region::find(&state.db, id, &me.scope)
                .await?
                .ok_or_else(|| AppError::NotFound("within: 区域不存在或不在您的管辖范围内".into()))?
                .path,
        ),
        None => reach,
    };
    let filter = ResidentFilter {
        tag: query.tag,
        name: parse_short_text("name", query.name.as_deref(), 64)?,
        building: parse_short_text("building", query.building.as_deref(), 32)?,
    };
    let after = page.after_id()?;
    Ok(resident::list(&state.db, &reach, &filter, page, after).await?)
}

/// The full ID number, for community workers and above in scope, with a reason; every attempt
/// is audited, refused ones included.
#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, resident = %id))]
pub async fn reveal_id_number(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> AppResult<String> {
    let reason = reason.trim();
    let reason_len = reason.chars().count();
    if !(2..=200).contains(&reason_len) {
        return Err(AppError::bad_input(
            "reason",
            "须说明查看理由（2 到 200 个字）",
        ));
    }
    let me = &actor.principal;
    let found = resident::find(&state.db, id, &ResidentReach::to_name(me)).await?;
    let allowed = me.is_staff() && found.is_some();
    audit::record(
        &state.db,
        Some(actor),
        state.now(),
        Entry {
            action: "resident.reveal_id_number",
            target_type: "resident",
            target_id: Some(id),
            region_id: found.as_ref().map(|r| r.region_id).or(me.region_id),
            outcome: if allowed {
                Outcome::Success
            } else {
                Outcome::Denied
            },
            detail: Some(json!({ "reason": reason })),
        },
    )
    .await?;
    match found {
        Some(row) if allowed => state.pii.decrypt("id_number", &row.id_number_enc),
        Some(_) => Err(AppError::forbidden(
            "只有社区工作者及以上可以查看完整身份证号",
        )),
        None if !me.is_staff() => Err(AppError::forbidden(
            "只有社区工作者及以上可以查看完整身份证号",
        )),
        None => Err(AppError::not_found("居民")),
    }
}
