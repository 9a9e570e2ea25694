//! `gridhub seed scale`: city-sized synthetic data for benchmarks and figures. A city of
//! sub-districts, communities and grids; one community worker per community and one admin per
//! sub-district; a full-time head per grid and part-time riders covering three grids each;
//! member units on their community's party committee (the first of each also on its
//! sub-district's working committee), each with a liaison; residents with their ID numbers and
//! phones encrypted by the real `PiiVault`; events played through the workflow (timelines with
//! actors, deadlines met or breached as the workflow and the breach sweep would have marked
//! them, points, photos); service items with claims in every state and their timelines.
//!
//! The rows are written in multi-row INSERTs straight into the tables (no audit entries), in
//! transactions of a few thousand rows, several at once on PostgreSQL. Every invariant the
//! workflow keeps holds: an event's state is where its timeline leads, each clock is met by the
//! step that met it and marked breached once if it ran out, an item's live claims are its
//! `active_claims` and it is `FULL` exactly when they fill it, no claim is still `CLAIMED` past
//! its item's due day. Deterministic shapes (a fixed-seed generator); ids are fresh UUID v7.
//! Not idempotent: use a fresh database. Not for production.
use crate::domain::event::{
    DeadlinePolicy, DeadlineStage, EventAction, EventCategory, EventPriority, EventSource,
    EventState, PointsReason, ReporterKind, Resolution, stages_met_by,
};
use crate::domain::people::{GridMemberKind, GridRole, MemberUnitKind, Occupation};
use crate::domain::region::{GridKind, RegionLevel, child_path};
use crate::domain::resident::{Gender, ResidenceType, ResidentTag, check_char, encode_tags};
use crate::domain::role::Role;
use crate::domain::service_item::{
    ServiceCategory, ServiceClaimState, ServiceDirection, ServiceItemKind, ServiceItemState,
    ServiceStepAction, beneficiary_summary, shanghai_day, shanghai_day_start,
};
use crate::error::{AppError, AppResult};
use crate::service::account::create_city_admin;
use crate::service::event::policy_for;
use crate::service::photo::{self, IncomingPhoto};
use crate::state::AppState;
use crate::store::entity::{
    account, committee_membership, event, event_step, grid_assignment, grid_member, member_unit,
    photo as photo_entity, points_ledger, region, resident, service_claim, service_item,
    service_item_step,
};
use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use tokio::task::JoinSet;
use uuid::Uuid;

/// How big a city to make. `city()` is the size; the tests use a few rows of each.
#[derive(Debug, Clone, Copy)]
pub struct ScaleSizes {
    pub sub_districts: usize,
    pub communities_per_sub_district: usize,
    pub grids_per_community: usize,
    pub events: usize,
    pub residents: usize,
    pub service_items: usize,
    pub units_per_community: usize,
    /// One event in this many carries photos (0: none).
    pub photo_every: usize,
}

impl ScaleSizes {
    /// 8,000 grids, a million events, 500,000 residents, 100,000 service items.
    pub fn city() -> Self {
        ScaleSizes {
            sub_districts: 16,
            communities_per_sub_district: 25,
            grids_per_community: 20,
            events: 1_000_000,
            residents: 500_000,
            service_items: 100_000,
            units_per_community: 3,
            photo_every: 10,
        }
    }
}

/// What the benchmark needs to log in and ask for (printed as JSON by the command line). Every
/// account shares `password`.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchIds {
    pub password: String,
    /// CITY_ADMIN, unbound (the whole city).
    pub admin_phone: String,
    pub city_id: Uuid,
    /// The sub-district holding `community_id`, and its SUB_DISTRICT_ADMIN.
    pub sub_district_id: Uuid,
    pub sub_district_admin_phone: String,
    /// The community with the most open overdue events, and its COMMUNITY_WORKER.
    pub community_id: Uuid,
    pub worker_phone: String,
    pub overdue_open_events: usize,
    /// A part-time rider (GRID_MEMBER) of that community and the grids it covers.
    pub rider_phone: String,
    pub rider_grids: Vec<Uuid>,
    /// A UNIT_LIAISON whose unit sits on that community's committee and its sub-district's.
    pub liaison_phone: String,
    pub liaison_unit_id: Uuid,
    /// A closed event of that community with a long timeline and photos.
    pub event_id: Uuid,
    pub grid_id: Uuid,
}

#[derive(Debug, Default)]
pub struct ScaleReport {
    pub regions: usize,
    pub grids: usize,
    pub accounts: usize,
    pub member_units: usize,
    pub residents: usize,
    pub events: usize,
    pub event_steps: usize,
    pub photos: usize,
    pub points: usize,
    pub service_items: usize,
    pub claims: usize,
    pub item_steps: usize,
    pub ids: BenchIds,
}

/// Deterministic pseudo-random numbers (xorshift), so two runs make the same shape of data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// `lo..hi` (`lo` when empty).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            lo + (self.next() % (hi - lo) as u64) as i64
        }
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// One batch of rows for every table, written in one transaction in foreign-key order.
#[derive(Default)]
struct Rows {
    regions: Vec<region::Model>,
    units: Vec<member_unit::Model>,
    accounts: Vec<account::Model>,
    memberships: Vec<committee_membership::Model>,
    members: Vec<grid_member::Model>,
    assignments: Vec<grid_assignment::Model>,
    residents: Vec<resident::Model>,
    events: Vec<event::Model>,
    steps: Vec<event_step::Model>,
    photos: Vec<photo_entity::Model>,
    ledger: Vec<points_ledger::Model>,
    items: Vec<service_item::Model>,
    claims: Vec<service_claim::Model>,
    item_steps: Vec<service_item_step::Model>,
}

/// Bind parameters per statement: under SQLite's 32,766 (and PostgreSQL's 65,535).
const PARAMS: usize = 30_000;

macro_rules! put {
    ($db:expr, $rows:expr, $m:ident, $cols:expr) => {
        for chunk in $rows.chunks((PARAMS / $cols).max(1)) {
            $m::Entity::insert_many(chunk.iter().cloned().map($m::ActiveModel::from))
                .exec_without_returning($db)
                .await?;
        }
    };
}

async fn write(db: &DatabaseConnection, rows: Rows) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Bulk load: a crash loses the last batches, never consistency.
        txn.execute_unprepared("SET LOCAL synchronous_commit = off")
            .await?;
    }
    put!(&txn, rows.regions, region, 15);
    put!(&txn, rows.units, member_unit, 9);
    put!(&txn, rows.accounts, account, 15);
    put!(&txn, rows.memberships, committee_membership, 10);
    put!(&txn, rows.members, grid_member, 12);
    put!(&txn, rows.assignments, grid_assignment, 5);
    put!(&txn, rows.residents, resident, 19);
    put!(&txn, rows.events, event, 45);
    put!(&txn, rows.steps, event_step, 10);
    put!(&txn, rows.photos, photo_entity, 10);
    put!(&txn, rows.ledger, points_ledger, 7);
    put!(&txn, rows.items, service_item, 18);
    put!(&txn, rows.claims, service_claim, 15);
    put!(&txn, rows.item_steps, service_item_step, 13);
    txn.commit().await
}

/// Batches written concurrently (several transactions at once on PostgreSQL, one on SQLite,
/// which has a single writer).
struct Writer {
    db: DatabaseConnection,
    in_flight: usize,
    tasks: JoinSet<Result<(), DbErr>>,
}

impl Writer {
    async fn send(&mut self, rows: Rows) -> AppResult<()> {
        while self.tasks.len() >= self.in_flight {
            self.join_one().await?;
        }
        let db = self.db.clone();
        self.tasks.spawn(async move { write(&db, rows).await });
        Ok(())
    }

    async fn join_one(&mut self) -> AppResult<()> {
        if let Some(done) = self.tasks.join_next().await {
            done.map_err(AppError::internal)??;
        }
        Ok(())
    }

    /// Waits for everything sent so far (before rows that refer to it).
    async fn flush(&mut self) -> AppResult<()> {
        while !self.tasks.is_empty() {
            self.join_one().await?;
        }
        Ok(())
    }
}

/// Someone who takes steps.
#[derive(Clone)]
struct Who {
    id: Uuid,
    name: String,
    phone: String,
}

struct Community {
    id: Uuid,
    sub_district: usize,
    grids: std::ops::Range<usize>,
    worker: Who,
    units: Vec<usize>,
}

struct Grid {
    id: Uuid,
    community: usize,
    /// The part-time rider covering it (see `people`).
    rider: usize,
}

struct Unit {
    id: Uuid,
    name: String,
    liaison: Who,
}

struct Reporter {
    who: Who,
    kind: ReporterKind,
    occupation: Option<Occupation>,
}

const TITLES: [&str; 9] = [
    "垃圾桶满溢未清运",
    "楼道电动车充电隐患",
    "邻里噪音纠纷",
    "货车占道卸货",
    "路灯损坏不亮",
    "消防通道堆放杂物",
    "出租屋未登记租客",
    "低洼路段积水",
    "其他需协调事项",
];
const SURNAMES: [&str; 12] = [
    "陈", "李", "黄", "张", "梁", "何", "吴", "冯", "罗", "林", "叶", "区",
];
const GIVEN: [&str; 14] = [
    "伯", "婆", "明", "华", "芳", "强", "丽", "伟", "秀英", "国强", "少珍", "志文", "嘉怡", "子轩",
];

fn person_name(n: usize) -> String {
    format!(
        "{}{}",
        SURNAMES[n % SURNAMES.len()],
        GIVEN[(n / SURNAMES.len()) % GIVEN.len()]
    )
}

/// The first bytes of a JPEG: enough for the format check, stored once and shared by every
/// synthetic photo row.
const PHOTO: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00gridhub-scale-photo\xFF\xD9";

/// A workflow move of a synthetic event.
#[derive(Clone, Copy, PartialEq)]
enum Move {
    Accept,
    Dispatch,
    Start,
    Resolve(Resolution),
    Close,
    Reject,
}

const HANDLED: &[Move] = &[
    Move::Accept,
    Move::Dispatch,
    Move::Start,
    Move::Resolve(Resolution::Handled),
    Move::Close,
];
const ON_SITE: &[Move] = &[Move::Resolve(Resolution::OnSite), Move::Close];
const REJECT: &[Move] = &[Move::Reject];

struct StepDraft {
    at: DateTime<Utc>,
    actor: Option<Who>,
    action: EventAction,
    from: Option<EventState>,
    to: Option<EventState>,
    note: Option<String>,
    detail: Option<serde_json::Value>,
}

struct City<'a> {
    state: &'a AppState,
    sizes: ScaleSizes,
    now: DateTime<Utc>,
    password_hash: String,
    phones: usize,
    rng: Rng,
    communities: Vec<Community>,
    /// (id, communities, its admin's phone)
    sub_districts: Vec<(Uuid, Vec<usize>, String)>,
    grids: Vec<Grid>,
    heads: Vec<Who>,
    riders: Vec<Who>,
    units: Vec<Unit>,
    /// (id, birth date, gender) of every resident, by index.
    residents: Vec<(Uuid, NaiveDate, Gender)>,
    policies: HashMap<(EventCategory, EventPriority), DeadlinePolicy>,
    photo: Option<photo::StagedPhoto>,
    report: ScaleReport,
    /// Open overdue events per community.
    overdue: Vec<usize>,
    /// Per community: (steps, event id, grid id) of its longest photographed closed event.
    showcase: Vec<Option<(usize, Uuid, Uuid)>>,
}

pub async fn scale(
    state: &AppState,
    sizes: ScaleSizes,
    admin_phone: &str,
    password: &str,
) -> AppResult<ScaleReport> {
    if sizes.residents > 2_000_000 {
        return Err(AppError::bad_input(
            "residents",
            "at most 2,000,000 synthetic residents (their ID numbers run out)",
        ));
    }
    if sizes.sub_districts == 0
        || sizes.communities_per_sub_district == 0
        || sizes.grids_per_community == 0
    {
        return Err(AppError::bad_input(
            "grids",
            "a city needs at least one grid",
        ));
    }
    if sizes.units_per_community == 0 {
        return Err(AppError::bad_input(
            "unitsPerCommunity",
            "events are dispatched to member units: at least one per community",
        ));
    }
    let now = state.now();
    create_city_admin(state, admin_phone, "规模数据市管理员", password).await?;
    let mut policies = HashMap::new();
    for c in EventCategory::ALL {
        for p in EventPriority::ALL {
            policies.insert((*c, *p), policy_for(&state.db, *c, *p).await?);
        }
    }
    let photo = if sizes.photo_every > 0 {
        photo::stage(state, "photos", vec![IncomingPhoto::new(PHOTO.to_vec())])
            .await?
            .pop()
    } else {
        None
    };
    let postgres = state.db.get_database_backend() == DbBackend::Postgres;
    let mut writer = Writer {
        db: state.db.clone(),
        in_flight: if postgres { 3 } else { 1 },
        tasks: JoinSet::new(),
    };
    let mut city = City {
        state,
        sizes,
        now,
        password_hash: state.passwords.hash(password).await?,
        phones: 0,
        rng: Rng(0x9E37_79B9_7F4A_7C15),
        communities: Vec::new(),
        sub_districts: Vec::new(),
        grids: Vec::new(),
        heads: Vec::new(),
        riders: Vec::new(),
        units: Vec::new(),
        residents: Vec::new(),
        policies,
        photo,
        report: ScaleReport::default(),
        overdue: Vec::new(),
        showcase: Vec::new(),
    };
    city.report.ids.password = password.to_owned();
    city.report.ids.admin_phone = admin_phone.to_owned();

    let started = std::time::Instant::now();
    let people = city.people()?;
    writer.send(people).await?;
    writer.flush().await?;
    tracing::info!(
        secs = started.elapsed().as_secs(),
        "regions, accounts, units written"
    );

    let mut done = 0;
    while done < sizes.residents {
        let n = 5_000.min(sizes.residents - done);
        let rows = city.residents(done, n)?;
        writer.send(rows).await?;
        done += n;
    }
    writer.flush().await?;
    tracing::info!(
        secs = started.elapsed().as_secs(),
        done,
        "residents written"
    );

    let mut done = 0;
    while done < sizes.events {
        let n = 2_000.min(sizes.events - done);
        let mut rows = Rows::default();
        for i in done..done + n {
            city.event(i, &mut rows)?;
        }
        writer.send(rows).await?;
        done += n;
        if done % 100_000 == 0 {
            tracing::info!(secs = started.elapsed().as_secs(), done, "events written");
        }
    }

    let mut done = 0;
    while done < sizes.service_items {
        let n = 2_000.min(sizes.service_items - done);
        let mut rows = Rows::default();
        for k in done..done + n {
            city.service_item(k, &mut rows);
        }
        writer.send(rows).await?;
        done += n;
    }
    writer.flush().await?;
    tracing::info!(secs = started.elapsed().as_secs(), "service items written");
    // The events went in by bulk insert, around the workflow: file them in the rollups.
    crate::store::rollup::rebuild(&state.db).await?;
    tracing::info!(secs = started.elapsed().as_secs(), "figure rollups built");
    city.pick_ids();
    Ok(city.report)
}

impl City<'_> {
    /// A UUID v7 of the time the row was made, as the app's ids are (random in the rest).
    fn id_at(&self, at: DateTime<Utc>) -> Uuid {
        Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            at.timestamp().max(0) as u64,
            at.timestamp_subsec_nanos(),
        ))
    }

    fn account(
        &mut self,
        rows: &mut Rows,
        role: Role,
        name: String,
        region_id: Option<Uuid>,
        member_unit_id: Option<Uuid>,
    ) -> AppResult<Who> {
        let phone = format!("171{:08}", self.phones);
        self.phones += 1;
        let id = Uuid::now_v7();
        rows.accounts.push(account::Model {
            id,
            phone_hash: self.state.pii.lookup_hash("phone", &phone),
            phone_enc: self.state.pii.encrypt("phone", &phone)?,
            name: name.clone(),
            password_hash: self.password_hash.clone(),
            role,
            region_id,
            disabled_at: None,
            failed_logins: 0,
            last_failed_login_at: None,
            locked_until: None,
            created_by: None,
            member_unit_id,
            created_at: self.now,
            updated_at: self.now,
        });
        self.report.accounts += 1;
        Ok(Who { id, name, phone })
    }

    /// Regions, staff, grid members and their grids, member units on their committees.
    fn people(&mut self) -> AppResult<Rows> {
        let mut rows = Rows::default();
        let now = self.now;
        let region = |rows: &mut Rows, parent: Option<&region::Model>, level, name: String| {
            let id = Uuid::now_v7();
            let row = region::Model {
                id,
                parent_id: parent.map(|p| p.id),
                level,
                name,
                code: None,
                grid_kind: (level == RegionLevel::Grid).then_some(GridKind::Residential),
                boundary: None,
                bbox_min_lng: None,
                bbox_min_lat: None,
                bbox_max_lng: None,
                bbox_max_lat: None,
                path: child_path(parent.map(|p| p.path.as_str()), id),
                depth: parent.map_or(0, |p| p.depth + 1),
                created_at: now,
                updated_at: now,
            };
            rows.regions.push(row.clone());
            row
        };
        let city = region(&mut rows, None, RegionLevel::City, "规模市".into());
        self.report.ids.city_id = city.id;
        let sizes = self.sizes;
        let joined = shanghai_day(now) - Days::new(400);
        for s in 0..sizes.sub_districts {
            let sd = region(
                &mut rows,
                Some(&city),
                RegionLevel::SubDistrict,
                format!("规模街道{s:03}"),
            );
            let admin = self.account(
                &mut rows,
                Role::SubDistrictAdmin,
                format!("街道管理员{s:03}"),
                Some(sd.id),
                None,
            )?;
            let mut members_of_sd = Vec::new();
            for c in 0..sizes.communities_per_sub_district {
                let community = region(
                    &mut rows,
                    Some(&sd),
                    RegionLevel::Community,
                    format!("规模社区{s:03}-{c:03}"),
                );
                let worker = self.account(
                    &mut rows,
                    Role::CommunityWorker,
                    format!("社区工作者{s:03}{c:03}"),
                    Some(community.id),
                    None,
                )?;
                let ci = self.communities.len();
                members_of_sd.push(ci);
                let first_grid = self.grids.len();
                for g in 0..sizes.grids_per_community {
                    let grid = region(
                        &mut rows,
                        Some(&community),
                        RegionLevel::Grid,
                        format!("规模网格{s:03}-{c:03}-{g:02}"),
                    );
                    self.grids.push(Grid {
                        id: grid.id,
                        community: ci,
                        rider: 0,
                    });
                }
                let grids = first_grid..self.grids.len();
                // A full-time head per grid.
                for g in grids.clone() {
                    let name = format!("{}（网格长）", person_name(g));
                    let grid_id = self.grids[g].id;
                    let who = self.account(
                        &mut rows,
                        Role::GridMember,
                        name.clone(),
                        Some(grid_id),
                        None,
                    )?;
                    self.member(
                        &mut rows,
                        &who,
                        community.id,
                        GridMemberKind::FullTime,
                        Occupation::CommunityWorker,
                        &[(grid_id, GridRole::Head)],
                    )?;
                    self.heads.push(who);
                }
                // A part-time rider per two grids, covering them and the next one.
                for g in grids.clone().step_by(2) {
                    let covered: Vec<(Uuid, GridRole)> = (g..(g + 3).min(grids.end))
                        .map(|x| (self.grids[x].id, GridRole::Member))
                        .collect();
                    let who = self.account(
                        &mut rows,
                        Role::GridMember,
                        format!("{}（骑手）", person_name(g + 7)),
                        Some(covered[0].0),
                        None,
                    )?;
                    self.member(
                        &mut rows,
                        &who,
                        community.id,
                        GridMemberKind::PartTime,
                        Occupation::DeliveryRider,
                        &covered,
                    )?;
                    for x in g..(g + 2).min(grids.end) {
                        self.grids[x].rider = self.riders.len();
                    }
                    self.riders.push(who);
                }
                // Member units on the community's big party committee; the first also on the
                // sub-district's big working committee.
                let mut units = Vec::new();
                for u in 0..sizes.units_per_community {
                    let kinds = [
                        MemberUnitKind::GovernmentDepartment,
                        MemberUnitKind::Enterprise,
                        MemberUnitKind::School,
                        MemberUnitKind::Hospital,
                        MemberUnitKind::PropertyManagement,
                        MemberUnitKind::PartyBranch,
                    ];
                    let id = Uuid::now_v7();
                    let name = format!("规模成员单位{s:03}-{c:03}-{u:02}");
                    let contact = format!("139{:08}", self.units.len());
                    rows.units.push(member_unit::Model {
                        id,
                        region_id: Some(community.id),
                        name: name.clone(),
                        kind: kinds[(ci + u) % kinds.len()],
                        contact_name: Some(person_name(ci + u + 3)),
                        contact_phone_enc: Some(self.state.pii.encrypt("phone", &contact)?),
                        address: Some(format!("规模路{}号", ci * 10 + u)),
                        created_at: now,
                        updated_at: now,
                    });
                    let mut committees = vec![community.id];
                    if u == 0 {
                        committees.push(sd.id);
                    }
                    for committee in committees {
                        rows.memberships.push(committee_membership::Model {
                            id: Uuid::now_v7(),
                            member_unit_id: id,
                            region_id: committee,
                            concurrent_member_name: Some(person_name(ci + u + 5)),
                            joined_on: joined,
                            commitments: serde_json::to_string(&["结对共建", "认领服务项目"])
                                .map_err(AppError::internal)?,
                            valid_from: Some(joined),
                            valid_to: joined.checked_add_months(chrono::Months::new(24)),
                            created_at: now,
                        });
                    }
                    let liaison = self.account(
                        &mut rows,
                        Role::UnitLiaison,
                        format!("联络员{s:03}{c:03}{u:02}"),
                        Some(community.id),
                        Some(id),
                    )?;
                    units.push(self.units.len());
                    self.units.push(Unit { id, name, liaison });
                }
                self.communities.push(Community {
                    id: community.id,
                    sub_district: s,
                    grids,
                    worker,
                    units,
                });
            }
            self.sub_districts.push((sd.id, members_of_sd, admin.phone));
        }
        self.report.regions = rows.regions.len();
        self.report.grids = self.grids.len();
        self.report.member_units = self.units.len();
        self.overdue = vec![0; self.communities.len()];
        self.showcase = vec![None; self.communities.len()];
        Ok(rows)
    }

    fn member(
        &mut self,
        rows: &mut Rows,
        who: &Who,
        home: Uuid,
        kind: GridMemberKind,
        occupation: Occupation,
        grids: &[(Uuid, GridRole)],
    ) -> AppResult<()> {
        let id = Uuid::now_v7();
        rows.members.push(grid_member::Model {
            id,
            account_id: Some(who.id),
            region_id: home,
            name: who.name.clone(),
            phone_enc: self.state.pii.encrypt("phone", &who.phone)?,
            phone_hash: self.state.pii.lookup_hash("phone", &who.phone),
            kind,
            occupation,
            employer: (occupation == Occupation::DeliveryRider).then(|| "美团外卖".to_owned()),
            party_member: self.rng.chance(30),
            created_at: self.now,
            updated_at: self.now,
        });
        for (grid_id, role) in grids {
            rows.assignments.push(grid_assignment::Model {
                id: Uuid::now_v7(),
                grid_member_id: id,
                grid_id: *grid_id,
                role: *role,
                created_at: self.now,
            });
        }
        Ok(())
    }

    /// Residents `from..from + n`: resident `i` lives in grid `i % grids`; its ID number is
    /// synthetic (area 440784, sequence 9xx, valid check digit) and unique.
    fn residents(&mut self, from: usize, n: usize) -> AppResult<Rows> {
        let mut rows = Rows::default();
        let today = shanghai_day(self.now);
        let base = NaiveDate::from_ymd_opt(1940, 1, 1).expect("a date");
        const DAYS: usize = 24_000;
        let residence = [
            ResidenceType::Registered,
            ResidenceType::Permanent,
            ResidenceType::Floating,
            ResidenceType::Tenant,
        ];
        for i in from..from + n {
            let birth = base + Days::new((i % DAYS) as u64);
            let seq = 900 + (i / DAYS) % 100;
            let first17 = format!(
                "440784{:04}{:02}{:02}{seq:03}",
                birth.year(),
                birth.month(),
                birth.day()
            );
            let check = check_char(&first17).unwrap_or('0');
            let id_number = format!("{first17}{check}");
            let gender = if seq % 2 == 1 {
                Gender::Male
            } else {
                Gender::Female
            };
            let phone = format!("170{:08}", i);
            let grid = &self.grids[i % self.grids.len()];
            let age = today.year() - birth.year();
            let mut tags = Vec::new();
            if age >= 70 && i % 5 == 0 {
                tags.push(ResidentTag::ElderlyAlone);
            }
            if i % 17 == 0 {
                tags.push(ResidentTag::LowIncome);
            }
            if i % 23 == 0 {
                tags.push(ResidentTag::PartyMember);
            }
            if i % 41 == 0 {
                tags.push(ResidentTag::Disabled);
            }
            if age >= 20 && i % 97 == 0 {
                tags.push(ResidentTag::Veteran);
            }
            let id = Uuid::now_v7();
            rows.residents.push(resident::Model {
                id,
                region_id: grid.id,
                name: person_name(i),
                gender,
                birth_date: birth,
                id_number_enc: self.state.pii.encrypt("id_number", &id_number)?,
                id_number_hash: self.state.pii.lookup_hash("id_number", &id_number),
                phone_enc: Some(self.state.pii.encrypt("phone", &phone)?),
                phone_hash: Some(self.state.pii.lookup_hash("phone", &phone)),
                building: Some(format!("{}栋", 1 + i % 12)),
                unit: Some(format!("{}单元", 1 + i % 3)),
                room: Some(format!("{}0{}", 1 + i % 18, 1 + i % 4)),
                address: None,
                household: Some(format!("户-{:07}", i / 2)),
                residence_type: residence[i % 4],
                tags: encode_tags(&tags),
                created_by: Some(self.communities[grid.community].worker.id),
                created_at: self.now,
                updated_at: self.now,
            });
            self.residents.push((id, birth, gender));
        }
        self.report.residents += n;
        Ok(rows)
    }

    /// Event `i`: reported some time in the last year in a random grid, then moved through the
    /// workflow as far as its (random) handling times reach before now.
    fn event(&mut self, i: usize, rows: &mut Rows) -> AppResult<()> {
        let now = self.now;
        let g = self.rng.below(self.grids.len());
        let grid_id = self.grids[g].id;
        let ci = self.grids[g].community;
        let worker = self.communities[ci].worker.clone();
        let n_units = self.communities[ci].units.len();
        let pick = self.rng.below(n_units);
        let unit = (n_units > 0).then(|| self.communities[ci].units[pick]);
        let reporter = match self.rng.below(100) {
            0..50 => Reporter {
                who: self.riders[self.grids[g].rider].clone(),
                kind: ReporterKind::PartTime,
                occupation: Some(Occupation::DeliveryRider),
            },
            50..85 => Reporter {
                who: self.heads[g].clone(),
                kind: ReporterKind::FullTime,
                occupation: Some(Occupation::CommunityWorker),
            },
            _ => Reporter {
                who: worker.clone(),
                kind: ReporterKind::Staff,
                occupation: None,
            },
        };
        let staff = reporter.kind == ReporterKind::Staff;
        let category_index = self.rng.below(EventCategory::ALL.len());
        let category = EventCategory::ALL[category_index];
        let priority = match self.rng.below(100) {
            0..5 => EventPriority::Low,
            5..15 => EventPriority::High,
            15..17 => EventPriority::Urgent,
            _ => EventPriority::Normal,
        };
        let policy = self.policies[&(category, priority)];
        let captured = now - Duration::seconds(self.rng.range(600, 365 * 86_400));
        let reported = captured + Duration::seconds(self.rng.range(0, 600));
        let age_days = (now - captured).num_days();
        // Most events run their course; some stop on the way (more of the recent ones).
        let mut plan: &[Move] = match self.rng.below(100) {
            0..75 => HANDLED,
            75..88 if !staff => ON_SITE,
            75..88 => HANDLED,
            _ => REJECT,
        };
        if self.rng.chance(if age_days > 14 { 3 } else { 20 }) {
            let stop = self.rng.below(plan.len());
            plan = &plan[..stop];
        }
        let mut row = event::Model {
            id: self.id_at(reported),
            reporter_account_id: reporter.who.id,
            reporter_name: reporter.who.name.clone(),
            reporter_kind: reporter.kind,
            reporter_occupation: reporter.occupation,
            payload_hash: format!("{:064x}", i),
            grid_id,
            category,
            source: if staff {
                [EventSource::ResidentRequest, EventSource::Hotline12345][i % 2]
            } else {
                EventSource::Patrol
            },
            priority,
            title: format!("{} #{i}", TITLES[category_index % TITLES.len()]),
            description: "合成数据：网格巡查发现，现场已拍照".into(),
            address: Some(format!("规模路{}号", g * 10 + i % 10)),
            lat: 22.50 + self.rng.below(50_000) as f64 * 1e-5,
            lng: 112.80 + self.rng.below(50_000) as f64 * 1e-5,
            captured_at: captured,
            reported_at: reported,
            state: EventState::Reported,
            resume_state: None,
            suspended_at: None,
            paused_seconds: 0,
            level: RegionLevel::Community,
            assigned_unit_id: None,
            resolution: None,
            satisfaction: None,
            duplicate_of_id: None,
            merged_into_id: None,
            accept_minutes: policy.accept_minutes as i32,
            plan_minutes: policy.plan_minutes as i32,
            close_minutes: policy.close_minutes as i32,
            accept_due_at: captured + Duration::minutes(policy.accept_minutes),
            plan_due_at: captured + Duration::minutes(policy.plan_minutes),
            close_due_at: captured + Duration::minutes(policy.close_minutes),
            accept_met_at: None,
            plan_met_at: None,
            close_met_at: None,
            accept_breached_at: None,
            plan_breached_at: None,
            close_breached_at: None,
            version: 0,
            updated_at: reported,
        };
        let mut drafts = vec![StepDraft {
            at: reported,
            actor: Some(reporter.who.clone()),
            action: EventAction::Reported,
            from: None,
            to: Some(EventState::Reported),
            note: None,
            detail: None,
        }];
        // (time, state from then on), for the state a breach entry records.
        let mut history = vec![(reported, EventState::Reported)];
        let mut ledger = Vec::new();
        let mut at = reported;
        let mut accepted_paid = false;
        for step in plan {
            let minutes = match step {
                Move::Accept if self.rng.chance(85) => self.rng.range(2, 55),
                Move::Accept => self.rng.range(61, 480),
                Move::Dispatch if self.rng.chance(88) => self.rng.range(5, 600),
                Move::Dispatch => self.rng.range(1_400, 3_000),
                Move::Start => self.rng.range(30, 1_440),
                Move::Resolve(Resolution::Handled) => self.rng.range(60, 5 * 1_440),
                Move::Resolve(Resolution::OnSite) => self.rng.range(5, 120),
                Move::Close => self.rng.range(30, 2 * 1_440),
                Move::Reject => self.rng.range(5, 300),
            };
            let next_at = at + Duration::minutes(minutes);
            if next_at >= now - Duration::minutes(1) {
                break;
            }
            at = next_at;
            let from = row.state;
            let (to, actor, action) = match step {
                Move::Accept => (EventState::Accepted, &worker, EventAction::Accepted),
                Move::Dispatch => (EventState::Dispatched, &worker, EventAction::Dispatched),
                Move::Start => (
                    EventState::InProgress,
                    unit.map_or(&worker, |u| &self.units[u].liaison),
                    EventAction::Started,
                ),
                Move::Resolve(Resolution::Handled) => (
                    EventState::Resolved,
                    unit.map_or(&worker, |u| &self.units[u].liaison),
                    EventAction::Resolved,
                ),
                Move::Resolve(Resolution::OnSite) => {
                    (EventState::Resolved, &reporter.who, EventAction::Resolved)
                }
                Move::Close => (EventState::Closed, &worker, EventAction::Closed),
                Move::Reject => (EventState::Rejected, &worker, EventAction::Rejected),
            };
            let actor = actor.clone();
            let mut note = None;
            let mut detail = None;
            match step {
                Move::Dispatch => {
                    row.assigned_unit_id = unit.map(|u| self.units[u].id);
                    detail = Some(serde_json::json!({
                        "unitId": row.assigned_unit_id,
                        "unitName": unit.map(|u| &self.units[u].name),
                    }));
                    note = Some("请尽快到场处置".to_owned());
                }
                Move::Resolve(resolution) => {
                    row.resolution = Some(*resolution);
                    detail = Some(serde_json::json!({ "resolution": resolution.as_str() }));
                    note = Some("已处置完毕，现场恢复正常".to_owned());
                }
                Move::Close => {
                    let s = 3 + self.rng.below(3) as i16;
                    row.satisfaction = Some(s);
                    detail = Some(serde_json::json!({ "satisfaction": s }));
                }
                Move::Reject => note = Some("经核实情况不属实".to_owned()),
                _ => {}
            }
            for stage in stages_met_by(to) {
                let met = match stage {
                    DeadlineStage::Accept => &mut row.accept_met_at,
                    DeadlineStage::Plan => &mut row.plan_met_at,
                    DeadlineStage::Close => &mut row.close_met_at,
                };
                met.get_or_insert(at);
            }
            // Points, as `award_points` gives them.
            let pays_report =
                !staff && !accepted_paid && matches!(step, Move::Accept | Move::Close);
            if pays_report {
                accepted_paid = true;
                ledger.push((
                    reporter.who.id,
                    PointsReason::ReportAccepted,
                    self.state.settings.points.report_accepted,
                    at,
                ));
            }
            if *step == Move::Resolve(Resolution::OnSite) {
                ledger.push((
                    reporter.who.id,
                    PointsReason::OnSiteResolution,
                    self.state.settings.points.on_site_resolution,
                    at,
                ));
            }
            drafts.push(StepDraft {
                at,
                actor: Some(actor),
                action,
                from: Some(from),
                to: Some(to),
                note,
                detail,
            });
            row.state = to;
            row.version += 1;
            row.updated_at = at;
            history.push((at, to));
        }
        // The breach sweep (every minute) marks each clock that ran out unmet, once.
        for stage in DeadlineStage::ALL {
            let (due, met, breached) = match stage {
                DeadlineStage::Accept => (
                    row.accept_due_at,
                    row.accept_met_at,
                    &mut row.accept_breached_at,
                ),
                DeadlineStage::Plan => {
                    (row.plan_due_at, row.plan_met_at, &mut row.plan_breached_at)
                }
                DeadlineStage::Close => (
                    row.close_due_at,
                    row.close_met_at,
                    &mut row.close_breached_at,
                ),
            };
            // Within a minute of falling due (or now, if that is sooner).
            let mark = (due + Duration::seconds(60)).min(now);
            if due < now && met.is_none_or(|m| m > mark) {
                *breached = Some(mark);
                let state_then = history
                    .iter()
                    .take_while(|(t, _)| *t <= mark)
                    .last()
                    .map_or(EventState::Reported, |(_, s)| *s);
                drafts.push(StepDraft {
                    at: mark,
                    actor: None,
                    action: EventAction::DeadlineBreached,
                    from: Some(state_then),
                    to: Some(state_then),
                    note: None,
                    detail: Some(serde_json::json!({ "stage": stage.as_str() })),
                });
            }
        }
        drafts.sort_by_key(|d| d.at);
        let open_overdue = row.state.is_open()
            && [
                (row.accept_due_at, row.accept_met_at),
                (row.plan_due_at, row.plan_met_at),
                (row.close_due_at, row.close_met_at),
            ]
            .iter()
            .any(|(due, met)| met.is_none() && *due < now);
        if open_overdue {
            self.overdue[ci] += 1;
        }
        let with_photos = self.photo.is_some() && i.is_multiple_of(self.sizes.photo_every.max(1));
        let n_steps = drafts.len();
        for d in drafts {
            let step_id = self.id_at(d.at);
            if with_photos
                && d.action == EventAction::Resolved
                && let Some(by) = &d.actor
            {
                self.photo_row(rows, "EVENT_STEP", step_id, row.id, 0, by.id, d.at);
            }
            rows.steps.push(event_step::Model {
                id: step_id,
                event_id: row.id,
                actor_account_id: d.actor.as_ref().map(|a| a.id),
                actor_name: d
                    .actor
                    .as_ref()
                    .map_or_else(|| "系统".to_owned(), |a| a.name.clone()),
                action: d.action,
                from_state: d.from,
                to_state: d.to,
                note: d.note,
                detail: d.detail.map(|v| v.to_string()),
                created_at: d.at,
            });
        }
        if with_photos {
            for position in 0..1 + self.rng.below(3) {
                let by = reporter.who.id;
                self.photo_row(rows, "EVENT", row.id, row.id, position as i16, by, reported);
            }
            if row.state == EventState::Closed
                && self.showcase[ci].is_none_or(|(n, _, _)| n_steps > n)
            {
                self.showcase[ci] = Some((n_steps, row.id, grid_id));
            }
        }
        self.report.points += ledger.len();
        for (account_id, reason, points, at) in ledger {
            rows.ledger.push(points_ledger::Model {
                id: self.id_at(at),
                account_id,
                event_id: row.id,
                grid_id,
                reason,
                points,
                created_at: at,
            });
        }
        self.report.events += 1;
        self.report.event_steps += n_steps;
        rows.events.push(row);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn photo_row(
        &mut self,
        rows: &mut Rows,
        owner_kind: &str,
        owner_id: Uuid,
        event_id: Uuid,
        position: i16,
        uploaded_by: Uuid,
        at: DateTime<Utc>,
    ) {
        let Some(photo) = &self.photo else { return };
        rows.photos.push(photo_entity::Model {
            id: Uuid::now_v7(),
            sha256: photo.sha256.clone(),
            content_type: photo.format.as_str().to_owned(),
            size_bytes: photo.size,
            owner_kind: owner_kind.to_owned(),
            owner_id,
            event_id: Some(event_id),
            position,
            uploaded_by,
            created_at: at,
        });
        self.report.photos += 1;
    }

    /// Service item `k`: a community's need (some of them micro-wishes for one resident), or a
    /// unit's offer to its sub-district's working committee; claims on it in every state.
    fn service_item(&mut self, k: usize, rows: &mut Rows) {
        let now = self.now;
        let ci = k % self.communities.len();
        let (community_id, sub_district, units, grids, worker) = {
            let c = &self.communities[ci];
            (
                c.id,
                c.sub_district,
                c.units.clone(),
                c.grids.clone(),
                c.worker.clone(),
            )
        };
        let has_units = !units.is_empty();
        let offer = has_units && self.rng.chance(20);
        // Four in ten were posted in the last two months.
        let created = if self.rng.chance(40) {
            now - Duration::minutes(self.rng.range(60, 60 * 1_440))
        } else {
            now - Duration::minutes(self.rng.range(60 * 1_440, 300 * 1_440))
        };
        let due_on = shanghai_day(created) + Days::new(self.rng.range(7, 90) as u64);
        let release_at = shanghai_day_start(due_on + Days::new(1));
        let micro = !offer && !self.residents.is_empty() && self.rng.chance(15);
        let capacity = if micro {
            1
        } else {
            1 + self.rng.below(5) as i32
        };
        let category = ServiceCategory::ALL[self.rng.below(ServiceCategory::ALL.len())];
        // (unit, community, who claims, their role)
        let (direction, region_id, poster, poster_role, posted_by_unit, pool) = if offer {
            let u = units[0];
            let (sd_id, members, _) = &self.sub_districts[sub_district];
            let sd_id = *sd_id;
            let pool: Vec<(usize, usize, Who, Role)> = members
                .iter()
                .map(|&c| {
                    (
                        u,
                        c,
                        self.communities[c].worker.clone(),
                        Role::CommunityWorker,
                    )
                })
                .collect();
            (
                ServiceDirection::Offer,
                sd_id,
                self.units[u].liaison.clone(),
                Role::UnitLiaison,
                Some(self.units[u].id),
                pool,
            )
        } else {
            let pool = units
                .iter()
                .map(|&u| (u, ci, self.units[u].liaison.clone(), Role::UnitLiaison))
                .collect();
            (
                ServiceDirection::Need,
                community_id,
                worker,
                Role::CommunityWorker,
                None,
                pool,
            )
        };
        let (beneficiary_resident_id, beneficiary_summary) = if micro {
            let g = grids.start + self.rng.below(grids.len());
            let per_grid = self.residents.len() / self.grids.len();
            let j = g + self.grids.len() * self.rng.below(per_grid.max(1));
            match self.residents.get(j).or_else(|| self.residents.get(g)) {
                Some((id, birth, gender)) => (
                    Some(*id),
                    Some(beneficiary_summary(*birth, *gender, shanghai_day(created))),
                ),
                None => (None, None),
            }
        } else {
            (None, None)
        };
        let item_id = self.id_at(created);
        let mut item = service_item::Model {
            id: item_id,
            direction,
            kind: if micro {
                ServiceItemKind::MicroWish
            } else {
                ServiceItemKind::Project
            },
            category,
            title: if micro {
                format!("微心愿：一台收音机 #{k}")
            } else {
                format!("{}服务项目 #{k}", category.as_str())
            },
            description: "合成数据：社区征集的服务需求".into(),
            capacity,
            active_claims: 0,
            state: ServiceItemState::Open,
            due_on,
            region_id,
            posted_by: poster.id,
            posted_by_unit_id: posted_by_unit,
            beneficiary_resident_id,
            beneficiary_summary,
            closed_at: None,
            created_at: created,
            updated_at: created,
        };
        if micro && item.beneficiary_resident_id.is_none() {
            item.kind = ServiceItemKind::Project;
            item.title = format!("{}服务项目 #{k}", category.as_str());
        }

        // Claims, each with its own fate, then every change replayed in time order.
        #[derive(Clone, Copy, PartialEq)]
        enum Change {
            Claim(usize),
            Start(usize),
            Complete(usize),
            Verify(usize),
            Withdraw(usize),
            Release(usize),
            Close,
            Cancel,
        }
        let last_claim_at = release_at.min(now);
        let mut pool = pool;
        let wanted = self.rng.below((capacity as usize).min(pool.len()) + 1);
        let mut claims: Vec<service_claim::Model> = Vec::new();
        let mut claimants: Vec<(Who, Role)> = Vec::new();
        let mut changes: Vec<(DateTime<Utc>, Change)> = Vec::new();
        for _ in 0..wanted {
            let (u, c, who, role) = pool.swap_remove(self.rng.below(pool.len()));
            let span = (last_claim_at - created).num_minutes();
            let claimed_at = created + Duration::minutes(self.rng.range(30, span.max(31)));
            if claimed_at >= last_claim_at {
                continue;
            }
            let j = claims.len();
            let mut claim = service_claim::Model {
                id: self.id_at(claimed_at),
                item_id,
                member_unit_id: self.units[u].id,
                community_id: self.communities[c].id,
                state: ServiceClaimState::Claimed,
                claimed_by: who.id,
                claimed_at,
                started_at: None,
                completed_at: None,
                verified_at: None,
                withdrawn_at: None,
                released_at: None,
                people_served: None,
                report_notes: None,
                updated_at: claimed_at,
            };
            changes.push((claimed_at, Change::Claim(j)));
            let withdraw_at = claimed_at + Duration::minutes(self.rng.range(60, 2_880));
            let start_at = claimed_at + Duration::minutes(self.rng.range(60, 7_200));
            if self.rng.chance(10) && withdraw_at < last_claim_at {
                claim.state = ServiceClaimState::Withdrawn;
                claim.withdrawn_at = Some(withdraw_at);
                changes.push((withdraw_at, Change::Withdraw(j)));
            } else if start_at < last_claim_at {
                claim.state = ServiceClaimState::InProgress;
                claim.started_at = Some(start_at);
                changes.push((start_at, Change::Start(j)));
                let complete_at = start_at + Duration::minutes(self.rng.range(1_440, 14_400));
                if complete_at < now {
                    claim.state = ServiceClaimState::Completed;
                    claim.completed_at = Some(complete_at);
                    claim.people_served = Some(self.rng.range(1, 200) as i32);
                    claim.report_notes = Some("服务已完成，群众反映良好".into());
                    changes.push((complete_at, Change::Complete(j)));
                    let verify_at = complete_at + Duration::minutes(self.rng.range(60, 4_320));
                    if verify_at < now && self.rng.chance(80) {
                        claim.state = ServiceClaimState::Verified;
                        claim.verified_at = Some(verify_at);
                        changes.push((verify_at, Change::Verify(j)));
                    }
                }
            } else if release_at < now {
                // Never started by the due day: the sweep released it.
                claim.state = ServiceClaimState::Released;
                claim.released_at = Some(release_at);
                changes.push((release_at, Change::Release(j)));
            }
            claims.push(claim);
            claimants.push((who, role));
        }
        if claims.is_empty() && self.rng.chance(5) {
            let at = created + Duration::minutes(self.rng.range(60, 10 * 1_440));
            if at < now {
                changes.push((at, Change::Cancel));
            }
        } else if release_at < now && self.rng.chance(40) {
            let at = release_at + Duration::minutes(self.rng.range(0, 4_320));
            if at < now {
                changes.push((at, Change::Close));
            }
        }
        changes.sort_by_key(|(at, _)| *at);

        let step = move |rows: &mut Rows,
                         at: DateTime<Utc>,
                         claim: Option<Uuid>,
                         action: ServiceStepAction,
                         item_change: Option<(Option<ServiceItemState>, ServiceItemState)>,
                         claim_change: Option<(Option<ServiceClaimState>, ServiceClaimState)>,
                         actor: Option<(&Who, Role)>,
                         note: Option<String>| {
            rows.item_steps.push(service_item_step::Model {
                id: Uuid::now_v7(),
                item_id,
                claim_id: claim,
                action,
                item_from: item_change.and_then(|c| c.0),
                item_to: item_change.map(|c| c.1),
                claim_from: claim_change.and_then(|c| c.0),
                claim_to: claim_change.map(|c| c.1),
                actor_id: actor.map(|a| a.0.id),
                actor_name: actor.map(|a| a.0.name.clone()),
                actor_role: actor.map(|a| a.1),
                note,
                at,
            });
        };
        let before = rows.item_steps.len();
        step(
            rows,
            created,
            None,
            ServiceStepAction::Posted,
            Some((None, ServiceItemState::Open)),
            None,
            Some((&poster, poster_role)),
            None,
        );
        let mut state = ServiceItemState::Open;
        let mut active = 0;
        for (at, change) in changes {
            item.updated_at = at;
            let before_state = state;
            match change {
                Change::Claim(j) => {
                    active += 1;
                    if state == ServiceItemState::Open && active >= capacity {
                        state = ServiceItemState::Full;
                    }
                    let changed = (state != before_state).then_some((Some(before_state), state));
                    step(
                        rows,
                        at,
                        Some(claims[j].id),
                        ServiceStepAction::Claimed,
                        changed,
                        Some((None, ServiceClaimState::Claimed)),
                        Some((&claimants[j].0, claimants[j].1)),
                        None,
                    );
                }
                Change::Withdraw(j) | Change::Release(j) => {
                    active -= 1;
                    if state == ServiceItemState::Full {
                        state = ServiceItemState::Open;
                    }
                    let changed = (state != before_state).then_some((Some(before_state), state));
                    let from = if claims[j].started_at.is_some() {
                        ServiceClaimState::InProgress
                    } else {
                        ServiceClaimState::Claimed
                    };
                    if let Change::Withdraw(_) = change {
                        step(
                            rows,
                            at,
                            Some(claims[j].id),
                            ServiceStepAction::Withdrawn,
                            changed,
                            Some((Some(from), ServiceClaimState::Withdrawn)),
                            Some((&claimants[j].0, claimants[j].1)),
                            None,
                        );
                    } else {
                        step(
                            rows,
                            at,
                            Some(claims[j].id),
                            ServiceStepAction::Released,
                            changed,
                            Some((
                                Some(ServiceClaimState::Claimed),
                                ServiceClaimState::Released,
                            )),
                            None,
                            Some(format!(
                                "截止日期 {due_on} 前未开始实施，认领已自动释放，名额重新开放"
                            )),
                        );
                    }
                }
                Change::Start(j) => step(
                    rows,
                    at,
                    Some(claims[j].id),
                    ServiceStepAction::Started,
                    None,
                    Some((
                        Some(ServiceClaimState::Claimed),
                        ServiceClaimState::InProgress,
                    )),
                    Some((&claimants[j].0, claimants[j].1)),
                    None,
                ),
                Change::Complete(j) => step(
                    rows,
                    at,
                    Some(claims[j].id),
                    ServiceStepAction::Completed,
                    None,
                    Some((
                        Some(ServiceClaimState::InProgress),
                        ServiceClaimState::Completed,
                    )),
                    Some((&claimants[j].0, claimants[j].1)),
                    claims[j].report_notes.clone(),
                ),
                Change::Verify(j) => step(
                    rows,
                    at,
                    Some(claims[j].id),
                    ServiceStepAction::Verified,
                    None,
                    Some((
                        Some(ServiceClaimState::Completed),
                        ServiceClaimState::Verified,
                    )),
                    Some((&poster, poster_role)),
                    Some("已电话回访".into()),
                ),
                Change::Close | Change::Cancel => {
                    let (to, action) = if change == Change::Close {
                        (ServiceItemState::Closed, ServiceStepAction::Closed)
                    } else {
                        (ServiceItemState::Cancelled, ServiceStepAction::Cancelled)
                    };
                    state = to;
                    item.closed_at = Some(at);
                    step(
                        rows,
                        at,
                        None,
                        action,
                        Some((Some(before_state), to)),
                        None,
                        Some((&poster, poster_role)),
                        None,
                    );
                }
            }
        }
        for claim in &mut claims {
            claim.updated_at = [
                Some(claim.claimed_at),
                claim.started_at,
                claim.completed_at,
                claim.verified_at,
                claim.withdrawn_at,
                claim.released_at,
            ]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(claim.claimed_at);
        }
        item.state = state;
        item.active_claims = active;
        self.report.service_items += 1;
        self.report.claims += claims.len();
        self.report.item_steps += rows.item_steps.len() - before;
        rows.items.push(item);
        rows.claims.extend(claims);
    }

    /// The accounts and rows the benchmark asks for: the community with the most open overdue
    /// events, its worker, a rider there, the liaison of its first unit, a showcase event.
    fn pick_ids(&mut self) {
        let ci = (0..self.communities.len())
            .max_by_key(|&c| (self.overdue[c], self.showcase[c].is_some()))
            .unwrap_or(0);
        let community = &self.communities[ci];
        let ids = &mut self.report.ids;
        ids.community_id = community.id;
        ids.worker_phone = community.worker.phone.clone();
        ids.overdue_open_events = self.overdue[ci];
        let (sd_id, _, admin_phone) = &self.sub_districts[community.sub_district];
        ids.sub_district_id = *sd_id;
        ids.sub_district_admin_phone = admin_phone.clone();
        let first = community.grids.start;
        ids.grid_id = self.grids[first].id;
        if let Some(rider) = self.riders.get(self.grids[first].rider) {
            ids.rider_phone = rider.phone.clone();
            let end = (first + 3).min(community.grids.end);
            ids.rider_grids = (first..end).map(|g| self.grids[g].id).collect();
        }
        if let Some(&u) = community.units.first() {
            ids.liaison_phone = self.units[u].liaison.phone.clone();
            ids.liaison_unit_id = self.units[u].id;
        }
        if let Some((_, event, grid)) =
            self.showcase[ci].or_else(|| self.showcase.iter().flatten().next().copied())
        {
            ids.event_id = event;
            ids.grid_id = grid;
        }
    }
}
