//! Service items, their claims and their timelines. Who sees what is an `access::service_item::ItemViewer`, turned into SQL
//! conditions here (region scope itself comes from `scope.rs`); nothing is fetched and then
//! filtered in Rust. Places on an item are only ever taken and given back by conditional UPDATEs,
//! so concurrent claims can never push an item past its capacity.
use super::code_literal;
use super::committee::{self, ActivityFigures};
use super::entity::committee_membership::{Column as MembershipColumn, Entity as Membership};
use super::entity::region::{Column as RegionColumn, Entity as RegionEntity};
use super::entity::service_claim::{self, Column as ClaimColumn, Entity as Claim};
use super::entity::service_item::{self, Column, Entity};
use super::entity::service_item_step::{self, Column as StepColumn, Entity as Step};
use super::pg_row::{self, ByPosition, PgColumns};
use super::region::RegionRow;
use super::scope::{region_in_scope, regions_in_scope};
use crate::access::Scope;
use crate::access::service_item::{Claimant, ItemViewer, Viewer};
use crate::domain::page::PageRequest;
use crate::domain::region::RegionLevel;
use crate::domain::service_item::{
    ServiceCategory, ServiceClaimState, ServiceDirection, ServiceItemKind, ServiceItemState,
    shanghai_day,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    Iterable, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use std::collections::HashMap;
use uuid::Uuid;

pub use service_claim::Model as ClaimRow;
pub use service_item::Model as ItemRow;
pub use service_item_step::Model as StepRow;

fn never() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

fn holding_states() -> Vec<&'static str> {
    ServiceClaimState::HOLDING
        .iter()
        .map(|s| s.as_str())
        .collect()
}

fn items_claimed_by_unit(unit_id: Uuid) -> SelectStatement {
    Query::select()
        .column(ClaimColumn::ItemId)
        .from(Claim)
        .and_where(ClaimColumn::MemberUnitId.eq(unit_id))
        .to_owned()
}

fn item_visible(viewer: &ItemViewer) -> Condition {
    match viewer.kind() {
        Viewer::All => Condition::all(),
        Viewer::Staff { scope, above } => Condition::any()
            .add(region_in_scope(Column::RegionId, scope))
            .add(
                Condition::all()
                    .add(Column::Direction.eq(ServiceDirection::Offer.as_str()))
                    .add(Column::RegionId.is_in(above.iter().copied())),
            ),
        Viewer::Unit {
            unit_id,
            committees,
        } => Condition::any()
            .add(
                Condition::all()
                    .add(Column::Direction.eq(ServiceDirection::Need.as_str()))
                    .add(region_in_scope(Column::RegionId, committees)),
            )
            .add(Column::PostedByUnitId.eq(*unit_id))
            .add(Column::Id.in_subquery(items_claimed_by_unit(*unit_id))),
        Viewer::Nobody => never(),
    }
}

fn claim_visible(viewer: &ItemViewer) -> Condition {
    match viewer.kind() {
        Viewer::All => Condition::all(),
        Viewer::Staff { scope, .. } => region_in_scope(ClaimColumn::CommunityId, scope),
        Viewer::Unit { unit_id, .. } => {
            Condition::all().add(ClaimColumn::MemberUnitId.eq(*unit_id))
        }
        Viewer::Nobody => never(),
    }
}

pub async fn find_item(
    db: &impl ConnectionTrait,
    id: Uuid,
    viewer: &ItemViewer,
) -> Result<Option<ItemRow>, DbErr> {
    Entity::find_by_id(id)
        .filter(item_visible(viewer))
        .one(db)
        .await
}

/// Without any scope: the item of a claim the caller already may see, the sweep.
pub async fn find_item_unscoped(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<ItemRow>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

pub async fn find_items(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    viewer: &ItemViewer,
) -> Result<Vec<ItemRow>, DbErr> {
    Entity::find()
        .filter(super::ids_in(db.get_database_backend(), Column::Id, ids))
        .filter(item_visible(viewer))
        .all(db)
        .await
}

/// An item of this committee with this title (the demo data's natural key).
pub async fn find_by_title(
    db: &impl ConnectionTrait,
    region_id: Uuid,
    title: &str,
) -> Result<Option<ItemRow>, DbErr> {
    Entity::find()
        .filter(Column::RegionId.eq(region_id))
        .filter(Column::Title.eq(title))
        .one(db)
        .await
}

#[derive(Debug, Default, Clone)]
pub struct ItemFilter {
    /// Only items of committees in this subtree.
    pub within: Option<Scope>,
    pub direction: Option<ServiceDirection>,
    pub kind: Option<ServiceItemKind>,
    pub category: Option<ServiceCategory>,
    pub state: Option<ServiceItemState>,
    /// Only items this claimant could claim today.
    pub claimable: Option<(Claimant, NaiveDate)>,
}

/// Open items (on `ix_service_item_open`'s terms: state and direction as literals,
/// `super::code_literal`), not past `today`, in `direction`.
fn open_in(direction: ServiceDirection, today: NaiveDate) -> Condition {
    Condition::all()
        .add(Expr::col((Entity, Column::State)).eq(code_literal(ServiceItemState::Open.as_str())))
        .add(Expr::col((Entity, Column::Direction)).eq(code_literal(direction.as_str())))
        .add(Column::DueOn.gte(today))
}

/// The committee regions a need of `committees` can be posted to: needs go to communities only
/// (`service::service_item::posting`), so the communities among them — a sub-district's
/// committee covers 25 of them among its 526 regions. On PostgreSQL as an array computed once
/// (`= ANY(ARRAY(…))`), tested against each candidate's region in the index: as a sub-select it
/// became a semi-join testing every candidate against every community row (1.1 ms against 0.4
/// for a unit's page, EXPLAIN ANALYZE).
fn need_regions(committees: &Scope, backend: DatabaseBackend) -> Condition {
    if committees.path_ranges().is_none() {
        return Condition::all();
    }
    let mut communities = regions_in_scope(committees);
    communities.and_where(
        Expr::col((RegionEntity, RegionColumn::Level))
            .eq(code_literal(RegionLevel::Community.as_str())),
    );
    if backend != DatabaseBackend::Postgres {
        return Condition::all().add(Column::RegionId.in_subquery(communities));
    }
    let array = Func::cust("ARRAY").arg(Expr::SubQuery(None, Box::new(communities.into())));
    Condition::all().add(Expr::col((Entity, Column::RegionId)).eq(Func::cust("ANY").arg(array)))
}

fn claimable(claimant: &Claimant, today: NaiveDate, backend: DatabaseBackend) -> Condition {
    let holding = |party: Condition| {
        Query::select()
            .column(ClaimColumn::ItemId)
            .from(Claim)
            .cond_where(party)
            .and_where(ClaimColumn::State.is_in(holding_states()))
            .to_owned()
    };
    match claimant {
        Claimant::Unit {
            unit_id,
            committees,
        } => open_in(ServiceDirection::Need, today)
            .add(need_regions(committees, backend))
            .add(Column::Id.not_in_subquery(holding(
                Condition::all().add(ClaimColumn::MemberUnitId.eq(*unit_id)),
            ))),
        Claimant::Community {
            community_id,
            regions,
        } => open_in(ServiceDirection::Offer, today)
            .add(Column::RegionId.is_in(regions.iter().copied()))
            .add(Column::Id.not_in_subquery(holding(
                Condition::all().add(ClaimColumn::CommunityId.eq(*community_id)),
            ))),
        Claimant::Nobody => never(),
    }
}

/// The last column of the table in select order.
const ITEM_WIDTH: usize = Column::UpdatedAt as usize + 1;

impl ByPosition for ItemRow {
    const WIDTH: usize = ITEM_WIDTH;

    fn read(c: &PgColumns<'_>) -> Result<Self, DbErr> {
        use Column as C;
        Ok(ItemRow {
            id: c.get(C::Id as usize)?,
            direction: c.code(C::Direction as usize)?,
            kind: c.code(C::Kind as usize)?,
            category: c.code(C::Category as usize)?,
            title: c.get(C::Title as usize)?,
            description: c.get(C::Description as usize)?,
            capacity: c.get(C::Capacity as usize)?,
            active_claims: c.get(C::ActiveClaims as usize)?,
            state: c.code(C::State as usize)?,
            due_on: c.get(C::DueOn as usize)?,
            region_id: c.get(C::RegionId as usize)?,
            posted_by: c.get(C::PostedBy as usize)?,
            posted_by_unit_id: c.get(C::PostedByUnitId as usize)?,
            beneficiary_resident_id: c.get(C::BeneficiaryResidentId as usize)?,
            beneficiary_summary: c.get(C::BeneficiarySummary as usize)?,
            closed_at: c.get(C::ClosedAt as usize)?,
            created_at: c.get(C::CreatedAt as usize)?,
            updated_at: c.get(C::UpdatedAt as usize)?,
        })
    }
}

/// Does a claimant's claimable condition already say the viewer sees the item? A unit's
/// claimable needs are needs of its committees, the first thing its sight holds; the list then
/// leaves the sight out (its OR of three sub-selects cost PostgreSQL two more scans a call).
fn sight_implied(claimant: &Claimant, viewer: &ItemViewer) -> bool {
    match (claimant, viewer.kind()) {
        (
            Claimant::Unit {
                unit_id,
                committees,
            },
            Viewer::Unit {
                unit_id: viewer_unit,
                committees: viewer_committees,
            },
        ) => unit_id == viewer_unit && committees == viewer_committees,
        _ => false,
    }
}

/// One page, newest first, plus one row to tell whether more follow; with `with_regions`, each
/// item's committee region read in the same statement on PostgreSQL (`None` elsewhere: the
/// region loader reads them).
pub async fn list_items(
    db: &impl ConnectionTrait,
    viewer: &ItemViewer,
    filter: &ItemFilter,
    page: &PageRequest,
    after: Option<Uuid>,
    with_regions: bool,
) -> Result<Vec<(ItemRow, Option<RegionRow>)>, DbErr> {
    let mut query = Entity::find();
    if !filter
        .claimable
        .as_ref()
        .is_some_and(|(claimant, _)| sight_implied(claimant, viewer))
    {
        query = query.filter(item_visible(viewer));
    }
    if let Some(within) = &filter.within {
        query = query.filter(region_in_scope(Column::RegionId, within));
    }
    if let Some(direction) = filter.direction {
        query = query.filter(Column::Direction.eq(direction.as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(category) = filter.category {
        query = query.filter(Column::Category.eq(category.as_str()));
    }
    if let Some(state) = filter.state {
        query = query.filter(Column::State.eq(state.as_str()));
    }
    let backend = db.get_database_backend();
    if let Some((claimant, today)) = &filter.claimable {
        query = query.filter(claimable(claimant, *today, backend));
    }
    if backend != DatabaseBackend::Postgres {
        let query = super::page::keyset_query(query, Column::Id, Order::Desc, after, page);
        let rows: Vec<ItemRow> = pg_row::all(db, query).await?;
        return Ok(rows.into_iter().map(|item| (item, None)).collect());
    }
    let mut query = if filter.claimable.is_some() {
        // The page's ids first, then its rows: what the claimable condition tests is all in
        // `ix_service_item_open`, so the ids come from the index alone (a unit's page walked
        // ~700 items' rows for 21), and only the page's rows are read.
        let ids = super::page::keyset_query(
            query.select_only().column(Column::Id),
            Column::Id,
            Order::Desc,
            after,
            page,
        )
        .into_query();
        let page = Alias::new("page");
        Query::select()
            .columns(Column::iter().map(|c| (Entity, c)))
            .from_subquery(ids, page.clone())
            .join(
                JoinType::InnerJoin,
                Entity,
                Expr::col((Entity, Column::Id)).equals((page, Column::Id)),
            )
            .order_by((Entity, Column::Id), Order::Desc)
            .to_owned()
    } else {
        super::page::keyset_query(query, Column::Id, Order::Desc, after, page).into_query()
    };
    if !with_regions {
        return pg_row::all_read(db, backend.build(&query), ITEM_WIDTH, |c| {
            Ok((ItemRow::read(c)?, None))
        })
        .await;
    }
    // The party region, as its loader reads it: whatever the caller's scope (the item is seen).
    query
        .columns(RegionColumn::iter().map(|c| (RegionEntity, c)))
        .join(
            JoinType::LeftJoin,
            RegionEntity,
            Expr::col((RegionEntity, RegionColumn::Id)).equals((Entity, Column::RegionId)),
        );
    pg_row::all_read(
        db,
        backend.build(&query),
        ITEM_WIDTH + RegionRow::WIDTH,
        |c| Ok((ItemRow::read(c)?, c.joined::<RegionRow>(ITEM_WIDTH)?)),
    )
    .await
}

pub async fn insert_item(db: &impl ConnectionTrait, row: ItemRow) -> Result<ItemRow, DbErr> {
    service_item::ActiveModel::from(row).insert(db).await
}

pub async fn insert_claim(db: &impl ConnectionTrait, row: ClaimRow) -> Result<ClaimRow, DbErr> {
    service_claim::ActiveModel::from(row).insert(db).await
}

pub async fn insert_step(db: &impl ConnectionTrait, row: StepRow) -> Result<StepRow, DbErr> {
    service_item_step::ActiveModel::from(row).insert(db).await
}

/// Takes one place on an open item in a single conditional UPDATE: of any number of concurrent
/// callers, only as many as there are free places get the row back. The item turns `FULL` when
/// the last place goes. `None`: no place (not open, or full).
pub async fn take_place(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<ItemRow>, DbErr> {
    let after = Expr::col(Column::ActiveClaims).add(1);
    let rows = Entity::update_many()
        .col_expr(Column::ActiveClaims, after.clone())
        .col_expr(
            Column::State,
            Expr::case(
                after.gte(Expr::col(Column::Capacity)),
                ServiceItemState::Full.as_str(),
            )
            .finally(Expr::col(Column::State))
            .into(),
        )
        .col_expr(Column::UpdatedAt, Expr::val(now))
        .filter(Column::Id.eq(item_id))
        .filter(Column::State.eq(ServiceItemState::Open.as_str()))
        .filter(Expr::col(Column::ActiveClaims).lt(Expr::col(Column::Capacity)))
        .exec_with_returning(db)
        .await?;
    Ok(rows.into_iter().next())
}

/// The item row, locked until the transaction ends (`SELECT … FOR UPDATE` on PostgreSQL;
/// SQLite has no row locks, and its write transactions exclude each other anyway).
pub async fn lock_item(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<ItemRow>, DbErr> {
    Entity::find_by_id(id).lock_exclusive().one(db).await
}

/// Gives one place back (a claim was withdrawn or released); a `FULL` item opens again, a
/// closed one stays closed. The item row is locked first (PostgreSQL; SQLite write transactions
/// are serial anyway) so the state it had before is exact. Returns (before, after).
pub async fn give_place_back(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<(ItemRow, ItemRow)>, DbErr> {
    let Some(before) = lock_item(db, item_id).await? else {
        return Ok(None);
    };
    let rows = Entity::update_many()
        .col_expr(Column::ActiveClaims, Expr::col(Column::ActiveClaims).sub(1))
        .col_expr(
            Column::State,
            Expr::case(
                Expr::col(Column::State).eq(ServiceItemState::Full.as_str()),
                ServiceItemState::Open.as_str(),
            )
            .finally(Expr::col(Column::State))
            .into(),
        )
        .col_expr(Column::UpdatedAt, Expr::val(now))
        .filter(Column::Id.eq(item_id))
        .filter(Column::ActiveClaims.gt(0))
        .exec_with_returning(db)
        .await?;
    Ok(rows.into_iter().next().map(|after| (before, after)))
}

/// Moves an item from one of `from` to `to` (closing, cancelling); `None` if it was not in one
/// of `from` any more. `require_no_claims`: only while no claim holds a place.
pub async fn set_item_state(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    from: ServiceItemState,
    to: ServiceItemState,
    require_no_claims: bool,
    now: DateTime<Utc>,
) -> Result<Option<ItemRow>, DbErr> {
    let mut update = Entity::update_many()
        .col_expr(Column::State, Expr::val(to.as_str()))
        .col_expr(Column::UpdatedAt, Expr::val(now))
        .filter(Column::Id.eq(item_id))
        .filter(Column::State.eq(from.as_str()));
    if matches!(to, ServiceItemState::Closed | ServiceItemState::Cancelled) {
        update = update.col_expr(Column::ClosedAt, Expr::val(now));
    }
    if require_no_claims {
        update = update.filter(Column::ActiveClaims.eq(0));
    }
    Ok(update.exec_with_returning(db).await?.into_iter().next())
}

/// A new due date, while the item is still open or full.
pub async fn set_due_on(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    due_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<ItemRow>, DbErr> {
    Ok(Entity::update_many()
        .col_expr(Column::DueOn, Expr::val(due_on))
        .col_expr(Column::UpdatedAt, Expr::val(now))
        .filter(Column::Id.eq(item_id))
        .filter(Column::State.is_in([
            ServiceItemState::Open.as_str(),
            ServiceItemState::Full.as_str(),
        ]))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next())
}

pub async fn find_claim(
    db: &impl ConnectionTrait,
    id: Uuid,
    viewer: &ItemViewer,
) -> Result<Option<ClaimRow>, DbErr> {
    Claim::find_by_id(id)
        .filter(claim_visible(viewer))
        .one(db)
        .await
}

/// The claim row, locked for the rest of the transaction (PostgreSQL; SQLite write
/// transactions hold the whole database already), so the state judged is the state changed.
pub async fn lock_claim(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<ClaimRow>, DbErr> {
    Claim::find_by_id(id).lock_exclusive().one(db).await
}

/// The claim of this party on this item that still holds a place, if any.
pub async fn holding_claim(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    member_unit_id: Uuid,
    community_id: Uuid,
) -> Result<Option<ClaimRow>, DbErr> {
    Claim::find()
        .filter(ClaimColumn::ItemId.eq(item_id))
        .filter(ClaimColumn::MemberUnitId.eq(member_unit_id))
        .filter(ClaimColumn::CommunityId.eq(community_id))
        .filter(ClaimColumn::State.is_in(holding_states()))
        .one(db)
        .await
}

/// What a step writes on a claim besides its state.
#[derive(Debug, Default, Clone)]
pub struct ClaimReport {
    pub people_served: Option<i32>,
    pub notes: Option<String>,
}

/// Moves a claim from exactly `from` to `to`, stamping the time column of `to`; `None` if the
/// claim was no longer in `from` (someone else moved it first).
pub async fn move_claim(
    db: &impl ConnectionTrait,
    claim_id: Uuid,
    from: ServiceClaimState,
    to: ServiceClaimState,
    report: ClaimReport,
    now: DateTime<Utc>,
) -> Result<Option<ClaimRow>, DbErr> {
    let stamp = match to {
        ServiceClaimState::Claimed => ClaimColumn::ClaimedAt,
        ServiceClaimState::InProgress => ClaimColumn::StartedAt,
        ServiceClaimState::Completed => ClaimColumn::CompletedAt,
        ServiceClaimState::Verified => ClaimColumn::VerifiedAt,
        ServiceClaimState::Withdrawn => ClaimColumn::WithdrawnAt,
        ServiceClaimState::Released => ClaimColumn::ReleasedAt,
    };
    let mut update = Claim::update_many()
        .col_expr(ClaimColumn::State, Expr::val(to.as_str()))
        .col_expr(stamp, Expr::val(now))
        .col_expr(ClaimColumn::UpdatedAt, Expr::val(now))
        .filter(ClaimColumn::Id.eq(claim_id))
        .filter(ClaimColumn::State.eq(from.as_str()));
    if let Some(people) = report.people_served {
        update = update.col_expr(ClaimColumn::PeopleServed, Expr::val(people));
    }
    if let Some(notes) = report.notes {
        update = update.col_expr(ClaimColumn::ReportNotes, Expr::val(notes));
    }
    Ok(update.exec_with_returning(db).await?.into_iter().next())
}

/// Claims (visible to the viewer) of these items, oldest first.
pub async fn claims_of_items(
    db: &impl ConnectionTrait,
    item_ids: &[Uuid],
    viewer: &ItemViewer,
) -> Result<Vec<ClaimRow>, DbErr> {
    Claim::find()
        .filter(super::ids_in(
            db.get_database_backend(),
            ClaimColumn::ItemId,
            item_ids,
        ))
        .filter(claim_visible(viewer))
        .order_by_asc(ClaimColumn::Id)
        .all(db)
        .await
}

/// Timeline entries of these items, in order. Entries about a claim the viewer cannot see are
/// left out with it.
pub async fn steps_of_items(
    db: &impl ConnectionTrait,
    item_ids: &[Uuid],
    viewer: &ItemViewer,
) -> Result<Vec<StepRow>, DbErr> {
    let visible_claims = Query::select()
        .column(ClaimColumn::Id)
        .from(Claim)
        .cond_where(claim_visible(viewer))
        .to_owned();
    Step::find()
        .filter(super::ids_in(
            db.get_database_backend(),
            StepColumn::ItemId,
            item_ids,
        ))
        .filter(
            Condition::any()
                .add(StepColumn::ClaimId.is_null())
                .add(StepColumn::ClaimId.in_subquery(visible_claims)),
        )
        .order_by_asc(StepColumn::At)
        .order_by_asc(StepColumn::Id)
        .all(db)
        .await
}

/// Claims still `CLAIMED` whose item's due day ended before `today` (oldest first, at most
/// `limit`).
pub async fn stale_claims(
    db: &impl ConnectionTrait,
    today: NaiveDate,
    limit: u64,
) -> Result<Vec<ClaimRow>, DbErr> {
    Claim::find()
        .filter(ClaimColumn::State.eq(ServiceClaimState::Claimed.as_str()))
        .filter(
            ClaimColumn::ItemId.in_subquery(
                Query::select()
                    .column(Column::Id)
                    .from(Entity)
                    .and_where(Column::DueOn.lt(today))
                    .to_owned(),
            ),
        )
        .order_by_asc(ClaimColumn::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The region paths of the committees a unit sits on.
pub async fn committee_paths_of_unit(
    db: &impl ConnectionTrait,
    unit_id: Uuid,
) -> Result<Vec<String>, DbErr> {
    RegionEntity::find()
        .select_only()
        .column(RegionColumn::Path)
        .filter(
            RegionColumn::Id.in_subquery(
                Query::select()
                    .column(MembershipColumn::RegionId)
                    .from(Membership)
                    .and_where(MembershipColumn::MemberUnitId.eq(unit_id))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await
}

/// Follow-through figures of one committee or unit over a period.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub items_posted: i64,
    pub claims_made: i64,
    pub claims_completed: i64,
    pub claims_verified: i64,
    pub claims_withdrawn: i64,
    pub claims_released: i64,
    pub people_served: i64,
    /// Joint meetings held (for a unit: taken part in), by the day held.
    pub meetings: i64,
    /// Co-building activities held (for a unit: taken part in), by the day held.
    pub activities: i64,
    /// People those meetings and activities reached.
    pub people_reached: i64,
}

impl Figures {
    /// Adds another committee's or unit's figures to these.
    pub fn add(&mut self, other: &Figures) {
        self.items_posted += other.items_posted;
        self.claims_made += other.claims_made;
        self.claims_completed += other.claims_completed;
        self.claims_verified += other.claims_verified;
        self.claims_withdrawn += other.claims_withdrawn;
        self.claims_released += other.claims_released;
        self.people_served += other.people_served;
        self.meetings += other.meetings;
        self.activities += other.activities;
        self.people_reached += other.people_reached;
    }
}

/// What the figures are grouped by.
#[derive(Debug, Clone, Copy)]
enum Group {
    Committee,
    Unit,
}

fn in_period<C: ColumnTrait>(col: C, from: DateTime<Utc>, to: DateTime<Utc>) -> Condition {
    Condition::all().add(col.gte(from)).add(col.lt(to))
}

fn count_in_period<C: ColumnTrait>(col: C, from: DateTime<Utc>, to: DateTime<Utc>) -> Expr {
    // i32 literals: SUM over int4 is int8 on PostgreSQL, which reads back as i64.
    Func::sum(Expr::case(in_period(col, from, to), 1i32).finally(0i32)).into()
}

/// Items posted per committee (or per offering unit) in the period, for items of committees
/// within `within`.
async fn posted_by(
    db: &impl ConnectionTrait,
    group: Group,
    within: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, i64)>, DbErr> {
    let key = match group {
        Group::Committee => Column::RegionId,
        Group::Unit => Column::PostedByUnitId,
    };
    let stmt = Query::select()
        .expr_as(Expr::col((Entity, key)), "key")
        .expr_as(Func::count(Expr::col((Entity, Column::Id))), "n")
        .from(Entity)
        .cond_where(
            Condition::all()
                .add(region_in_scope(Column::RegionId, within))
                .add(in_period(Column::CreatedAt, from, to))
                .add(key.is_not_null()),
        )
        .group_by_col((Entity, key))
        .to_owned();
    let mut out = Vec::new();
    for row in db.query_all(&stmt).await? {
        out.push((
            row.try_get::<Uuid>("", "key")?,
            row.try_get::<i64>("", "n")?,
        ));
    }
    Ok(out)
}

/// Claim figures per committee (the item's region) or per unit (the claim's unit side).
async fn claims_by(
    db: &impl ConnectionTrait,
    group: Group,
    within: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, Figures)>, DbErr> {
    let key = match group {
        Group::Committee => Expr::col((Entity, Column::RegionId)),
        Group::Unit => Expr::col((Claim, ClaimColumn::MemberUnitId)),
    };
    let people: Expr = Func::sum(
        Expr::case(
            in_period(ClaimColumn::CompletedAt, from, to),
            Func::coalesce([
                Expr::col((Claim, ClaimColumn::PeopleServed)),
                Expr::val(0i32),
            ]),
        )
        .finally(0i32),
    )
    .into();
    let stmt = Query::select()
        .expr_as(key.clone(), "key")
        .expr_as(count_in_period(ClaimColumn::ClaimedAt, from, to), "claimed")
        .expr_as(
            count_in_period(ClaimColumn::CompletedAt, from, to),
            "completed",
        )
        .expr_as(
            count_in_period(ClaimColumn::VerifiedAt, from, to),
            "verified",
        )
        .expr_as(
            count_in_period(ClaimColumn::WithdrawnAt, from, to),
            "withdrawn",
        )
        .expr_as(
            count_in_period(ClaimColumn::ReleasedAt, from, to),
            "released",
        )
        .expr_as(people, "people")
        .from(Claim)
        .inner_join(
            Entity,
            Expr::col((Entity, Column::Id)).equals((Claim, ClaimColumn::ItemId)),
        )
        .cond_where(
            Condition::all()
                .add(region_in_scope(Column::RegionId, within))
                // A claim made after the period has nothing in it.
                .add(ClaimColumn::ClaimedAt.lt(to)),
        )
        .add_group_by([key])
        .to_owned();
    let mut out = Vec::new();
    for row in db.query_all(&stmt).await? {
        out.push((
            row.try_get::<Uuid>("", "key")?,
            Figures {
                items_posted: 0,
                claims_made: row.try_get("", "claimed")?,
                claims_completed: row.try_get("", "completed")?,
                claims_verified: row.try_get("", "verified")?,
                claims_withdrawn: row.try_get("", "withdrawn")?,
                claims_released: row.try_get("", "released")?,
                people_served: row.try_get("", "people")?,
                ..Figures::default()
            },
        ));
    }
    Ok(out)
}

fn merge(
    posted: Vec<(Uuid, i64)>,
    claims: Vec<(Uuid, Figures)>,
    activities: Vec<(Uuid, ActivityFigures)>,
) -> Vec<(Uuid, Figures)> {
    let mut by_key: HashMap<Uuid, Figures> = claims.into_iter().collect();
    for (key, n) in posted {
        by_key.entry(key).or_default().items_posted = n;
    }
    for (key, a) in activities {
        let f = by_key.entry(key).or_default();
        f.meetings = a.meetings;
        f.activities = a.activities;
        f.people_reached = a.people_reached;
    }
    let mut rows: Vec<(Uuid, Figures)> = by_key.into_iter().collect();
    rows.sort_by_key(|(key, _)| *key);
    rows
}

/// Follow-through of the committees within `within` over `[from, to)` (three grouped
/// statements), as `follow_through` without the units.
pub async fn committees_follow_through(
    db: &impl ConnectionTrait,
    within: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, Figures)>, DbErr> {
    Ok(merge(
        posted_by(db, Group::Committee, within, from, to).await?,
        claims_by(db, Group::Committee, within, from, to).await?,
        committee::figures_by_committee(db, within, shanghai_day(from), shanghai_day(to)).await?,
    ))
}

/// Follow-through of the committees within `within` and of the units party to their items or
/// taking part in their activities, over `[from, to)`: (per committee, per unit). Six grouped
/// statements, whatever the data size. `from` and `to` begin Asia/Shanghai days; activities
/// count by the day they were held.
pub async fn follow_through(
    db: &impl ConnectionTrait,
    within: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(Vec<(Uuid, Figures)>, Vec<(Uuid, Figures)>), DbErr> {
    let (first_day, end_day) = (shanghai_day(from), shanghai_day(to));
    let committees = committees_follow_through(db, within, from, to).await?;
    let units = merge(
        posted_by(db, Group::Unit, within, from, to).await?,
        claims_by(db, Group::Unit, within, from, to).await?,
        committee::figures_by_unit(db, within, first_day, end_day).await?,
    );
    Ok((committees, units))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// `ByPosition` reads each column at its `Column` discriminant: that must be its place in the
    /// select `Entity::find()` writes.
    #[test]
    fn service_item_columns_are_selected_in_declaration_order() {
        let columns: Vec<Column> = Column::iter().collect();
        assert_eq!(columns.len(), ITEM_WIDTH);
        for (i, c) in columns.into_iter().enumerate() {
            assert_eq!(c as usize, i);
        }
    }
}
