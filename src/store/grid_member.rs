//! Grid members and their grid assignments.
use super::entity::grid_assignment::{self, Column as AssignmentColumn, Entity as Assignment};
use super::entity::grid_member::{self, Column, Entity};
use super::entity::region;
use super::scope::region_in_scope;
use crate::access::Scope;
use crate::domain::page::PageRequest;
use crate::domain::people::{GridMemberKind, Occupation};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use grid_assignment::Model as AssignmentRow;
pub use grid_member::Model as GridMemberRow;

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
    scope: &Scope,
) -> Result<Option<GridMemberRow>, DbErr> {
    Entity::find_by_id(id)
        .filter(region_in_scope(Column::RegionId, scope))
        .one(db)
        .await
}

pub async fn find_by_account(
    db: &impl ConnectionTrait,
    account_id: Uuid,
) -> Result<Option<GridMemberRow>, DbErr> {
    Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .one(db)
        .await
}

pub async fn find_by_phone_hashes(
    db: &impl ConnectionTrait,
    hashes: &[String],
) -> Result<Option<GridMemberRow>, DbErr> {
    Entity::find()
        .filter(Column::PhoneHash.is_in(hashes.iter().cloned()))
        .one(db)
        .await
}

#[derive(Debug, Default, Clone)]
pub struct GridMemberFilter {
    pub kind: Option<GridMemberKind>,
    pub occupation: Option<Occupation>,
    /// Only members assigned to this grid.
    pub grid_id: Option<Uuid>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &GridMemberFilter,
    page: &PageRequest,
    after: Option<Uuid>,
) -> Result<Vec<GridMemberRow>, DbErr> {
    let mut query = Entity::find().filter(region_in_scope(Column::RegionId, scope));
    if let Some(kind) = filter.kind {
        query = query.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(occupation) = filter.occupation {
        query = query.filter(Column::Occupation.eq(occupation.as_str()));
    }
    if let Some(grid) = filter.grid_id {
        query = query.filter(
            Column::Id.in_subquery(
                Query::select()
                    .column(AssignmentColumn::GridMemberId)
                    .from(Assignment)
                    .and_where(AssignmentColumn::GridId.eq(grid))
                    .to_owned(),
            ),
        );
    }
    super::page::keyset(db, query, Column::Id, Order::Desc, after, page).await
}

pub async fn insert(db: &impl ConnectionTrait, row: GridMemberRow) -> Result<GridMemberRow, DbErr> {
    grid_member::ActiveModel::from(row).insert(db).await
}

pub async fn insert_assignment(
    db: &impl ConnectionTrait,
    row: AssignmentRow,
) -> Result<AssignmentRow, DbErr> {
    grid_assignment::ActiveModel::from(row).insert(db).await
}

/// How many grids a member is assigned to (any scope).
pub async fn assignment_count(db: &impl ConnectionTrait, member_id: Uuid) -> Result<u64, DbErr> {
    Assignment::find()
        .filter(AssignmentColumn::GridMemberId.eq(member_id))
        .count(db)
        .await
}

/// Assignments of these members to grids in scope.
pub async fn assignments_of(
    db: &impl ConnectionTrait,
    member_ids: &[Uuid],
    scope: &Scope,
) -> Result<Vec<AssignmentRow>, DbErr> {
    Assignment::find()
        .filter(AssignmentColumn::GridMemberId.is_in(member_ids.iter().copied()))
        .filter(region_in_scope(AssignmentColumn::GridId, scope))
        .order_by_asc(AssignmentColumn::Id)
        .all(db)
        .await
}

/// The paths of the grids a member's account is assigned to, and the member's kind.
pub async fn scope_of_account(
    db: &impl ConnectionTrait,
    account_id: Uuid,
) -> Result<Option<(crate::domain::people::GridMemberKind, Vec<String>)>, DbErr> {
    let Some(member) = find_by_account(db, account_id).await? else {
        return Ok(None);
    };
    let paths: Vec<String> = region::Entity::find()
        .select_only()
        .column(region::Column::Path)
        .filter(
            region::Column::Id.in_subquery(
                Query::select()
                    .column(AssignmentColumn::GridId)
                    .from(Assignment)
                    .and_where(AssignmentColumn::GridMemberId.eq(member.id))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(Some((member.kind, paths)))
}
