//! Member units and their committee memberships. A unit is visible to a caller when it is
//! registered in scope, is a city-level unit (no region), or sits on a committee in scope.
use super::entity::committee_membership::{self, Column as MembershipColumn, Entity as Membership};
use super::entity::member_unit::{self, Column, Entity};
use super::pg_row::{ByPosition, PgColumns};
use super::scope::region_in_scope;
use crate::access::Scope;
use crate::domain::page::PageRequest;
use crate::domain::people::MemberUnitKind;
use crate::domain::search::contains_pattern;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use committee_membership::Model as MembershipRow;
pub use member_unit::Model as MemberUnitRow;

/// The last column of `member_unit` in select order.
const UNIT_WIDTH: usize = Column::UpdatedAt as usize + 1;

impl ByPosition for MemberUnitRow {
    const WIDTH: usize = UNIT_WIDTH;

    fn read(c: &PgColumns<'_>) -> Result<Self, DbErr> {
        use Column as C;
        Ok(MemberUnitRow {
            id: c.get(C::Id as usize)?,
            region_id: c.get(C::RegionId as usize)?,
            name: c.get(C::Name as usize)?,
            kind: c.code(C::Kind as usize)?,
            contact_name: c.get(C::ContactName as usize)?,
            contact_phone_enc: c.get(C::ContactPhoneEnc as usize)?,
            address: c.get(C::Address as usize)?,
            created_at: c.get(C::CreatedAt as usize)?,
            updated_at: c.get(C::UpdatedAt as usize)?,
        })
    }
}

/// Units a caller with this scope may see: those of regions in it, of no region, or sitting on a
/// committee in it.
pub(super) fn visible(scope: &Scope) -> Condition {
    if scope.is_everything() {
        return Condition::all();
    }
    Condition::any()
        .add(Column::RegionId.is_null())
        .add(region_in_scope(Column::RegionId, scope))
        .add(
            Column::Id.in_subquery(
                Query::select()
                    .column(MembershipColumn::MemberUnitId)
                    .from(Membership)
                    .cond_where(region_in_scope(MembershipColumn::RegionId, scope))
                    .to_owned(),
            ),
        )
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
    scope: &Scope,
) -> Result<Option<MemberUnitRow>, DbErr> {
    Entity::find_by_id(id).filter(visible(scope)).one(db).await
}

/// Without any scope: a liaison's own unit, units shown beside rows the caller already may see.
pub async fn find_unscoped(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<MemberUnitRow>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Without any scope: see `find_unscoped`.
pub async fn find_many_unscoped(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<MemberUnitRow>, DbErr> {
    Entity::find()
        .filter(super::ids_in(db.get_database_backend(), Column::Id, ids))
        .all(db)
        .await
}

pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    scope: &Scope,
) -> Result<Vec<MemberUnitRow>, DbErr> {
    let query = Entity::find()
        .filter(super::ids_in(db.get_database_backend(), Column::Id, ids))
        .filter(visible(scope));
    super::pg_row::all(db, query).await
}

pub async fn find_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<MemberUnitRow>, DbErr> {
    Entity::find().filter(Column::Name.eq(name)).one(db).await
}

#[derive(Debug, Default, Clone)]
pub struct MemberUnitFilter {
    pub kind: Option<MemberUnitKind>,
    /// Only members of the committee of this region.
    pub committee_region_id: Option<Uuid>,
    pub search: Option<String>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &MemberUnitFilter,
    page: &PageRequest,
    after: Option<Uuid>,
) -> Result<Vec<MemberUnitRow>, DbErr> {
    let mut query = Entity::find().filter(visible(scope));
    if let Some(kind) = filter.kind {
        query = query.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(region) = filter.committee_region_id {
        query = query.filter(
            Column::Id.in_subquery(
                Query::select()
                    .column(MembershipColumn::MemberUnitId)
                    .from(Membership)
                    .and_where(MembershipColumn::RegionId.eq(region))
                    .to_owned(),
            ),
        );
    }
    if let Some(text) = &filter.search {
        query = query.filter(Column::Name.like(super::like(contains_pattern(text))));
    }
    super::page::keyset(db, query, Column::Id, Order::Desc, after, page).await
}

pub async fn insert(db: &impl ConnectionTrait, row: MemberUnitRow) -> Result<MemberUnitRow, DbErr> {
    member_unit::ActiveModel::from(row).insert(db).await
}

pub async fn insert_membership(
    db: &impl ConnectionTrait,
    row: MembershipRow,
) -> Result<MembershipRow, DbErr> {
    committee_membership::ActiveModel::from(row)
        .insert(db)
        .await
}

/// Memberships of these units in committees within scope.
pub async fn memberships_of(
    db: &impl ConnectionTrait,
    unit_ids: &[Uuid],
    scope: &Scope,
) -> Result<Vec<MembershipRow>, DbErr> {
    Membership::find()
        .filter(MembershipColumn::MemberUnitId.is_in(unit_ids.iter().copied()))
        .filter(region_in_scope(MembershipColumn::RegionId, scope))
        .order_by_asc(MembershipColumn::Id)
        .all(db)
        .await
}

/// The committees (region ids) a unit belongs to.
pub async fn committees_of_unit(
    db: &impl ConnectionTrait,
    unit_id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    Membership::find()
        .select_only()
        .column(MembershipColumn::RegionId)
        .filter(MembershipColumn::MemberUnitId.eq(unit_id))
        .into_tuple()
        .all(db)
        .await
}
