//! The service-item loaders of one request: items, claims and timelines as far as the caller's
//! `ItemViewer` reaches, the parties to them, micro-wish beneficiaries and their photos. Built
//! on first use (see `Loaders::service_items`).
use super::{LoadError, PhotosByOwner, ReadAhead, db_error, group_by, make};
use crate::access::resident::ResidentReach;
use crate::access::service_item::ItemViewer;
use crate::service::photo::PhotoOwner;
use crate::store::member_unit::{self, MemberUnitRow};
use crate::store::region::{self, RegionRow};
use crate::store::resident::{self, ResidentRow};
use crate::store::service_item::{self as store, ClaimRow, ItemRow, StepRow};
use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

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
        Ok(group_by(rows, |r| Some(r.item_id)))
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
        Ok(group_by(rows, |r| Some(r.item_id)))
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

/// The service-item loaders of one request, bound to the caller's `ItemViewer`.
pub struct ServiceItemLoaders {
    pub item_by_id: DataLoader<ItemById>,
    pub claims_by_item: DataLoader<ClaimsByItem>,
    pub steps_by_item: DataLoader<StepsByItem>,
    party_region: DataLoader<PartyRegion>,
    regions_ahead: ReadAhead<RegionRow>,
    pub party_unit: DataLoader<PartyUnit>,
    pub beneficiary_by_id: DataLoader<BeneficiaryById>,
    pub item_photos: DataLoader<PhotosByOwner>,
    pub claim_photos: DataLoader<PhotosByOwner>,
}

impl ServiceItemLoaders {
    pub(super) fn new(
        db: &DatabaseConnection,
        delay: Duration,
        viewer: ItemViewer,
        beneficiaries: ResidentReach,
    ) -> Self {
        let db = || db.clone();
        ServiceItemLoaders {
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
            regions_ahead: ReadAhead::default(),
            party_unit: make(PartyUnit { db: db() }, delay),
            beneficiary_by_id: make(
                BeneficiaryById {
                    db: db(),
                    reach: beneficiaries,
                },
                delay,
            ),
            item_photos: make(
                PhotosByOwner {
                    db: db(),
                    kind: PhotoOwner::ServiceItem(Uuid::nil()).kind(),
                },
                delay,
            ),
            claim_photos: make(
                PhotosByOwner {
                    db: db(),
                    kind: PhotoOwner::ServiceClaim(Uuid::nil()).kind(),
                },
                delay,
            ),
        }
    }
}

impl ServiceItemLoaders {
    /// A committee or claimant region of an item or claim the caller sees.
    pub async fn party_region(&self, id: Uuid) -> async_graphql::Result<Option<RegionRow>> {
        self.regions_ahead.load(&self.party_region, id).await
    }

    /// Holds an item's region read along with the item.
    pub fn hold_party_region(&self, row: RegionRow) {
        self.regions_ahead.hold(row.id, Some(row));
    }
}
