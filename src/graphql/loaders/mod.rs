//! Per-request DataLoaders: one registry (`Loaders`) built per request. Each loader is built for
//! one caller and filters by that caller's scope in SQL, so a nested field never reaches a row
//! the caller could not fetch directly.
use crate::access::Scope;
use crate::access::event::EventReach;
use crate::access::resident::ResidentReach;
use crate::access::service_item::ItemViewer;
use crate::error::AppError;
use crate::graphql::actor;
use crate::store::account::{self, AccountCard};
use crate::store::event::{self, EventDetail, EventRow, StepRow};
use crate::store::grid_member::{self, AssignmentRow};
use crate::store::member_unit::{self, MemberUnitRow, MembershipRow};
use crate::store::named::{Named, Seen};
use crate::store::photo::{self, PhotoRow};
use crate::store::region::{self, RegionRow};
use crate::store::resident::{self, ResidentRow};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Result};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;
use uuid::Uuid;

/// Committee activities: their committee region, units, service items and photos.
mod committee;
/// Service items, claims, their timelines, parties and photos.
mod service_item;

pub use committee::CommitteeActivityLoaders;
pub use service_item::ServiceItemLoaders;

type LoadError = async_graphql::Error;

fn db_error(e: sea_orm::DbErr) -> LoadError {
    AppError::from(e).into()
}

/// A loader that batches what one request asks within `delay`.
fn make<L: Loader<Uuid>>(loader: L, delay: Duration) -> DataLoader<L> {
    DataLoader::new(loader, |fut| {
        tokio::spawn(fut);
    })
    .delay(delay)
}

/// Rows grouped under the key a one-to-many loader was asked for.
fn group_by<T>(rows: Vec<T>, key: impl Fn(&T) -> Option<Uuid>) -> HashMap<Uuid, Vec<T>> {
    let mut groups: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        if let Some(k) = key(&row) {
            groups.entry(k).or_default().push(row);
        }
    }
    groups
}

pub struct RegionById {
    db: DatabaseConnection,
    scope: Scope,
}

impl Loader<Uuid> for RegionById {
    type Value = RegionRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, RegionRow>, LoadError> {
        let rows = region::find_many(&self.db, keys, &self.scope)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Children of a region, keyed by parent id.
pub struct RegionChildren {
    db: DatabaseConnection,
    scope: Scope,
}

impl Loader<Uuid> for RegionChildren {
    type Value = Vec<RegionRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<RegionRow>>, LoadError> {
        let rows = region::children_of(&self.db, keys, &self.scope)
            .await
            .map_err(db_error)?;
        Ok(group_by(rows, |r| r.parent_id))
    }
}

pub struct AccountById {
    db: DatabaseConnection,
    scope: Scope,
}

impl Loader<Uuid> for AccountById {
    type Value = AccountCard;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, AccountCard>, LoadError> {
        let rows = account::find_cards(&self.db, keys, &self.scope)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

pub struct MemberUnitById {
    db: DatabaseConnection,
    scope: Scope,
}

impl Loader<Uuid> for MemberUnitById {
    type Value = MemberUnitRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, MemberUnitRow>, LoadError> {
        let rows = member_unit::find_many(&self.db, keys, &self.scope)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Grid assignments (to grids in scope), keyed by member id.
pub struct AssignmentsByMember {
    db: DatabaseConnection,
    scope: Scope,
}

impl Loader<Uuid> for AssignmentsByMember {
    type Value = Vec<AssignmentRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<AssignmentRow>>, LoadError> {
        let rows = grid_member::assignments_of(&self.db, keys, &self.scope)
            .await
            .map_err(db_error)?;
        Ok(group_by(rows, |r| Some(r.grid_member_id)))
    }
}

/// Committee memberships (in committees in scope), keyed by unit id.
pub struct MembershipsByUnit {
    db: DatabaseConnection,
    scope: Scope,
}

impl Loader<Uuid> for MembershipsByUnit {
    type Value = Vec<MembershipRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<MembershipRow>>, LoadError> {
        let rows = member_unit::memberships_of(&self.db, keys, &self.scope)
            .await
            .map_err(db_error)?;
        Ok(group_by(rows, |r| Some(r.member_unit_id)))
    }
}

/// Events the caller can reach, by id.
pub struct EventById {
    db: DatabaseConnection,
    reach: EventReach,
}

impl Loader<Uuid> for EventById {
    type Value = EventRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, EventRow>, LoadError> {
        let rows = event::find_many(&self.db, keys, &self.reach)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Timeline entries, keyed by event id (the events were already reached by the caller).
pub struct StepsByEvent {
    db: DatabaseConnection,
}

impl Loader<Uuid> for StepsByEvent {
    type Value = Vec<StepRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<StepRow>>, LoadError> {
        let rows = event::steps_of(&self.db, keys).await.map_err(db_error)?;
        Ok(group_by(rows, |r| Some(r.event_id)))
    }
}

/// Photos of one owner kind, keyed by owner id (owners already reached by the caller).
pub struct PhotosByOwner {
    db: DatabaseConnection,
    kind: &'static str,
}

impl Loader<Uuid> for PhotosByOwner {
    type Value = Vec<PhotoRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<PhotoRow>>, LoadError> {
        let rows = photo::of_owners(&self.db, self.kind, keys)
            .await
            .map_err(db_error)?;
        Ok(group_by(rows, |r| Some(r.owner_id)))
    }
}

/// Residents linked to events, in the caller's resident reach, keyed by event id.
pub struct ResidentsByEvent {
    db: DatabaseConnection,
    reach: ResidentReach,
}

impl Loader<Uuid> for ResidentsByEvent {
    type Value = Vec<ResidentRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<ResidentRow>>, LoadError> {
        let links = event::residents_of(&self.db, keys)
            .await
            .map_err(db_error)?;
        let ids: Vec<Uuid> = links.iter().map(|(_, r)| *r).collect();
        let residents: HashMap<Uuid, ResidentRow> =
            resident::find_many(&self.db, &ids, &self.reach)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(|r| (r.id, r))
                .collect();
        let mut out: HashMap<Uuid, Vec<ResidentRow>> = HashMap::new();
        for (event_id, resident_id) in links {
            if let Some(r) = residents.get(&resident_id) {
                out.entry(event_id).or_default().push(r.clone());
            }
        }
        Ok(out)
    }
}

/// Rows a list read for the nested fields of its whole page at once, before they resolve: a
/// nested field of a page finds its row here instead of going through a loader (whose batch
/// a page of 50 split in two under load, and whose per-key bookkeeping cost more than the
/// look-up). A key read and not found (outside the caller's scope) holds `None`.
pub struct ReadAhead<V>(std::sync::Mutex<HashMap<Uuid, Option<V>>>);

impl<V: Clone> Default for ReadAhead<V> {
    fn default() -> Self {
        ReadAhead(std::sync::Mutex::new(HashMap::new()))
    }
}

impl<V: Clone> ReadAhead<V> {
    fn get(&self, key: Uuid) -> Option<Option<V>> {
        self.0.lock().ok()?.get(&key).cloned()
    }

    /// Reads every key not read yet in one statement of `loader` (no batching delay).
    async fn read<L>(
        &self,
        loader: &DataLoader<L>,
        keys: impl IntoIterator<Item = Uuid>,
    ) -> Result<()>
    where
        L: Loader<Uuid, Value = V, Error = LoadError>,
    {
        let mut wanted: Vec<Uuid> = {
            let Ok(held) = self.0.lock() else {
                return Ok(());
            };
            keys.into_iter().filter(|k| !held.contains_key(k)).collect()
        };
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let mut found = loader.loader().load(&wanted).await?;
        if let Ok(mut held) = self.0.lock() {
            for key in wanted {
                held.insert(key, found.remove(&key));
            }
        }
        Ok(())
    }

    /// Holds a row read with another (`None`: not in the caller's scope).
    fn hold(&self, key: Uuid, row: Option<V>) {
        if let Ok(mut held) = self.0.lock() {
            held.insert(key, row);
        }
    }

    /// The row of `key`: read ahead, else through `loader`.
    async fn load<L>(&self, loader: &DataLoader<L>, key: Uuid) -> Result<Option<V>>
    where
        L: Loader<Uuid, Value = V, Error = LoadError>,
    {
        match self.get(key) {
            Some(row) => Ok(row),
            None => Ok(loader.load_one(key).await?),
        }
    }
}

/// Linked rows a list read along, whole or by name alone (`store::named`): a field that shows
/// the name finds it here; one that needs more reads the whole row through the loader.
pub struct Linked<V> {
    whole: ReadAhead<V>,
    names: ReadAhead<Named>,
}

impl<V: Clone> Default for Linked<V> {
    fn default() -> Self {
        Linked {
            whole: ReadAhead::default(),
            names: ReadAhead::default(),
        }
    }
}

impl<V: Clone> Linked<V> {
    /// Holds a row read with another (`None`: not in the caller's sight).
    fn hold(&self, key: Uuid, row: Option<Seen<V>>) {
        match row {
            None => self.whole.hold(key, None),
            Some(Seen::Whole(row)) => self.whole.hold(key, Some(row)),
            Some(Seen::Named(named)) => self.names.hold(key, Some(named)),
        }
    }

    /// The row of `key` as far as it was read: whole, by name, else whole through `loader`.
    async fn seen<L>(&self, loader: &DataLoader<L>, key: Uuid) -> Result<Option<Seen<V>>>
    where
        L: Loader<Uuid, Value = V, Error = LoadError>,
    {
        if let Some(row) = self.whole.get(key) {
            return Ok(row.map(Seen::Whole));
        }
        if let Some(Some(named)) = self.names.get(key) {
            return Ok(Some(Seen::Named(named)));
        }
        Ok(loader.load_one(key).await?.map(Seen::Whole))
    }

    /// The whole row of `key`, held once read: an object read by name completes itself field
    /// by field, and the loaders keep nothing, so each field would read the row again.
    async fn whole<L>(&self, loader: &DataLoader<L>, key: Uuid) -> Result<Option<V>>
    where
        L: Loader<Uuid, Value = V, Error = LoadError>,
    {
        if let Some(row) = self.whole.get(key) {
            return Ok(row);
        }
        let row = loader.load_one(key).await?;
        self.whole.hold(key, row.clone());
        Ok(row)
    }

    /// Reads in one statement every key not read yet, whole or by name.
    async fn read<L>(
        &self,
        loader: &DataLoader<L>,
        keys: impl IntoIterator<Item = Uuid>,
    ) -> Result<()>
    where
        L: Loader<Uuid, Value = V, Error = LoadError>,
    {
        let keys: Vec<Uuid> = keys
            .into_iter()
            .filter(|&k| self.names.get(k).is_none())
            .collect();
        self.whole.read(loader, keys).await
    }
}

/// All loaders of one request.
pub struct Loaders {
    pub region_by_id: DataLoader<RegionById>,
    pub region_children: DataLoader<RegionChildren>,
    pub account_by_id: DataLoader<AccountById>,
    pub member_unit_by_id: DataLoader<MemberUnitById>,
    pub assignments_by_member: DataLoader<AssignmentsByMember>,
    pub memberships_by_unit: DataLoader<MembershipsByUnit>,
    pub event_by_id: DataLoader<EventById>,
    steps_by_event: DataLoader<StepsByEvent>,
    event_photos: DataLoader<PhotosByOwner>,
    pub step_photos: DataLoader<PhotosByOwner>,
    pub residents_by_event: DataLoader<ResidentsByEvent>,
    pub committee_activities: CommitteeActivityLoaders,
    regions_ahead: ReadAhead<RegionRow>,
    accounts_ahead: Linked<AccountCard>,
    units_ahead: Linked<MemberUnitRow>,
    event_photos_ahead: ReadAhead<Vec<PhotoRow>>,
    steps_ahead: ReadAhead<Vec<StepRow>>,
    db: DatabaseConnection,
    delay: Duration,
    /// Built on first use: what the caller may see of service items depends on the caller's
    /// unit committees, which takes a query to learn, and most requests never touch them.
    service_items: OnceCell<Arc<ServiceItemLoaders>>,
    item_viewer: OnceCell<ItemViewer>,
}

impl Loaders {
    /// The loaders of one caller (`None`: anonymous, who reaches nothing).
    pub fn for_caller(
        db: &DatabaseConnection,
        caller: Option<&crate::access::principal::Principal>,
        delay: std::time::Duration,
    ) -> Self {
        match caller {
            Some(principal) => Self::new(
                db,
                &EventReach::of(principal),
                &ResidentReach::nested(principal),
                delay,
            ),
            None => Self::new(db, &EventReach::nobody(), &ResidentReach::nobody(), delay),
        }
    }

    pub fn new(
        db: &DatabaseConnection,
        reach: &EventReach,
        residents: &ResidentReach,
        delay: Duration,
    ) -> Self {
        let scope = reach.scope();
        macro_rules! loader {
            ($ty:ident) => {
                make(
                    $ty {
                        db: db.clone(),
                        scope: scope.clone(),
                    },
                    delay,
                )
            };
        }
        Loaders {
            region_by_id: loader!(RegionById),
            region_children: loader!(RegionChildren),
            account_by_id: loader!(AccountById),
            member_unit_by_id: loader!(MemberUnitById),
            assignments_by_member: loader!(AssignmentsByMember),
            memberships_by_unit: loader!(MembershipsByUnit),
            event_by_id: make(
                EventById {
                    db: db.clone(),
                    reach: reach.clone(),
                },
                delay,
            ),
            steps_by_event: make(StepsByEvent { db: db.clone() }, delay),
            event_photos: make(
                PhotosByOwner {
                    db: db.clone(),
                    kind: "EVENT",
                },
                delay,
            ),
            step_photos: make(
                PhotosByOwner {
                    db: db.clone(),
                    kind: "EVENT_STEP",
                },
                delay,
            ),
            residents_by_event: make(
                ResidentsByEvent {
                    db: db.clone(),
                    reach: residents.clone(),
                },
                delay,
            ),
            committee_activities: CommitteeActivityLoaders::new(db, delay),
            regions_ahead: ReadAhead::default(),
            accounts_ahead: Linked::default(),
            units_ahead: Linked::default(),
            event_photos_ahead: ReadAhead::default(),
            steps_ahead: ReadAhead::default(),
            db: db.clone(),
            delay,
            service_items: OnceCell::new(),
            item_viewer: OnceCell::new(),
        }
    }

    /// A region in the caller's scope.
    pub async fn region(&self, id: Uuid) -> Result<Option<RegionRow>> {
        self.regions_ahead.load(&self.region_by_id, id).await
    }

    /// An event's own photos, in upload order (the event already reached by the caller).
    pub async fn event_photos(&self, event_id: Uuid) -> Result<Vec<PhotoRow>> {
        let held = self
            .event_photos_ahead
            .load(&self.event_photos, event_id)
            .await?;
        Ok(held.unwrap_or_default())
    }

    /// An event's timeline, oldest first (the event already reached by the caller).
    pub async fn steps(&self, event_id: Uuid) -> Result<Vec<StepRow>> {
        let held = self
            .steps_ahead
            .load(&self.steps_by_event, event_id)
            .await?;
        Ok(held.unwrap_or_default())
    }

    /// Holds what was read in an event's own statement (`store::event::find_detail`), so that
    /// its nested fields find it; the event.
    pub fn hold_detail(&self, detail: EventDetail) -> EventRow {
        let EventDetail {
            event,
            grid,
            photos,
            steps,
        } = detail;
        if let Some(grid) = grid {
            self.regions_ahead.hold(event.grid_id, grid);
        }
        if let Some(photos) = photos {
            self.event_photos_ahead.hold(event.id, Some(photos));
        }
        if let Some(steps) = steps {
            self.steps_ahead.hold(event.id, Some(steps));
        }
        event
    }

    /// An account in the caller's scope, as far as a list read it (whole, or its name alone).
    pub async fn account(&self, id: Uuid) -> Result<Option<Seen<AccountCard>>> {
        self.accounts_ahead.seen(&self.account_by_id, id).await
    }

    /// An account in the caller's scope, whole.
    pub async fn account_card(&self, id: Uuid) -> Result<Option<AccountCard>> {
        self.accounts_ahead.whole(&self.account_by_id, id).await
    }

    /// Holds a region read along with another row (`None`: out of the caller's scope).
    pub fn hold_region(&self, id: Uuid, row: Option<RegionRow>) {
        self.regions_ahead.hold(id, row);
    }

    /// Holds an account read along with another row (`None`: out of the caller's scope).
    pub fn hold_account(&self, id: Uuid, row: Option<Seen<AccountCard>>) {
        self.accounts_ahead.hold(id, row);
    }

    /// Holds a member unit read along with another row (`None`: out of the caller's sight).
    pub fn hold_member_unit(&self, id: Uuid, row: Option<Seen<MemberUnitRow>>) {
        self.units_ahead.hold(id, row);
    }

    /// A member unit the caller may see, as far as a list read it (whole, or its name alone).
    pub async fn member_unit(&self, id: Uuid) -> Result<Option<Seen<MemberUnitRow>>> {
        self.units_ahead.seen(&self.member_unit_by_id, id).await
    }

    /// A member unit the caller may see, whole.
    pub async fn member_unit_row(&self, id: Uuid) -> Result<Option<MemberUnitRow>> {
        self.units_ahead.whole(&self.member_unit_by_id, id).await
    }

    /// Reads the regions, accounts and units a page's nested fields will ask for, each kind in
    /// one statement, side by side.
    pub async fn read_ahead(
        &self,
        regions: Vec<Uuid>,
        accounts: Vec<Uuid>,
        units: Vec<Uuid>,
    ) -> Result<()> {
        futures_util::try_join!(
            self.regions_ahead.read(&self.region_by_id, regions),
            self.accounts_ahead.read(&self.account_by_id, accounts),
            self.units_ahead.read(&self.member_unit_by_id, units),
        )?;
        Ok(())
    }

    /// The service-item loaders, bound to what the caller may see of service items.
    pub async fn service_items(&self, ctx: &Context<'_>) -> Result<Arc<ServiceItemLoaders>> {
        let built = self
            .service_items
            .get_or_try_init(|| async {
                let me = &actor(ctx)?.principal;
                Ok::<_, async_graphql::Error>(Arc::new(ServiceItemLoaders::new(
                    &self.db,
                    self.delay,
                    self.item_viewer(ctx).await?.clone(),
                    ResidentReach::beneficiaries(me),
                )))
            })
            .await?;
        Ok(built.clone())
    }

    /// What the caller may see of service items, learnt once per request.
    pub async fn item_viewer(&self, ctx: &Context<'_>) -> Result<&ItemViewer> {
        Ok(self
            .item_viewer
            .get_or_try_init(|| async {
                crate::service::service_item::viewer(&actor(ctx)?.principal)
            })
            .await?)
    }
}
