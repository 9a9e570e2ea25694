//! Committee activities (joint meetings and co-building activities), the units that took part
//! and the service items they served. Who sees which is an `access::committee::ActivityReach`,
//! turned into SQL here; figures per committee and per unit are grouped statements.
use super::entity::committee_activity::{self, Column, Entity};
use super::entity::committee_activity_item::{self, Column as ItemLinkColumn, Entity as ItemLink};
use super::entity::committee_activity_unit::{self, Column as UnitLinkColumn, Entity as UnitLink};
use super::entity::committee_membership::{Column as MembershipColumn, Entity as Membership};
use super::scope::region_in_scope;
use crate::access::Scope;
use crate::access::committee::{ActivityReach, Reach};
use crate::domain::committee::CommitteeActivityKind;
use crate::domain::page::PageRequest;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use committee_activity::Model as ActivityRow;
pub use committee_activity_item::Model as ItemLinkRow;
pub use committee_activity_unit::Model as UnitLinkRow;

fn never() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

fn visible(reach: &ActivityReach) -> Condition {
    match reach.kind() {
        Reach::All => Condition::all(),
        Reach::Staff { scope } => region_in_scope(Column::RegionId, scope),
        Reach::Unit {
            unit_id,
            committees,
        } => Condition::any()
            .add(Column::RegionId.is_in(committees.iter().copied()))
            .add(
                Column::Id.in_subquery(
                    Query::select()
                        .column(UnitLinkColumn::ActivityId)
                        .from(UnitLink)
                        .and_where(UnitLinkColumn::MemberUnitId.eq(*unit_id))
                        .to_owned(),
                ),
            ),
        Reach::Nobody => never(),
    }
}

/// Without any scope: the record a client id names (a retry finds its first record).
pub async fn find_by_client_id_unscoped(
    db: &impl ConnectionTrait,
    client_id: Uuid,
) -> Result<Option<ActivityRow>, DbErr> {
    Entity::find()
        .filter(Column::ClientId.eq(client_id))
        .one(db)
        .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
    reach: &ActivityReach,
) -> Result<Option<ActivityRow>, DbErr> {
    Entity::find_by_id(id).filter(visible(reach)).one(db).await
}

/// The record, its units and its service items, in one transaction of the caller's.
pub async fn insert(
    db: &impl ConnectionTrait,
    row: ActivityRow,
    unit_ids: &[Uuid],
    item_ids: &[Uuid],
) -> Result<ActivityRow, DbErr> {
    let row = committee_activity::ActiveModel::from(row)
        .insert(db)
        .await?;
    for unit in unit_ids {
        committee_activity_unit::ActiveModel::from(UnitLinkRow {
            activity_id: row.id,
            member_unit_id: *unit,
        })
        .insert(db)
        .await?;
    }
    for item in item_ids {
        committee_activity_item::ActiveModel::from(ItemLinkRow {
            activity_id: row.id,
            service_item_id: *item,
        })
        .insert(db)
        .await?;
    }
    Ok(row)
}

/// Which of `unit_ids` sit on the committee of `committee_id`.
pub async fn members_of_committee(
    db: &impl ConnectionTrait,
    committee_id: Uuid,
    unit_ids: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    Membership::find()
        .select_only()
        .column(MembershipColumn::MemberUnitId)
        .filter(MembershipColumn::RegionId.eq(committee_id))
        .filter(MembershipColumn::MemberUnitId.is_in(unit_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await
}

#[derive(Debug, Default, Clone)]
pub struct ActivityFilter {
    /// Only activities of committees in this subtree.
    pub within: Option<Scope>,
    /// Held on or after this day.
    pub from: Option<NaiveDate>,
    /// Held on or before this day.
    pub to: Option<NaiveDate>,
}

/// One page, most recently recorded first, plus one row to tell whether more follow.
pub async fn list(
    db: &impl ConnectionTrait,
    reach: &ActivityReach,
    filter: &ActivityFilter,
    page: &PageRequest,
    after: Option<Uuid>,
) -> Result<Vec<ActivityRow>, DbErr> {
    let mut query = Entity::find().filter(visible(reach));
    if let Some(within) = &filter.within {
        query = query.filter(region_in_scope(Column::RegionId, within));
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::HeldOn.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::HeldOn.lte(to));
    }
    super::page::keyset(db, query, Column::Id, Order::Desc, after, page).await
}

/// The unit links of these activities (the activities were already reached by the caller).
pub async fn units_of(
    db: &impl ConnectionTrait,
    activity_ids: &[Uuid],
) -> Result<Vec<UnitLinkRow>, DbErr> {
    UnitLink::find()
        .filter(UnitLinkColumn::ActivityId.is_in(activity_ids.iter().copied()))
        .order_by_asc(UnitLinkColumn::ActivityId)
        .order_by_asc(UnitLinkColumn::MemberUnitId)
        .all(db)
        .await
}

/// The service-item links of these activities (the activities were already reached).
pub async fn items_of(
    db: &impl ConnectionTrait,
    activity_ids: &[Uuid],
) -> Result<Vec<ItemLinkRow>, DbErr> {
    ItemLink::find()
        .filter(ItemLinkColumn::ActivityId.is_in(activity_ids.iter().copied()))
        .order_by_asc(ItemLinkColumn::ActivityId)
        .order_by_asc(ItemLinkColumn::ServiceItemId)
        .all(db)
        .await
}

/// Meetings, activities and people reached of one committee or unit over a period.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ActivityFigures {
    pub meetings: i64,
    pub activities: i64,
    pub people_reached: i64,
}

fn count_of(kind: CommitteeActivityKind) -> Expr {
    // i32 literals: SUM over int4 is int8 on PostgreSQL, which reads back as i64.
    Func::sum(Expr::case(Expr::col((Entity, Column::Kind)).eq(kind.as_str()), 1i32).finally(0i32))
        .into()
}

/// Figures of the activities of committees within `within`, held on the days `from..to`
/// (`to` exclusive), grouped by committee or by taking-part unit: one statement.
async fn figures_by(
    db: &impl ConnectionTrait,
    by_unit: bool,
    within: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(Uuid, ActivityFigures)>, DbErr> {
    let key = if by_unit {
        Expr::col((UnitLink, UnitLinkColumn::MemberUnitId))
    } else {
        Expr::col((Entity, Column::RegionId))
    };
    let mut stmt = Query::select();
    stmt.expr_as(key.clone(), "key")
        .expr_as(count_of(CommitteeActivityKind::Meeting), "meetings")
        .expr_as(count_of(CommitteeActivityKind::Activity), "activities")
        .expr_as(
            Func::sum(Expr::col((Entity, Column::PeopleReached))),
            "people",
        )
        .from(Entity)
        .cond_where(
            Condition::all()
                .add(region_in_scope(Column::RegionId, within))
                .add(Expr::col((Entity, Column::HeldOn)).gte(from))
                .add(Expr::col((Entity, Column::HeldOn)).lt(to)),
        )
        .add_group_by([key]);
    if by_unit {
        stmt.inner_join(
            UnitLink,
            Expr::col((UnitLink, UnitLinkColumn::ActivityId)).equals((Entity, Column::Id)),
        );
    }
    let mut out = Vec::new();
    for row in db.query_all(&stmt).await? {
        out.push((
            row.try_get::<Uuid>("", "key")?,
            ActivityFigures {
                meetings: row.try_get("", "meetings")?,
                activities: row.try_get("", "activities")?,
                people_reached: row.try_get::<Option<i64>>("", "people")?.unwrap_or(0),
            },
        ));
    }
    Ok(out)
}

/// Per committee: the meetings and activities it held on the days `from..to` (`to` exclusive)
/// and the people they reached.
pub async fn figures_by_committee(
    db: &impl ConnectionTrait,
    within: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(Uuid, ActivityFigures)>, DbErr> {
    figures_by(db, false, within, from, to).await
}

/// Per member unit: the meetings and activities it took part in, and the people they reached.
pub async fn figures_by_unit(
    db: &impl ConnectionTrait,
    within: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(Uuid, ActivityFigures)>, DbErr> {
    figures_by(db, true, within, from, to).await
}
