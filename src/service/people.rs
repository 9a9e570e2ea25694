//! Grid members (with their grid assignments and login accounts) and member units (with their
//! committee memberships and service agreements).
use crate::access::Actor;
use crate::access::cache::{Revoked, announce};
use crate::domain::page::PageRequest;
use crate::domain::people::{GridMemberKind, GridRole, MemberUnitKind, Occupation};
use crate::domain::person::{parse_person_name, parse_phone};
use crate::domain::region::RegionLevel;
use crate::domain::resident::parse_short_text;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::account::{NewAccount, create_account};
use crate::service::audit::{self, Entry, Outcome};
use crate::service::region::find_at_level;
use crate::state::AppState;
use crate::store::grid_member::{self, AssignmentRow, GridMemberFilter, GridMemberRow};
use crate::store::member_unit::{self, MemberUnitFilter, MemberUnitRow, MembershipRow};
use crate::store::region::{self, RegionRow};
use chrono::NaiveDate;
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

fn require_staff(actor: &Actor) -> AppResult<()> {
    super::require_staff(actor, "只有社区工作者及以上可以管理网格员和成员单位")
}

async fn region_at(
    state: &AppState,
    actor: &Actor,
    field: &str,
    id: Uuid,
    levels: &[RegionLevel],
    message: &str,
) -> AppResult<RegionRow> {
    find_at_level(state, &actor.principal.scope, field, id, levels, message).await
}

pub struct NewGridMember {
    pub region_id: Uuid,
    pub name: String,
    pub phone: String,
    pub kind: GridMemberKind,
    pub occupation: Occupation,
    pub employer: Option<String>,
    pub party_member: bool,
    /// When given, a GRID_MEMBER login account is made with the member's phone.
    pub password: Option<String>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id))]
pub async fn create_grid_member(
    state: &AppState,
    actor: &Actor,
    input: NewGridMember,
) -> AppResult<GridMemberRow> {
    require_staff(actor)?;
    let home = region_at(
        state,
        actor,
        "regionId",
        input.region_id,
        &[RegionLevel::Community, RegionLevel::SubDistrict],
        "网格员须登记到社区或街道",
    )
    .await?;
    let name = parse_person_name("name", &input.name)?;
    let phone = parse_phone("phone", &input.phone)?;
    let employer = parse_short_text("employer", input.employer.as_deref(), 100)?;
    if grid_member::find_by_phone_hashes(&state.db, &state.pii.lookup_hashes("phone", &phone))
        .await?
        .is_some()
    {
        return Err(AppError::conflict(Some("phone"), "该手机号已登记为网格员"));
    }
    let account_id = match &input.password {
        Some(password) => {
            // The account starts bound to the member's community; its scope then follows the
            // grid assignments.
            let grid = region::children_of(&state.db, &[home.id], &actor.principal.scope).await?;
            let first_grid = grid
                .iter()
                .find(|r| r.level == RegionLevel::Grid)
                .ok_or_else(|| AppError::bad_input("regionId", "该社区下还没有网格"))?;
            let account = create_account(
                state,
                actor,
                NewAccount {
                    phone: phone.clone(),
                    name: name.clone(),
                    password: password.clone(),
                    role: Role::GridMember,
                    region_id: Some(first_grid.id),
                    member_unit_id: None,
                },
            )
            .await?;
            Some(account.id)
        }
        None => None,
    };
    let now = state.now();
    let row = GridMemberRow {
        id: Uuid::now_v7(),
        account_id,
        region_id: home.id,
        name,
        phone_enc: state.pii.encrypt("phone", &phone)?,
        phone_hash: state.pii.lookup_hash("phone", &phone),
        kind: input.kind,
        occupation: input.occupation,
        employer,
        party_member: input.party_member,
        created_at: now,
        updated_at: now,
    };
    let txn = state.db.begin().await?;
    let row = grid_member::insert(&txn, row)
        .await
        .map_err(|e| AppError::from_db_unique(e, "phone", "该手机号已登记为网格员"))?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "grid_member.create",
            target_type: "grid_member",
            target_id: Some(row.id),
            region_id: Some(row.region_id),
            outcome: Outcome::Success,
            detail: Some(
                json!({ "kind": row.kind.as_str(), "occupation": row.occupation.as_str() }),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, member = %member_id))]
pub async fn assign_grid(
    state: &AppState,
    actor: &Actor,
    member_id: Uuid,
    grid_id: Uuid,
    role: GridRole,
) -> AppResult<AssignmentRow> {
    require_staff(actor)?;
    let member = grid_member::find(&state.db, member_id, &actor.principal.scope)
        .await?
        .ok_or_else(|| AppError::not_found("网格员"))?;
    let grid = region_at(
        state,
        actor,
        "gridId",
        grid_id,
        &[RegionLevel::Grid],
        "只能分配到网格",
    )
    .await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let row = grid_member::insert_assignment(
        &txn,
        AssignmentRow {
            id: Uuid::now_v7(),
            grid_member_id: member.id,
            grid_id: grid.id,
            role,
            created_at: now,
        },
    )
    .await
    .map_err(|e| {
        let message = if role == GridRole::Head {
            "该网格已有网格长，或该网格员已在此网格"
        } else {
            "该网格员已在此网格"
        };
        AppError::from_db_unique(e, "gridId", message)
    })?;
    // A member's login account starts bound to some grid of its community; its first
    // assignment is where it works, and the account follows.
    if let Some(account_id) = member.account_id
        && grid_member::assignment_count(&txn, member.id).await? == 1
        && let Some(account) = crate::store::account::find_unscoped(&txn, account_id).await?
        && account.region_id != Some(grid.id)
    {
        crate::store::account::set_role_region(&txn, &account, account.role, Some(grid.id), now)
            .await?;
    }
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "grid_member.assign",
            target_type: "grid_member",
            target_id: Some(member.id),
            region_id: Some(grid.id),
            outcome: Outcome::Success,
            detail: Some(json!({ "grid": grid.id, "role": role.as_str() })),
        },
    )
    .await?;
    // The member's scope grew: its signed-in sessions must see it on their next request.
    if let Some(account_id) = member.account_id {
        announce(&txn, Revoked::Account(account_id)).await?;
    }
    txn.commit().await?;
    if let Some(account_id) = member.account_id {
        state.principals.forget(Revoked::Account(account_id));
    }
    Ok(row)
}

pub async fn list_grid_members(
    state: &AppState,
    actor: &Actor,
    filter: GridMemberFilter,
    page: &PageRequest,
) -> AppResult<Vec<GridMemberRow>> {
    require_staff(actor)?;
    Ok(grid_member::list(
        &state.db,
        &actor.principal.scope,
        &filter,
        page,
        page.after_id()?,
    )
    .await?)
}

pub struct NewMemberUnit {
    pub name: String,
    pub kind: MemberUnitKind,
    /// `None`: a city-level unit (city admins only).
    pub region_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id))]
pub async fn create_member_unit(
    state: &AppState,
    actor: &Actor,
    input: NewMemberUnit,
) -> AppResult<MemberUnitRow> {
    require_staff(actor)?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "name",
            "单位名称长度须为 1 到 100 个字符",
        ));
    }
    let region_id = match input.region_id {
        Some(id) => Some(
            region_at(
                state,
                actor,
                "regionId",
                id,
                &[
                    RegionLevel::City,
                    RegionLevel::SubDistrict,
                    RegionLevel::Community,
                ],
                "成员单位须登记到市、街道或社区",
            )
            .await?
            .id,
        ),
        None if actor.principal.scope.is_everything() => None,
        None => return Err(AppError::bad_input("regionId", "须指定成员单位所在区域")),
    };
    let contact_name = match input
        .contact_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(n) => Some(parse_person_name("contactName", n)?),
        None => None,
    };
    let contact_phone_enc = match input
        .contact_phone
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(p) => Some(
            state
                .pii
                .encrypt("phone", &parse_phone("contactPhone", p)?)?,
        ),
        None => None,
    };
    let address = parse_short_text("address", input.address.as_deref(), 200)?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let row = member_unit::insert(
        &txn,
        MemberUnitRow {
            id: Uuid::now_v7(),
            region_id,
            name,
            kind: input.kind,
            contact_name,
            contact_phone_enc,
            address,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .map_err(|e| AppError::from_db_unique(e, "name", "已有同名成员单位"))?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "member_unit.create",
            target_type: "member_unit",
            target_id: Some(row.id),
            region_id: row.region_id,
            outcome: Outcome::Success,
            detail: Some(json!({ "name": row.name, "kind": row.kind.as_str() })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub struct Joining {
    pub unit_id: Uuid,
    /// The community (big party committee) or sub-district (big working committee).
    pub committee_region_id: Uuid,
    pub concurrent_member_name: Option<String>,
    pub joined_on: NaiveDate,
    pub commitments: Vec<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id))]
pub async fn join_committee(
    state: &AppState,
    actor: &Actor,
    input: Joining,
) -> AppResult<MembershipRow> {
    require_staff(actor)?;
    let committee = region_at(
        state,
        actor,
        "committeeRegionId",
        input.committee_region_id,
        &[RegionLevel::Community, RegionLevel::SubDistrict],
        "大党委设在社区，大工委设在街道",
    )
    .await?;
    let unit = member_unit::find(&state.db, input.unit_id, &actor.principal.scope)
        .await?
        .ok_or_else(|| AppError::not_found("成员单位"))?;
    let concurrent = match input
        .concurrent_member_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(n) => Some(parse_person_name("concurrentMemberName", n)?),
        None => None,
    };
    if input.commitments.len() > 50 {
        return Err(AppError::bad_input("agreement.commitments", "承诺事项过多"));
    }
    let mut commitments = Vec::with_capacity(input.commitments.len());
    for c in &input.commitments {
        let c = c.trim();
        if c.is_empty() || c.chars().count() > 200 {
            return Err(AppError::bad_input(
                "agreement.commitments",
                "每项承诺须为 1 到 200 个字",
            ));
        }
        commitments.push(c.to_owned());
    }
    if let (Some(from), Some(to)) = (input.valid_from, input.valid_to)
        && to < from
    {
        return Err(AppError::bad_input(
            "agreement.validTo",
            "协议有效期结束日期早于开始日期",
        ));
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    let row = member_unit::insert_membership(
        &txn,
        MembershipRow {
            id: Uuid::now_v7(),
            member_unit_id: unit.id,
            region_id: committee.id,
            concurrent_member_name: concurrent,
            joined_on: input.joined_on,
            commitments: serde_json::to_string(&commitments).map_err(AppError::internal)?,
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            created_at: now,
        },
    )
    .await
    .map_err(|e| AppError::from_db_unique(e, "unitId", "该单位已是该委员会成员"))?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "member_unit.join_committee",
            target_type: "member_unit",
            target_id: Some(unit.id),
            region_id: Some(committee.id),
            outcome: Outcome::Success,
            detail: Some(json!({ "committee": committee.id })),
        },
    )
    .await?;
    // What the unit's liaisons see of service items grew: they carry their committees with
    // them (`Principal::committee_paths`), so every cached caller goes, on every instance.
    announce(&txn, Revoked::Everyone).await?;
    txn.commit().await?;
    state.principals.forget(Revoked::Everyone);
    Ok(row)
}

pub async fn list_member_units(
    state: &AppState,
    actor: &Actor,
    filter: MemberUnitFilter,
    page: &PageRequest,
) -> AppResult<Vec<MemberUnitRow>> {
    let me = &actor.principal;
    if me.role == Role::UnitLiaison {
        // A liaison sees its own unit only.
        let own = match me.member_unit_id {
            Some(id) => member_unit::find_unscoped(&state.db, id).await?,
            None => None,
        };
        return Ok(own.into_iter().collect());
    }
    if me.role == Role::GridMember {
        return Err(AppError::forbidden("无权查看成员单位"));
    }
    Ok(member_unit::list(&state.db, &me.scope, &filter, page, page.after_id()?).await?)
}
