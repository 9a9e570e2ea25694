//! Account rows: look-up by phone hash, scoped lists, login bookkeeping, and the one-statement
//! load of a request's principal (account ⋈ region ⋈ session).
use super::entity::account::{self, Column, Entity};
use super::entity::{region, session};
use super::pg_row::{self, ByPosition, PgColumns};
use super::scope::region_in_scope;
use crate::access::Scope;
use crate::domain::page::PageRequest;
use crate::domain::role::Role;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter,
    QuerySelect, Set,
};
use uuid::Uuid;

pub use account::Model as AccountRow;

/// What is read of an account for showing it to someone (the loaders, a list's reporters): never
/// its password hash, phone hash or lock-out bookkeeping, which only login and account changes
/// read through `AccountRow`. Half the columns, and the two longest left in the database.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct AccountCard {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub region_id: Option<Uuid>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub member_unit_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// The phone, encrypted: decrypted (and masked for others) only when asked.
    pub phone_enc: String,
}

/// `AccountCard`'s columns, in its fields' order.
pub const CARD_COLUMNS: [Column; 8] = [
    Column::Id,
    Column::Name,
    Column::Role,
    Column::RegionId,
    Column::DisabledAt,
    Column::MemberUnitId,
    Column::CreatedAt,
    Column::PhoneEnc,
];

impl ByPosition for AccountCard {
    const WIDTH: usize = CARD_COLUMNS.len();

    fn read(c: &PgColumns<'_>) -> Result<Self, DbErr> {
        Ok(AccountCard {
            id: c.get(0)?,
            name: c.get(1)?,
            role: c.code(2)?,
            region_id: c.get(3)?,
            disabled_at: c.get(4)?,
            member_unit_id: c.get(5)?,
            created_at: c.get(6)?,
            phone_enc: c.get(7)?,
        })
    }
}

impl From<AccountRow> for AccountCard {
    fn from(row: AccountRow) -> Self {
        AccountCard {
            id: row.id,
            name: row.name,
            role: row.role,
            region_id: row.region_id,
            disabled_at: row.disabled_at,
            member_unit_id: row.member_unit_id,
            created_at: row.created_at,
            phone_enc: row.phone_enc,
        }
    }
}

/// The last column of `account` in select order.
const ACCOUNT_WIDTH: usize = Column::UpdatedAt as usize + 1;

impl ByPosition for AccountRow {
    const WIDTH: usize = ACCOUNT_WIDTH;

    fn read(c: &PgColumns<'_>) -> Result<Self, DbErr> {
        use Column as C;
        Ok(AccountRow {
            id: c.get(C::Id as usize)?,
            phone_hash: c.get(C::PhoneHash as usize)?,
            phone_enc: c.get(C::PhoneEnc as usize)?,
            name: c.get(C::Name as usize)?,
            password_hash: c.get(C::PasswordHash as usize)?,
            role: c.code(C::Role as usize)?,
            region_id: c.get(C::RegionId as usize)?,
            disabled_at: c.get(C::DisabledAt as usize)?,
            failed_logins: c.get(C::FailedLogins as usize)?,
            last_failed_login_at: c.get(C::LastFailedLoginAt as usize)?,
            locked_until: c.get(C::LockedUntil as usize)?,
            created_by: c.get(C::CreatedBy as usize)?,
            member_unit_id: c.get(C::MemberUnitId as usize)?,
            created_at: c.get(C::CreatedAt as usize)?,
            updated_at: c.get(C::UpdatedAt as usize)?,
        })
    }
}

pub async fn find_by_phone_hashes(
    db: &impl ConnectionTrait,
    hashes: &[String],
) -> Result<Option<AccountRow>, DbErr> {
    Entity::find()
        .filter(Column::PhoneHash.is_in(hashes.iter().cloned()))
        .one(db)
        .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
    scope: &Scope,
) -> Result<Option<AccountRow>, DbErr> {
    Entity::find_by_id(id)
        .filter(region_in_scope(Column::RegionId, scope))
        .one(db)
        .await
}

/// Without any scope: the caller's own account, refreshes, names on a leaderboard.
pub async fn find_unscoped(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<AccountRow>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Without any scope: names of the accounts that earned points (leaderboard).
pub async fn find_many_unscoped(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<AccountRow>, DbErr> {
    Entity::find()
        .filter(super::ids_in(db.get_database_backend(), Column::Id, ids))
        .all(db)
        .await
}

/// The cards of the accounts among `ids` that `scope` may see.
pub async fn find_cards(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    scope: &Scope,
) -> Result<Vec<AccountCard>, DbErr> {
    let query = Entity::find()
        .select_only()
        .columns(CARD_COLUMNS)
        .filter(super::ids_in(db.get_database_backend(), Column::Id, ids))
        .filter(visible(scope));
    pg_row::all(db, query).await
}

/// Accounts a caller with this scope may see: those of regions in it.
pub(super) fn visible(scope: &Scope) -> sea_orm::Condition {
    region_in_scope(Column::RegionId, scope)
}

#[derive(Debug, Default, Clone)]
pub struct AccountFilter {
    pub role: Option<Role>,
    pub include_disabled: bool,
}

/// One page, newest first, plus one extra row to tell whether more follow.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &AccountFilter,
    page: &PageRequest,
    after: Option<Uuid>,
) -> Result<Vec<AccountRow>, DbErr> {
    let mut query = Entity::find().filter(region_in_scope(Column::RegionId, scope));
    if let Some(role) = filter.role {
        query = query.filter(Column::Role.eq(role.as_str()));
    }
    if !filter.include_disabled {
        query = query.filter(Column::DisabledAt.is_null());
    }
    super::page::keyset(db, query, Column::Id, Order::Desc, after, page).await
}

pub async fn insert(db: &impl ConnectionTrait, row: AccountRow) -> Result<AccountRow, DbErr> {
    account::ActiveModel::from(row).insert(db).await
}

/// Counts a failed password and returns the new count. Done in SQL so concurrent failures all
/// count.
pub async fn record_failed_login(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
    lock_after: i32,
    locked_until: DateTime<Utc>,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::FailedLogins, Expr::col(Column::FailedLogins).add(1))
        .col_expr(Column::LastFailedLoginAt, Expr::val(now))
        .col_expr(
            Column::LockedUntil,
            Expr::case(
                Expr::col(Column::FailedLogins).add(1).gte(lock_after),
                Expr::val(locked_until),
            )
            .finally(Expr::col(Column::LockedUntil))
            .into(),
        )
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn reset_failed_logins(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::FailedLogins, Expr::val(0))
        .col_expr(
            Column::LockedUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn disable(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::DisabledAt, Expr::val(now))
        .col_expr(Column::UpdatedAt, Expr::val(now))
        .filter(Column::Id.eq(id))
        .filter(Column::DisabledAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub async fn set_role_region(
    db: &impl ConnectionTrait,
    row: &AccountRow,
    role: Role,
    region_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<AccountRow, DbErr> {
    let mut active: account::ActiveModel = row.clone().into();
    active.role = Set(role);
    active.region_id = Set(region_id);
    active.updated_at = Set(now);
    active.update(db).await
}

/// What a request needs to know about its caller, loaded in one statement.
#[derive(Debug, Clone)]
pub struct PrincipalRow {
    pub account_id: Uuid,
    pub name: String,
    pub role: Role,
    pub region_id: Option<Uuid>,
    pub region_path: Option<String>,
    pub region_level: Option<crate::domain::region::RegionLevel>,
    pub member_unit_id: Option<Uuid>,
}

/// The caller behind an account, or `None` if the account is disabled or (with `session_id`,
/// for an access token) the session is revoked or belongs to someone else.
pub async fn load_principal(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    session_id: Option<Uuid>,
) -> Result<Option<PrincipalRow>, DbErr> {
    let a = Alias::new("a");
    let r = Alias::new("r");
    let s = Alias::new("s");
    let mut query = Query::select()
        .expr_as(
            Expr::col((a.clone(), account::Column::Id)),
            Alias::new("account_id"),
        )
        .expr_as(
            Expr::col((a.clone(), account::Column::Name)),
            Alias::new("name"),
        )
        .expr_as(
            Expr::col((a.clone(), account::Column::Role)),
            Alias::new("role"),
        )
        .expr_as(
            Expr::col((a.clone(), account::Column::RegionId)),
            Alias::new("region_id"),
        )
        .expr_as(
            Expr::col((r.clone(), region::Column::Path)),
            Alias::new("region_path"),
        )
        .expr_as(
            Expr::col((r.clone(), region::Column::Level)),
            Alias::new("region_level"),
        )
        .expr_as(
            Expr::col((a.clone(), account::Column::MemberUnitId)),
            Alias::new("member_unit_id"),
        )
        .from_as(account::Entity, a.clone())
        .join_as(
            JoinType::LeftJoin,
            region::Entity,
            r.clone(),
            Expr::col((r.clone(), region::Column::Id))
                .equals((a.clone(), account::Column::RegionId)),
        )
        .and_where(Expr::col((a.clone(), account::Column::Id)).eq(account_id))
        .and_where(Expr::col((a.clone(), account::Column::DisabledAt)).is_null())
        .to_owned();
    if let Some(session_id) = session_id {
        query
            .join_as(
                JoinType::InnerJoin,
                session::Entity,
                s.clone(),
                Expr::col((s.clone(), session::Column::AccountId))
                    .equals((a.clone(), account::Column::Id)),
            )
            .and_where(Expr::col((s.clone(), session::Column::Id)).eq(session_id))
            .and_where(Expr::col((s.clone(), session::Column::RevokedAt)).is_null());
    }
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    Ok(Some(PrincipalRow {
        account_id: row.try_get("", "account_id")?,
        name: row.try_get("", "name")?,
        role: row.try_get("", "role")?,
        region_id: row.try_get("", "region_id")?,
        region_path: row.try_get("", "region_path")?,
        region_level: row.try_get("", "region_level")?,
        member_unit_id: row.try_get("", "member_unit_id")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// `ByPosition` reads each column at its `Column` discriminant: that must be its place in the
    /// select `Entity::find()` writes.
    #[test]
    fn account_columns_are_selected_in_declaration_order() {
        let columns: Vec<Column> = Column::iter().collect();
        assert_eq!(columns.len(), ACCOUNT_WIDTH);
        for (i, c) in columns.into_iter().enumerate() {
            assert_eq!(c as usize, i);
        }
    }
}
