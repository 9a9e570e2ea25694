//! Demo service claiming, drawn from the seed articles: 凤凰社区's big party committee lists needs
//! (the elderly canteen, private parking locks, a lonely resident's micro-wish, stairwell
//! clearing, weekly visits) and its member units offer resources (the drivers' 雷锋车队 rides, the
//! hospital's nasopharyngeal-cancer screening); 新华社区's peeling-wall hazard goes to 住建局 on
//! 沙坪街道's big working committee. Items end up in every state (OPEN, FULL, CLOSED, CANCELLED)
//! and claims too (CLAIMED, IN_PROGRESS, COMPLETED, VERIFIED, WITHDRAWN, RELEASED).
//!
//! The story is played through the real use-cases on a clock set three weeks back, so timelines
//! and figures read like real ones; the release sweep then runs on the real clock. Idempotent: an
//! item whose title already exists in its committee is skipped with its claims.
use super::{DEMO_ACCOUNTS, DEMO_PASSWORD, synthetic_identity};
use crate::access::{Actor, principal};
use crate::clock::ManualClock;
use crate::domain::role::Role;
use crate::domain::service_item::{
    ServiceCategory, ServiceDirection, ServiceItemKind, shanghai_day, shanghai_day_start,
};
use crate::error::{AppError, AppResult};
use crate::service::account::{NewAccount, create_account};
use crate::service::service_item::{
    self as claims, Completion, NewServiceItem, release_stale_claims,
};
use crate::state::AppState;
use crate::store::service_item::{self as store, ItemRow};
use crate::store::{account, member_unit, region, resident};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// Liaison accounts of the units that claim in the demo (password `DEMO_PASSWORD`), beside the
/// drivers' branch liaison among the demo accounts.
pub const SERVICE_LIAISONS: &[(&str, &str, &str)] = &[
    ("13800000011", "交警大队联络员", "鹤山市公安局交通警察大队"),
    (
        "13800000012",
        "物业党支部联络员",
        "凤凰花园物业服务中心党支部",
    ),
    ("13800000013", "人民医院联络员", "鹤山市人民医院"),
    ("13800000014", "顺丰先锋队联络员", "顺丰党员先锋队"),
    ("13800000015", "住建局联络员", "鹤山市住房和城乡建设局"),
];

fn missing(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!(
        "demo data: {what} is missing (seed the people first)"
    ))
}

/// The demo cast: who posts, who claims, and the clock the story runs on.
struct Cast<'a> {
    past: AppState,
    clock: Arc<ManualClock>,
    start: DateTime<Utc>,
    admin: &'a Actor,
    worker: Actor,
    drivers: Actor,
    police: Actor,
    property: Actor,
    hospital: Actor,
    couriers: Actor,
    housing: Actor,
}

impl Cast<'_> {
    /// Moves the story's clock to `day` days (and `hour` hours) after its start.
    fn at(&self, day: i64, hour: i64) {
        self.clock
            .set(self.start + Duration::days(day) + Duration::hours(hour));
    }

    fn due(&self, day: i64) -> chrono::NaiveDate {
        shanghai_day(self.start + Duration::days(day))
    }

    /// Posts the item unless its committee already lists one with this title.
    async fn post(&self, by: &Actor, item: NewServiceItem) -> AppResult<Option<ItemRow>> {
        if store::find_by_title(&self.past.db, item.region_id, &item.title)
            .await?
            .is_some()
        {
            return Ok(None);
        }
        Ok(Some(claims::post_service_item(&self.past, by, item).await?))
    }
}

#[allow(clippy::too_many_arguments)]
fn item(
    direction: ServiceDirection,
    kind: ServiceItemKind,
    category: ServiceCategory,
    region_id: Uuid,
    title: &str,
    description: &str,
    capacity: i32,
    due_on: chrono::NaiveDate,
) -> NewServiceItem {
    NewServiceItem {
        direction,
        kind,
        category,
        title: title.into(),
        description: description.into(),
        capacity: Some(capacity),
        due_on,
        region_id,
        beneficiary_resident_id: None,
        photos: Vec::new(),
    }
}

fn report(people_served: i32, notes: &str) -> Completion {
    Completion {
        people_served,
        notes: Some(notes.into()),
        photos: super::events::photo(),
    }
}

async fn liaison(
    state: &AppState,
    admin: &Actor,
    phone: &str,
    name: &str,
    unit: &str,
) -> AppResult<Actor> {
    let unit = member_unit::find_by_name(&state.db, unit)
        .await?
        .ok_or_else(|| missing(unit))?;
    let hashes = state.pii.lookup_hashes("phone", phone);
    let row = match account::find_by_phone_hashes(&state.db, &hashes).await? {
        Some(row) => row,
        None => {
            create_account(
                state,
                admin,
                NewAccount {
                    phone: phone.into(),
                    name: name.into(),
                    password: DEMO_PASSWORD.into(),
                    role: Role::UnitLiaison,
                    region_id: None,
                    member_unit_id: Some(unit.id),
                },
            )
            .await?
        }
    };
    actor_of(state, row.id).await
}

/// The seeding actor for an account, resolved as a login would resolve it.
async fn actor_of(state: &AppState, account_id: Uuid) -> AppResult<Actor> {
    Ok(Actor {
        principal: principal::resolve_offline(&state.db, account_id).await?,
        request_id: "seed-demo".into(),
    })
}

/// Seeds the demo items and claims; returns how many items it added.
pub(super) async fn demo(state: &AppState, admin: &Actor) -> AppResult<usize> {
    let db = &state.db;
    let city = region::find_child(db, None, "江门市")
        .await?
        .ok_or_else(|| missing("江门市"))?;
    let shaping = region::find_child(db, Some(city.id), "沙坪街道")
        .await?
        .ok_or_else(|| missing("沙坪街道"))?;
    let fenghuang = region::find_child(db, Some(shaping.id), "凤凰社区")
        .await?
        .ok_or_else(|| missing("凤凰社区"))?;
    let xinhua = region::find_child(db, Some(shaping.id), "新华社区")
        .await?
        .ok_or_else(|| missing("新华社区"))?;

    let worker_account = DEMO_ACCOUNTS
        .iter()
        .find(|a| a.role == Role::CommunityWorker)
        .ok_or_else(|| missing("the community worker"))?;
    let worker =
        account::find_by_phone_hashes(db, &state.pii.lookup_hashes("phone", worker_account.phone))
            .await?
            .ok_or_else(|| missing("the community worker's account"))?;
    let worker = actor_of(state, worker.id).await?;
    let drivers_account = DEMO_ACCOUNTS
        .iter()
        .find(|a| a.role == Role::UnitLiaison)
        .ok_or_else(|| missing("the drivers' liaison"))?;
    let drivers = liaison(
        state,
        admin,
        drivers_account.phone,
        drivers_account.name,
        "江门滴滴快优司机第一流动党支部",
    )
    .await?;
    let mut others = Vec::new();
    for (phone, name, unit) in SERVICE_LIAISONS {
        others.push(liaison(state, admin, phone, name, unit).await?);
    }
    let [police, property, hospital, couriers, housing]: [Actor; 5] = others
        .try_into()
        .map_err(|_| missing("a service liaison"))?;

    // Three weeks back, 09:00 in Shanghai.
    let today = shanghai_day(state.now());
    let start = shanghai_day_start(today - chrono::Days::new(21)) + Duration::hours(9);
    let clock = Arc::new(ManualClock::new(start));
    let cast = Cast {
        past: AppState {
            clock: clock.clone(),
            ..state.clone()
        },
        clock,
        start,
        admin,
        worker,
        drivers,
        police,
        property,
        hospital,
        couriers,
        housing,
    };
    let mut added = 0;
    use ServiceCategory::*;
    use ServiceDirection::*;
    use ServiceItemKind::*;
    let c = &cast;
    let s = &c.past;

    // OPEN, two of three places held: the drivers' rides verified, the property branch at work.
    c.at(0, 0);
    if let Some(it) = c
        .post(
            &c.worker,
            item(Need, Project, ElderlyCare, fenghuang.id, "长者饭堂助餐志愿服务",
                "社区长者饭堂每日 11:00-12:00 供餐，需要志愿者协助行动不便的长者往返就餐、分餐和清洁。", 3, c.due(35)),
        )
        .await?
    {
        added += 1;
        c.at(1, 1);
        let rides = claims::claim_service_item(s, &c.drivers, it.id, Some("雷锋车队可每日接送".into())).await?;
        c.at(2, 0);
        claims::start_claim(s, &c.drivers, rides.id, None).await?;
        c.at(3, 2);
        let helpers = claims::claim_service_item(s, &c.property, it.id, None).await?;
        c.at(4, 0);
        claims::start_claim(s, &c.property, helpers.id, Some("每周二、四安排两名物业党员值守".into())).await?;
        c.at(5, 6);
        claims::complete_claim(s, &c.drivers, rides.id, report(46, "两周内接送长者 46 人次往返长者饭堂")).await?;
        c.at(6, 1);
        claims::verify_claim(s, &c.worker, rides.id, Some("电话回访 10 位长者，反映良好".into())).await?;
    }

    // FULL, its claim COMPLETED and awaiting the community's verification.
    c.at(2, 3);
    let mut parking = item(
        Need,
        Project,
        Safety,
        fenghuang.id,
        "整治小区周边私占公共停车位",
        "居民反映小区周边公共停车位被私设地锁、障碍物占用，需要交警协同清拆并加强巡查。",
        1,
        c.due(30),
    );
    parking.photos = super::events::photo();
    if let Some(it) = c.post(&c.worker, parking).await? {
        added += 1;
        let parking = claims::claim_service_item(s, &c.police, it.id, None).await?;
        c.at(3, 0);
        claims::start_claim(
            s,
            &c.police,
            parking.id,
            Some("联合城管开展专项行动".into()),
        )
        .await?;
        c.at(9, 5);
        claims::complete_claim(
            s,
            &c.police,
            parking.id,
            report(320, "清拆私设地锁 27 把、障碍物 14 处，还车位于民"),
        )
        .await?;
    }

    // FULL: a lonely resident's micro-wish, CLAIMED by the couriers' vanguard.
    c.at(12, 2);
    let (id_number, _) = synthetic_identity(0);
    let beneficiary =
        resident::find_by_id_hashes(db, &state.pii.lookup_hashes("id_number", &id_number))
            .await?
            .ok_or_else(|| missing("the micro-wish's resident"))?;
    let mut wish = item(
        Need,
        MicroWish,
        ElderlyCare,
        fenghuang.id,
        "想要一台收音机听粤剧",
        "独居长者视力不好，平日靠听粤剧解闷，旧收音机坏了，希望有一台新的。",
        1,
        c.due(28),
    );
    wish.beneficiary_resident_id = Some(beneficiary.id);
    if let Some(it) = c.post(&c.worker, wish).await? {
        added += 1;
        c.at(13, 4);
        claims::claim_service_item(s, &c.couriers, it.id, Some("送件途中顺路送达".into())).await?;
    }

    // OPEN again after the property branch WITHDREW.
    c.at(5, 0);
    if let Some(it) = c
        .post(
            &c.worker,
            item(
                Need,
                Project,
                Environment,
                fenghuang.id,
                "楼道杂物清理与消防通道巡查",
                "老旧楼栋楼道堆放杂物，堵塞消防通道，需要每月集中清理一次并巡查。",
                2,
                c.due(40),
            ),
        )
        .await?
    {
        added += 1;
        c.at(6, 0);
        let stairs = claims::claim_service_item(s, &c.property, it.id, None).await?;
        c.at(8, 3);
        claims::withdraw_claim(
            s,
            &c.property,
            stairs.id,
            Some("本月人手调往台风应急，改下月再认领".into()),
        )
        .await?;
    }

    // Claimed and never started: RELEASED by the sweep after the due day (below).
    c.at(0, 2);
    if let Some(it) = c
        .post(
            &c.worker,
            item(
                Need,
                Project,
                ElderlyCare,
                fenghuang.id,
                "独居老人每周上门探访",
                "为 12 位独居老人每周上门探访一次，查看水电煤气安全，陪伴聊天。",
                1,
                c.due(10),
            ),
        )
        .await?
    {
        added += 1;
        c.at(1, 3);
        claims::claim_service_item(s, &c.couriers, it.id, None).await?;
    }

    // CANCELLED before anyone claimed it.
    c.at(3, 1);
    if let Some(it) = c
        .post(
            &c.worker,
            item(
                Need,
                Project,
                Safety,
                fenghuang.id,
                "新电梯使用安全宣讲",
                "雨城花园新装电梯投入使用，需要向长者讲解安全乘梯知识。",
                1,
                c.due(25),
            ),
        )
        .await?
    {
        added += 1;
        c.at(4, 2);
        claims::cancel_service_item(s, &c.worker, it.id, Some("电梯厂家已安排专人宣讲".into()))
            .await?;
    }

    // An OFFER, OPEN with one of two places VERIFIED.
    c.at(1, 0);
    if let Some(it) = c
        .post(
            &c.drivers,
            item(
                Offer,
                Project,
                Health,
                fenghuang.id,
                "雷锋车队接送高龄老人就医",
                "滴滴党员雷锋车队每周三上午免费接送社区高龄老人往返鹤山市人民医院。",
                2,
                c.due(45),
            ),
        )
        .await?
    {
        added += 1;
        c.at(2, 2);
        let rides = claims::claim_service_item(s, &c.worker, it.id, None).await?;
        c.at(3, 0);
        claims::start_claim(s, &c.worker, rides.id, None).await?;
        c.at(7, 4);
        claims::complete_claim(s, &c.worker, rides.id, report(12, "12 位高龄老人完成复诊")).await?;
        c.at(8, 0);
        claims::verify_claim(s, &c.drivers, rides.id, None).await?;
    }

    // An OFFER delivered, verified by the hospital, then CLOSED.
    c.at(4, 0);
    if let Some(it) = c
        .post(
            &c.hospital,
            item(
                Offer,
                Project,
                Health,
                fenghuang.id,
                "鼻咽癌预防宣教与筛查义诊",
                "鹤山市人民医院联合中山大学附属第五医院，进社区开展鼻咽癌预防宣教与免费筛查。",
                1,
                c.due(20),
            ),
        )
        .await?
    {
        added += 1;
        c.at(4, 3);
        let screening = claims::claim_service_item(s, &c.worker, it.id, None).await?;
        c.at(10, 0);
        claims::start_claim(
            s,
            &c.worker,
            screening.id,
            Some("在党群服务中心设点".into()),
        )
        .await?;
        c.at(10, 8);
        claims::complete_claim(
            s,
            &c.worker,
            screening.id,
            report(135, "宣教 135 人，筛查 98 人"),
        )
        .await?;
        c.at(11, 2);
        claims::verify_claim(s, &c.hospital, screening.id, None).await?;
        claims::close_service_item(s, &c.hospital, it.id, Some("本季度义诊结束".into())).await?;
    }

    // 新华社区's need, taken by a member of the sub-district's big working committee: FULL, its
    // claim IN_PROGRESS.
    c.at(8, 0);
    if let Some(it) = c
        .post(
            c.admin,
            item(Need, Project, Safety, xinhua.id, "新湖二巷楼栋墙皮脱落隐患处置",
                "新湖二巷 36、37 号两栋居民楼外墙墙皮脱落，需要专业评估并指导居民委托有资质的公司处置。", 1, c.due(35)),
        )
        .await?
    {
        added += 1;
        c.at(9, 1);
        let wall = claims::claim_service_item(s, &c.housing, it.id, None).await?;
        c.at(10, 2);
        claims::start_claim(s, &c.housing, wall.id, Some("已派工程师现场评估".into())).await?;
    }

    // Back to the real clock: what nobody started by its due day is released, as the server's
    // own sweep would.
    release_stale_claims(state).await?;
    Ok(added)
}
