//! The committee-activity loaders of one request: the committee region, the units that took part,
//! the service items served (as ids; the items themselves load through the service-item loaders,
//! bound to what the caller may see of items) and the photos. Every key is an activity the
//! caller already reached through `committeeActivities`, so these are not bound to a scope: a
//! unit liaison has none, yet must see which community and units its committee's activity had.
use super::{LoadError, PhotosByOwner, db_error, make};
use crate::service::photo::PhotoOwner;
use crate::store::committee;
use crate::store::member_unit::{self, MemberUnitRow};
use crate::store::region::{self, RegionRow};
use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// The committee regions of activities the caller sees.
pub struct CommitteeRegion {
    db: DatabaseConnection,
}

impl Loader<Uuid> for CommitteeRegion {
    type Value = RegionRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, RegionRow>, LoadError> {
        let rows = region::find_many_unscoped(&self.db, keys)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// The units that took part, keyed by activity: two statements per batch.
pub struct UnitsByActivity {
    db: DatabaseConnection,
}

impl Loader<Uuid> for UnitsByActivity {
    type Value = Vec<MemberUnitRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<MemberUnitRow>>, LoadError> {
        let links = committee::units_of(&self.db, keys)
            .await
            .map_err(db_error)?;
        let mut ids: Vec<Uuid> = links.iter().map(|l| l.member_unit_id).collect();
        ids.sort();
        ids.dedup();
        let units: HashMap<Uuid, MemberUnitRow> = member_unit::find_many_unscoped(&self.db, &ids)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut out: HashMap<Uuid, Vec<MemberUnitRow>> = HashMap::new();
        for link in links {
            if let Some(unit) = units.get(&link.member_unit_id) {
                out.entry(link.activity_id).or_default().push(unit.clone());
            }
        }
        Ok(out)
    }
}

/// The ids of the service items an activity served, keyed by activity.
pub struct ItemIdsByActivity {
    db: DatabaseConnection,
}

impl Loader<Uuid> for ItemIdsByActivity {
    type Value = Vec<Uuid>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, LoadError> {
        let links = committee::items_of(&self.db, keys)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for link in links {
            out.entry(link.activity_id)
                .or_default()
                .push(link.service_item_id);
        }
        Ok(out)
    }
}

/// The committee-activity loaders of one request.
pub struct CommitteeActivityLoaders {
    pub region: DataLoader<CommitteeRegion>,
    pub units: DataLoader<UnitsByActivity>,
    pub item_ids: DataLoader<ItemIdsByActivity>,
    pub photos: DataLoader<PhotosByOwner>,
}

impl CommitteeActivityLoaders {
    pub(super) fn new(db: &DatabaseConnection, delay: Duration) -> Self {
        let db = || db.clone();
        CommitteeActivityLoaders {
            region: make(CommitteeRegion { db: db() }, delay),
            units: make(UnitsByActivity { db: db() }, delay),
            item_ids: make(ItemIdsByActivity { db: db() }, delay),
            photos: make(
                PhotosByOwner {
                    db: db(),
                    kind: PhotoOwner::CommitteeActivity(Uuid::nil()).kind(),
                },
                delay,
            ),
        }
    }
}
