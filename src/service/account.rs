//! Accounts: admins create and disable them at or below their own scope; the first city admin
//! comes from the command line.
use crate::access::cache::Revoked;
use crate::access::{Actor, Scope};
use crate::domain::page::PageRequest;
use crate::domain::person::{check_new_password, parse_person_name, parse_phone};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::account::{self, AccountFilter, AccountRow};
use crate::store::{region, session};
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

pub struct NewAccount {
    pub phone: String,
    pub name: String,
    pub password: String,
    pub role: Role,
    pub region_id: Option<Uuid>,
    /// Required for (and only for) UNIT_LIAISON.
    pub member_unit_id: Option<Uuid>,
}

/// Validates and stores a new account; shared by the API and the CLI.
async fn insert_account(
    state: &AppState,
    input: NewAccount,
    created_by: Option<Uuid>,
) -> AppResult<AccountRow> {
    let phone = parse_phone("phone", &input.phone)?;
    let name = parse_person_name("name", &input.name)?;
    check_new_password("password", &input.password)?;
    let hashes = state.pii.lookup_hashes("phone", &phone);
    if account::find_by_phone_hashes(&state.db, &hashes)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(Some("phone"), "该手机号已注册账号"));
    }
    let now = state.now();
    let row = AccountRow {
        id: Uuid::now_v7(),
        phone_hash: state.pii.lookup_hash("phone", &phone),
        phone_enc: state.pii.encrypt("phone", &phone)?,
        name,
        password_hash: state.passwords.hash(&input.password).await?,
        role: input.role,
        region_id: input.region_id,
        disabled_at: None,
        failed_logins: 0,
        last_failed_login_at: None,
        locked_until: None,
        created_by,
        member_unit_id: input.member_unit_id,
        created_at: now,
        updated_at: now,
    };
    account::insert(&state.db, row)
        .await
        .map_err(|e| AppError::from_db_unique(e, "phone", "该手机号已注册账号"))
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id))]
pub async fn create_account(
    state: &AppState,
    actor: &Actor,
    input: NewAccount,
) -> AppResult<AccountRow> {
    let me = &actor.principal;
    if !me.role.manages_accounts() {
        return Err(AppError::forbidden("无权创建账号"));
    }
    if input.role.rank() > me.role.rank() {
        return Err(AppError::forbidden("不能创建权限高于自己的账号"));
    }
    let mut input = input;
    if input.role == Role::UnitLiaison {
        // A liaison belongs to a unit and works where the unit is registered.
        let unit_id = input.member_unit_id.ok_or_else(|| {
            AppError::bad_input("memberUnitId", "成员单位联络员须指定所属成员单位")
        })?;
        let unit = crate::store::member_unit::find(&state.db, unit_id, &me.scope)
            .await?
            .ok_or_else(|| AppError::NotFound("成员单位不存在或不在您的管辖范围内".into()))?;
        input.region_id = unit.region_id;
    } else if input.member_unit_id.is_some() {
        return Err(AppError::bad_input(
            "memberUnitId",
            "只有成员单位联络员可以指定成员单位",
        ));
    }
    let level = match input.region_id {
        Some(id) => {
            let region = region::find(&state.db, id, &me.scope)
                .await?
                .ok_or_else(|| AppError::NotFound("区域不存在或不在您的管辖范围内".into()))?;
            Some(region.level)
        }
        None if me.scope.is_everything() || input.role == Role::UnitLiaison => None,
        None => return Err(AppError::bad_input("regionId", "须指定账号所属区域")),
    };
    if !input.role.binds_to(level) {
        return Err(AppError::bad_input(
            "regionId",
            "账号角色与所属区域层级不匹配（如社区工作者须绑定到社区）",
        ));
    }
    let role = input.role;
    let row = insert_account(state, input, Some(me.account_id)).await?;
    audit::record(
        &state.db,
        Some(actor),
        state.now(),
        Entry {
            action: "account.create",
            target_type: "account",
            target_id: Some(row.id),
            region_id: row.region_id,
            outcome: Outcome::Success,
            detail: Some(json!({ "role": role.as_str() })),
        },
    )
    .await?;
    Ok(row)
}

/// The first city admin, from the command line (no caller).
pub async fn create_city_admin(
    state: &AppState,
    phone: &str,
    name: &str,
    password: &str,
) -> AppResult<AccountRow> {
    let row = insert_account(
        state,
        NewAccount {
            phone: phone.to_owned(),
            name: name.to_owned(),
            password: password.to_owned(),
            role: Role::CityAdmin,
            region_id: None,
            member_unit_id: None,
        },
        None,
    )
    .await?;
    audit::record_as(
        &state.db,
        None,
        Some("cli"),
        state.now(),
        Entry {
            action: "account.create_admin",
            target_type: "account",
            target_id: Some(row.id),
            region_id: None,
            outcome: Outcome::Success,
            detail: None,
        },
    )
    .await?;
    Ok(row)
}

#[tracing::instrument(skip_all, fields(actor = %actor.principal.account_id, target = %id))]
pub async fn disable_account(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<AccountRow> {
    let me = &actor.principal;
    if !me.role.manages_accounts() {
        return Err(AppError::forbidden("无权停用账号"));
    }
    let target = account::find(&state.db, id, &me.scope)
        .await?
        .ok_or_else(|| AppError::not_found("账号"))?;
    if target.id == me.account_id {
        return Err(AppError::forbidden("不能停用自己的账号"));
    }
    let target_role = target.role;
    if target_role.rank() > me.role.rank() {
        return Err(AppError::forbidden("不能停用权限高于自己的账号"));
    }
    let now = state.now();
    let echo = state.principals.echo();
    let txn = state.db.begin().await?;
    account::disable(&txn, id, now).await?;
    session::revoke_all_for_account(&txn, id, "disabled", now).await?;
    audit::record(
        &txn,
        Some(actor),
        now,
        Entry {
            action: "account.disable",
            target_type: "account",
            target_id: Some(id),
            region_id: target.region_id,
            outcome: Outcome::Success,
            detail: None,
        },
    )
    .await?;
    txn.commit().await?;
    state.principals.revoked(echo, Revoked::Account(id)).await;
    account::find_unscoped(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("账号"))
}

/// The caller's own account with the region it is bound to and the unit it speaks for, which
/// are its own whatever its scope says.
pub struct Own {
    pub account: AccountRow,
    pub region: Option<crate::store::region::RegionRow>,
    pub unit: Option<crate::store::member_unit::MemberUnitRow>,
}

pub async fn me(state: &AppState, actor: &Actor) -> AppResult<Own> {
    let account = get(state, actor, actor.principal.account_id).await?;
    let region = match account.region_id {
        Some(id) => region::find_unscoped(&state.db, id).await?,
        None => None,
    };
    let unit = match account.member_unit_id {
        Some(id) => crate::store::member_unit::find_unscoped(&state.db, id).await?,
        None => None,
    };
    Ok(Own {
        account,
        region,
        unit,
    })
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<AccountRow> {
    let me = &actor.principal;
    if id != me.account_id && !can_list(me.role) {
        return Err(AppError::not_found("账号"));
    }
    let found = if id == me.account_id {
        account::find_unscoped(&state.db, id).await?
    } else {
        account::find(&state.db, id, &me.scope).await?
    };
    found.ok_or_else(|| AppError::not_found("账号"))
}

fn can_list(role: Role) -> bool {
    matches!(
        role,
        Role::CityAdmin | Role::SubDistrictAdmin | Role::CommunityWorker
    )
}

/// A page of accounts in scope, newest first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: AccountFilter,
    within: Option<Uuid>,
    page: &PageRequest,
) -> AppResult<Vec<AccountRow>> {
    let me = &actor.principal;
    if !can_list(me.role) {
        return Err(AppError::forbidden("无权查看账号列表"));
    }
    // Narrowing to a region in scope keeps the query inside the caller's scope.
    let scope = match within {
        Some(region_id) => Scope::within(
            &region::find(&state.db, region_id, &me.scope)
                .await?
                .ok_or_else(|| AppError::NotFound("区域不存在或不在您的管辖范围内".into()))?
                .path,
        ),
        None => me.scope.clone(),
    };
    let after = page.after_id()?;
    Ok(account::list(&state.db, &scope, &filter, page, after).await?)
}
