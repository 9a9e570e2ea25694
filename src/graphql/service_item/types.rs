//! The GraphQL types of two-way service claiming (items, claims, timeline entries, follow-through
//! figures) with their field resolvers, and the inputs.
use crate::domain::role::Role;
use crate::domain::service_item::{
    ServiceCategory, ServiceClaimState, ServiceDirection, ServiceItemKind, ServiceItemState,
    ServiceStepAction, mask_name,
};
use crate::graphql::loaders::{Loaders, ServiceItemLoaders};
use crate::graphql::people::MemberUnit;
use crate::graphql::photo::Photo;
use crate::graphql::region::Region;
use crate::store::service_item::{ClaimRow, Figures, ItemRow, StepRow};
use async_graphql::{ComplexObject, Context, InputObject, Result, SimpleObject, Upload};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// The service-item loaders of this request.
async fn loaders(ctx: &Context<'_>) -> Result<Arc<ServiceItemLoaders>> {
    ctx.data_unchecked::<Loaders>().service_items(ctx).await
}

/// A need posted by a community, or a resource offered by a member unit.
#[derive(SimpleObject)]
#[graphql(complex, serial)]
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
            .party_region(self.region_id)
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
            .party_region(self.community_id)
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
    /// Joint meetings (联席会议) held in the period (for a unit: the ones it took part in).
    pub meetings: i32,
    /// Co-building activities (共建活动) held in the period (for a unit: the ones it took part
    /// in).
    pub activities: i32,
    /// People those meetings and activities reached.
    pub people_reached: i32,
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
            meetings: clamp(f.meetings),
            activities: clamp(f.activities),
            people_reached: clamp(f.people_reached),
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
            .party_region(self.committee_region_id)
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
    /// One row per committee with claiming, meetings or activities in the period.
    pub committees: Vec<CommitteeFollowThrough>,
    /// One row per member unit party to that activity (the claimant of a need, the offerer of
    /// an offer, a unit taking part in a meeting or activity).
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
