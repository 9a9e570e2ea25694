//! Two-way service claiming over GraphQL: `serviceItems`, `serviceItem`, `serviceClaim`,
//! `serviceFollowThrough`, and the posting, claiming and claim-step mutations. Nested fields
//! load through `ServiceLoaders`, batched per request and bound to what the caller may see.
use super::loaders::Loaders;
use super::page::{connection, connection_cost};
use super::people::MemberUnit;
use super::photo::{Photo, read_uploads};
use super::region::Region;
use super::{actor, state};
use crate::access::resident::ResidentReach;
use crate::access::service_item::ItemViewer;
use crate::domain::page::PageRequest;
use crate::domain::role::Role;
use crate::domain::service_item::{
    ServiceCategory, ServiceClaimState, ServiceDirection, ServiceItemKind, ServiceItemState,
    ServiceStepAction, mask_name,
};
use crate::error::AppError;
use crate::service::photo::PhotoOwner;
use crate::service::service_item::{self as service, Completion, ItemQuery, NewServiceItem};
use crate::store::member_unit::{self, MemberUnitRow};
use crate::store::photo::{self as photo_store, PhotoRow};
use crate::store::region::{self, RegionRow};
use crate::store::resident::{self, ResidentRow};
use crate::store::service_item::{self as store, ClaimRow, Figures, ItemRow, StepRow};
use async_graphql::connection::Connection;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject, Upload};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;
use uuid::Uuid;

type LoadError = async_graphql::Error;

fn db_error(e: sea_orm::DbErr) -> LoadError {
    AppError::from(e).into()
}

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut groups: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

/// Items the caller may see, by id.
pub struct ItemById {
    db: DatabaseConnection,
    viewer: ItemViewer,
}

impl Loader<Uuid> for ItemById {
    type Value = ItemRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, ItemRow>, LoadError> {
        let rows = store::find_items(&self.db, keys, &self.viewer)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Claims the caller may see, keyed by item.
pub struct ClaimsByItem {
    db: DatabaseConnection,
    viewer: ItemViewer,
}

impl Loader<Uuid> for ClaimsByItem {
    type Value = Vec<ClaimRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<ClaimRow>>, LoadError> {
        let rows = store::claims_of_items(&self.db, keys, &self.viewer)
            .await
            .map_err(db_error)?;
        Ok(group(rows, |r| r.item_id))
    }
}

/// Timeline entries the caller may see, keyed by item.
pub struct StepsByItem {
    db: DatabaseConnection,
    viewer: ItemViewer,
}

impl Loader<Uuid> for StepsByItem {
    type Value = Vec<StepRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<StepRow>>, LoadError> {
        let rows = store::steps_of_items(&self.db, keys, &self.viewer)
            .await
            .map_err(db_error)?;
        Ok(group(rows, |r| r.item_id))
    }
}

/// The committee regions and claimant communities of items and claims the caller sees. Not
/// bound to a region scope: a unit liaison has none, yet must see which community a need is in.
/// Only ever reached through an item or claim the caller may see.
pub struct PartyRegion {
    db: DatabaseConnection,
}

impl Loader<Uuid> for PartyRegion {
    type Value = RegionRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, RegionRow>, LoadError> {
        let rows = region::find_many_unscoped(&self.db, keys)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// The member units party to items and claims the caller sees (same reasoning as
/// `PartyRegion`).
pub struct PartyUnit {
    db: DatabaseConnection,
}

impl Loader<Uuid> for PartyUnit {
    type Value = MemberUnitRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, MemberUnitRow>, LoadError> {
        let rows = member_unit::find_many_unscoped(&self.db, keys)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Micro-wish beneficiaries, as far as `ResidentReach::beneficiaries` reaches.
pub struct BeneficiaryById {
    db: DatabaseConnection,
    reach: ResidentReach,
}

impl Loader<Uuid> for BeneficiaryById {
    type Value = ResidentRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, ResidentRow>, LoadError> {
        let rows = resident::find_many(&self.db, keys, &self.reach)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Photos of service items or claims (one owner kind per loader), keyed by owner. Reached only
/// through an item or claim the caller may see.
pub struct ServicePhotos {
    db: DatabaseConnection,
    kind: &'static str,
}

impl Loader<Uuid> for ServicePhotos {
    type Value = Vec<PhotoRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<PhotoRow>>, LoadError> {
        let rows = photo_store::of_owners(&self.db, self.kind, keys)
            .await
            .map_err(db_error)?;
        Ok(group(rows, |r| r.owner_id))
    }
}

/// The loaders of one request, built on first use: what the caller may see depends on the
/// caller's unit committees, which takes a query to learn, and most requests never touch
/// service items.
pub struct ServiceLoaders {
    db: DatabaseConnection,
    delay: Duration,
    built: OnceCell<Arc<Built>>,
}

pub struct Built {
    pub item_by_id: DataLoader<ItemById>,
    pub claims_by_item: DataLoader<ClaimsByItem>,
    pub steps_by_item: DataLoader<StepsByItem>,
    pub party_region: DataLoader<PartyRegion>,
    pub party_unit: DataLoader<PartyUnit>,
    pub beneficiary_by_id: DataLoader<BeneficiaryById>,
    pub item_photos: DataLoader<ServicePhotos>,
    pub claim_photos: DataLoader<ServicePhotos>,
}

impl ServiceLoaders {
    pub fn new(db: &DatabaseConnection, delay: Duration) -> Self {
        ServiceLoaders {
            db: db.clone(),
            delay,
            built: OnceCell::new(),
        }
    }

    pub async fn get(&self, ctx: &Context<'_>) -> Result<Arc<Built>> {
        let built = self
            .built
            .get_or_try_init(|| async {
                let me = &actor(ctx)?.principal;
                let viewer = service::viewer(state(ctx), me).await?;
                Ok::<_, AppError>(Arc::new(
                    self.build(viewer, ResidentReach::beneficiaries(me)),
                ))
            })
            .await?;
        Ok(built.clone())
    }

    fn build(&self, viewer: ItemViewer, beneficiaries: ResidentReach) -> Built {
        let delay = self.delay;
        fn make<L: Loader<Uuid>>(loader: L, delay: Duration) -> DataLoader<L> {
            DataLoader::new(loader, |fut| {
                tokio::spawn(fut);
            })
            .delay(delay)
        }
        let db = || self.db.clone();
        Built {
            item_by_id: make(
                ItemById {
                    db: db(),
                    viewer: viewer.clone(),
                },
                delay,
            ),
            claims_by_item: make(
                ClaimsByItem {
                    db: db(),
                    viewer: viewer.clone(),
                },
                delay,
            ),
            steps_by_item: make(StepsByItem { db: db(), viewer }, delay),
            party_region: make(PartyRegion { db: db() }, delay),
            party_unit: make(PartyUnit { db: db() }, delay),
            beneficiary_by_id: make(
                BeneficiaryById {
                    db: db(),
                    reach: beneficiaries,
                },
                delay,
            ),
            item_photos: make(
                ServicePhotos {
                    db: db(),
                    kind: PhotoOwner::ServiceItem(Uuid::nil()).kind(),
                },
                delay,
            ),
            claim_photos: make(
                ServicePhotos {
                    db: db(),
                    kind: PhotoOwner::ServiceClaim(Uuid::nil()).kind(),
                },
                delay,
            ),
        }
    }
}

async fn loaders(ctx: &Context<'_>) -> Result<Arc<Built>> {
    ctx.data_unchecked::<Loaders>().service.get(ctx).await
}

/// A need posted by a community, or a resource offered by a member unit.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ServiceItem {
    pub id: Uuid,
    pub direction: ServiceDirection,
    pub kind: ServiceItemKind,
    pub category: ServiceCategory,
    pub title: String,
    pub description: String,
    /// How many claims the item allows.
    pub capacity: i32,
    /// Claims holding a place now (claimed, in progress, completed or verified).
    pub active_claims: i32,
    pub state: ServiceItemState,
    /// An Asia/Shanghai calendar day: claims are taken up to and including it, and a claim not
    /// started by its end is released back to the list.
    pub due_on: NaiveDate,
    /// Micro-wishes: who the wish is for, masked (age band and gender; never a name or an
    /// address). Shown to everyone who sees the item.
    pub beneficiary_summary: Option<String>,
    /// When the item was closed or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub region_id: Uuid,
    #[graphql(skip)]
    pub posted_by_unit_id: Option<Uuid>,
    #[graphql(skip)]
    pub beneficiary_resident_id: Option<Uuid>,
}

impl From<ItemRow> for ServiceItem {
    fn from(row: ItemRow) -> Self {
        ServiceItem {
            id: row.id,
            direction: row.direction,
            kind: row.kind,
            category: row.category,
            title: row.title,
            description: row.description,
            capacity: row.capacity,
            active_claims: row.active_claims,
            state: row.state,
            due_on: row.due_on,
            beneficiary_summary: row.beneficiary_summary,
            closed_at: row.closed_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            region_id: row.region_id,
            posted_by_unit_id: row.posted_by_unit_id,
            beneficiary_resident_id: row.beneficiary_resident_id,
        }
    }
}

/// A micro-wish's beneficiary as the posting community's staff see it.
#[derive(SimpleObject)]
pub struct MicroWishBeneficiary {
    pub resident_id: Uuid,
    /// `陈**`.
    pub masked_name: String,
}

#[ComplexObject]
impl ServiceItem {
    /// Places still free.
    async fn remaining(&self) -> i32 {
        (self.capacity - self.active_claims).max(0)
    }

    /// The committee's region: the community of a need; the community or sub-district an offer
    /// is made to.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)
            .await?
            .party_region
            .load_one(self.region_id)
            .await?
            .map(Region::from))
    }

    /// The unit that offers (offers only).
    async fn offered_by(&self, ctx: &Context<'_>) -> Result<Option<MemberUnit>> {
        let Some(id) = self.posted_by_unit_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .await?
            .party_unit
            .load_one(id)
            .await?
            .map(MemberUnit::from))
    }

    /// Micro-wishes: the resident, for staff whose scope holds them; `null` for everyone else,
    /// claimants included.
    async fn beneficiary(&self, ctx: &Context<'_>) -> Result<Option<MicroWishBeneficiary>> {
        let Some(id) = self.beneficiary_resident_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .await?
            .beneficiary_by_id
            .load_one(id)
            .await?
            .map(|r| MicroWishBeneficiary {
                resident_id: r.id,
                masked_name: mask_name(&r.name),
            }))
    }

    /// The claims you may see: staff see the claims of communities in their scope; a unit
    /// liaison sees its own unit's (and, on its offers, every community's claim).
    async fn claims(&self, ctx: &Context<'_>) -> Result<Vec<ServiceClaim>> {
        Ok(loaders(ctx)
            .await?
            .claims_by_item
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ServiceClaim::from)
            .collect())
    }

    /// Pictures posted with the item.
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<Photo>> {
        Ok(loaders(ctx)
            .await?
            .item_photos
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Photo::from)
            .collect())
    }

    /// Every step taken on the item and its claims, oldest first (entries about claims you
    /// cannot see are left out).
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<ServiceStep>> {
        Ok(loaders(ctx)
            .await?
            .steps_by_item
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ServiceStep::from)
            .collect())
    }
}

/// A claim by a unit on a need, or by a community on an offer.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ServiceClaim {
    pub id: Uuid,
    pub state: ServiceClaimState,
    pub claimed_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub verified_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// When the sweep released the claim for want of progress by the due date.
    pub released_at: Option<DateTime<Utc>>,
    /// From the completion report.
    pub people_served: Option<i32>,
    /// From the completion report.
    pub report_notes: Option<String>,
    #[graphql(skip)]
    pub item_id: Uuid,
    #[graphql(skip)]
    pub member_unit_id: Uuid,
    #[graphql(skip)]
    pub community_id: Uuid,
}

impl From<ClaimRow> for ServiceClaim {
    fn from(row: ClaimRow) -> Self {
        ServiceClaim {
            id: row.id,
            state: row.state,
            claimed_at: row.claimed_at,
            started_at: row.started_at,
            completed_at: row.completed_at,
            verified_at: row.verified_at,
            withdrawn_at: row.withdrawn_at,
            released_at: row.released_at,
            people_served: row.people_served,
            report_notes: row.report_notes,
            item_id: row.item_id,
            member_unit_id: row.member_unit_id,
            community_id: row.community_id,
        }
    }
}

#[ComplexObject]
impl ServiceClaim {
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<ServiceItem>> {
        Ok(loaders(ctx)
            .await?
            .item_by_id
            .load_one(self.item_id)
            .await?
            .map(ServiceItem::from))
    }

    /// Pictures of the work, from the completion report.
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<Photo>> {
        Ok(loaders(ctx)
            .await?
            .claim_photos
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Photo::from)
            .collect())
    }

    /// The unit side: the claimant of a need, the offerer of an offer.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<MemberUnit>> {
        Ok(loaders(ctx)
            .await?
            .party_unit
            .load_one(self.member_unit_id)
            .await?
            .map(MemberUnit::from))
    }

    /// The community side: the poster of a need, the claimant of an offer.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)
            .await?
            .party_region
            .load_one(self.community_id)
            .await?
            .map(Region::from))
    }
}

/// One immutable timeline entry: who did what, when, and what it changed.
#[derive(SimpleObject)]
pub struct ServiceStep {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub action: ServiceStepAction,
    /// `null`: the system (the release sweep).
    pub actor_name: Option<String>,
    pub actor_role: Option<Role>,
    /// The claim the step was about, if any.
    pub claim_id: Option<Uuid>,
    /// Set when the step changed the item's state.
    pub item_from: Option<ServiceItemState>,
    pub item_to: Option<ServiceItemState>,
    /// Set when the step changed a claim's state (`claimFrom` is null for a new claim).
    pub claim_from: Option<ServiceClaimState>,
    pub claim_to: Option<ServiceClaimState>,
    pub note: Option<String>,
}

impl From<StepRow> for ServiceStep {
    fn from(row: StepRow) -> Self {
        ServiceStep {
            id: row.id,
            at: row.at,
            action: row.action,
            actor_name: row.actor_name,
            actor_role: row.actor_role,
            claim_id: row.claim_id,
            item_from: row.item_from,
            item_to: row.item_to,
            claim_from: row.claim_from,
            claim_to: row.claim_to,
            note: row.note,
        }
    }
}

fn clamp(n: i64) -> i32 {
    n.clamp(0, i64::from(i32::MAX)) as i32
}

/// Agreement follow-through over a period (events dated by when they happened).
#[derive(SimpleObject, Default, Clone, Copy)]
pub struct FollowThroughFigures {
    /// Items posted (for a unit: the offers it posted).
    pub items_posted: i32,
    pub claims_made: i32,
    /// Completion reports filed (later verified ones included).
    pub claims_completed: i32,
    pub claims_verified: i32,
    pub claims_withdrawn: i32,
    /// Claims released by the sweep because nothing was started by the due date.
    pub claims_released: i32,
    /// Summed from the completion reports filed in the period.
    pub people_served: i32,
}

impl From<Figures> for FollowThroughFigures {
    fn from(f: Figures) -> Self {
        FollowThroughFigures {
            items_posted: clamp(f.items_posted),
            claims_made: clamp(f.claims_made),
            claims_completed: clamp(f.claims_completed),
            claims_verified: clamp(f.claims_verified),
            claims_withdrawn: clamp(f.claims_withdrawn),
            claims_released: clamp(f.claims_released),
            people_served: clamp(f.people_served),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CommitteeFollowThrough {
    pub committee_region_id: Uuid,
    #[graphql(flatten)]
    pub figures: FollowThroughFigures,
}

#[ComplexObject]
impl CommitteeFollowThrough {
    /// The community (big party committee) or sub-district (big working committee).
    async fn committee_region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)
            .await?
            .party_region
            .load_one(self.committee_region_id)
            .await?
            .map(Region::from))
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UnitFollowThrough {
    pub unit_id: Uuid,
    #[graphql(flatten)]
    pub figures: FollowThroughFigures,
}

#[ComplexObject]
impl UnitFollowThrough {
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<MemberUnit>> {
        Ok(loaders(ctx)
            .await?
            .party_unit
            .load_one(self.unit_id)
            .await?
            .map(MemberUnit::from))
    }
}

#[derive(SimpleObject)]
pub struct ServiceFollowThrough {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The region asked about (`null`: your whole scope).
    pub region: Option<Region>,
    /// One row per committee with activity in the period.
    pub committees: Vec<CommitteeFollowThrough>,
    /// One row per member unit party to that activity (the claimant of a need, the offerer of
    /// an offer).
    pub units: Vec<UnitFollowThrough>,
    /// The committees' rows added up.
    pub totals: FollowThroughFigures,
}

#[derive(InputObject)]
pub struct PostServiceItemInput {
    pub direction: ServiceDirection,
    #[graphql(default_with = "ServiceItemKind::Project")]
    pub kind: ServiceItemKind,
    pub category: ServiceCategory,
    pub title: String,
    pub description: String,
    /// Claims allowed (default 1; a micro-wish has exactly 1).
    pub capacity: Option<i32>,
    /// Asia/Shanghai calendar day, today or later.
    pub due_on: NaiveDate,
    /// A need: its community. An offer: the community or sub-district whose committee your
    /// unit sits on.
    pub region_id: Uuid,
    /// Micro-wishes only: the resident (in the community) the wish is for.
    pub beneficiary_resident_id: Option<Uuid>,
    /// Up to 9 photos (JPEG, PNG, WebP, HEIC), as GraphQL multipart uploads.
    #[graphql(default)]
    pub photos: Vec<Upload>,
}

#[derive(InputObject)]
pub struct CompleteClaimInput {
    pub people_served: i32,
    pub notes: Option<String>,
    /// Up to 9 photos of the work, as GraphQL multipart uploads.
    #[graphql(default)]
    pub photos: Vec<Upload>,
}

#[derive(Default)]
pub struct ServiceQuery;

#[Object]
impl ServiceQuery {
    /// Service items you can see, newest first. Staff: items of committees in scope, and offers
    /// made to the committees above them. Unit liaisons: needs of the committees their unit sits
    /// on (a sub-district's working committee covers its communities), their unit's offers, and
    /// what their unit claimed. Grid members: `FORBIDDEN`.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn service_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Only items of committees in this region's subtree.")] region_id: Option<
            Uuid,
        >,
        direction: Option<ServiceDirection>,
        kind: Option<ServiceItemKind>,
        category: Option<ServiceCategory>,
        state: Option<ServiceItemState>,
        #[graphql(
            default_with = "Some(false)",
            desc = "Only open items, not past their due date, that you could claim now and hold no claim on."
        )]
        claimable_by_me: Option<bool>,
    ) -> Result<Connection<String, ServiceItem>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let query = ItemQuery {
            region_id,
            direction,
            kind,
            category,
            state,
            claimable_by_me: claimable_by_me.unwrap_or(false),
        };
        let rows =
            service::list_service_items(super::state(ctx), actor(ctx)?, query, &page).await?;
        Ok(connection(
            rows,
            &page,
            |r| r.id.to_string(),
            ServiceItem::from,
        ))
    }

    async fn service_item(&self, ctx: &Context<'_>, id: Uuid) -> Result<ServiceItem> {
        Ok(service::find_service_item(state(ctx), actor(ctx)?, id)
            .await?
            .into())
    }

    async fn service_claim(&self, ctx: &Context<'_>, id: Uuid) -> Result<ServiceClaim> {
        Ok(service::find_service_claim(state(ctx), actor(ctx)?, id)
            .await?
            .into())
    }

    /// Agreement follow-through per committee and per member unit over the Asia/Shanghai days
    /// `from` to `to` (inclusive, at most two years), for the committees in `regionId`'s subtree
    /// (default: your scope). Community workers and above.
    async fn service_follow_through(
        &self,
        ctx: &Context<'_>,
        region_id: Option<Uuid>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ServiceFollowThrough> {
        let report = service::follow_through(state(ctx), actor(ctx)?, region_id, from, to).await?;
        let mut totals = Figures::default();
        for (_, f) in &report.committees {
            totals.items_posted += f.items_posted;
            totals.claims_made += f.claims_made;
            totals.claims_completed += f.claims_completed;
            totals.claims_verified += f.claims_verified;
            totals.claims_withdrawn += f.claims_withdrawn;
            totals.claims_released += f.claims_released;
            totals.people_served += f.people_served;
        }
        Ok(ServiceFollowThrough {
            from: report.from,
            to: report.to,
            region: report.region.map(Region::from),
            committees: report
                .committees
                .into_iter()
                .map(|(id, f)| CommitteeFollowThrough {
                    committee_region_id: id,
                    figures: f.into(),
                })
                .collect(),
            units: report
                .units
                .into_iter()
                .map(|(id, f)| UnitFollowThrough {
                    unit_id: id,
                    figures: f.into(),
                })
                .collect(),
            totals: totals.into(),
        })
    }
}

#[derive(Default)]
pub struct ServiceMutation;

#[Object]
impl ServiceMutation {
    /// A need (community staff, for a community; `MICRO_WISH` needs name the resident) or an
    /// offer (a unit liaison, to a committee its unit sits on).
    async fn post_service_item(
        &self,
        ctx: &Context<'_>,
        input: PostServiceItemInput,
    ) -> Result<ServiceItem> {
        let row = service::post_service_item(
            state(ctx),
            actor(ctx)?,
            NewServiceItem {
                direction: input.direction,
                kind: input.kind,
                category: input.category,
                title: input.title,
                description: input.description,
                capacity: input.capacity,
                due_on: input.due_on,
                region_id: input.region_id,
                beneficiary_resident_id: input.beneficiary_resident_id,
                photos: read_uploads(ctx, "input.photos", input.photos)?,
            },
        )
        .await?;
        Ok(row.into())
    }

    /// The poster stops taking claims (`OPEN`/`FULL` → `CLOSED`); claims made carry on.
    async fn close_service_item(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceItem> {
        Ok(
            service::close_service_item(state(ctx), actor(ctx)?, id, note)
                .await?
                .into(),
        )
    }

    /// The poster withdraws an item nobody holds a claim on (→ `CANCELLED`).
    async fn cancel_service_item(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceItem> {
        Ok(
            service::cancel_service_item(state(ctx), actor(ctx)?, id, note)
                .await?
                .into(),
        )
    }

    /// The poster moves the due date of an open or full item.
    async fn reschedule_service_item(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        due_on: NaiveDate,
        note: Option<String>,
    ) -> Result<ServiceItem> {
        Ok(
            service::reschedule_service_item(state(ctx), actor(ctx)?, id, due_on, note)
                .await?
                .into(),
        )
    }

    /// A unit liaison claims a need for its unit; a community worker claims an offer for its
    /// community. `CONFLICT` when no place is left or you already hold a claim on it.
    async fn claim_service_item(
        &self,
        ctx: &Context<'_>,
        item_id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceClaim> {
        Ok(
            service::claim_service_item(state(ctx), actor(ctx)?, item_id, note)
                .await?
                .into(),
        )
    }

    /// The claimant starts the work (`CLAIMED` → `IN_PROGRESS`).
    async fn start_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceClaim> {
        Ok(
            service::start_claim(state(ctx), actor(ctx)?, claim_id, note)
                .await?
                .into(),
        )
    }

    /// The claimant reports the work done (`IN_PROGRESS` → `COMPLETED`).
    async fn complete_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        input: CompleteClaimInput,
    ) -> Result<ServiceClaim> {
        Ok(service::complete_claim(
            state(ctx),
            actor(ctx)?,
            claim_id,
            Completion {
                people_served: input.people_served,
                notes: input.notes,
                photos: read_uploads(ctx, "input.photos", input.photos)?,
            },
        )
        .await?
        .into())
    }

    /// The poster's side accepts the report (`COMPLETED` → `VERIFIED`): the community for a
    /// need, the offering unit for an offer.
    async fn verify_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceClaim> {
        Ok(
            service::verify_claim(state(ctx), actor(ctx)?, claim_id, note)
                .await?
                .into(),
        )
    }

    /// The claimant backs out before reporting (`CLAIMED`/`IN_PROGRESS` → `WITHDRAWN`); the
    /// place goes back on the list.
    async fn withdraw_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        reason: Option<String>,
    ) -> Result<ServiceClaim> {
        Ok(
            service::withdraw_claim(state(ctx), actor(ctx)?, claim_id, reason)
                .await?
                .into(),
        )
    }
}
