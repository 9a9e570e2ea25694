//! Demo committee meetings and co-building activities, drawn from the seed articles.
//!
//! 棠下镇: "今年以来，累计召开“大党委”联席会议8场次，开展共建活动18场次，认领完成服务项目10个，
//! 惠及群众超3万人次" — eight joint meetings and eighteen activities of its community committees
//! (滨江、新昌、棠下社区) over the past year, reaching 30,860 people: 滨江's youth activities with
//! 棠下中学 and 范罗冈小学滨江校区, the 保利星火 volunteers' visits and the typhoon “马鞍” move of
//! 2,000-odd site workers, drills with the park's enterprises.
//!
//! 凤凰社区: its big party committee's meetings, the hospital's traditional-medicine clinic, the
//! winter-holiday safety sessions of its service centre (“寒假期间开展12期活动”), the drivers'
//! rides to hospital, linked to the demo service items they served.
//!
//! Recorded through the real use-case, each under a fixed client id, so a second run adds
//! nothing.
use super::DEMO_ACCOUNTS;
use super::events::{photo, principal_of};
use crate::access::Actor;
use crate::domain::committee::CommitteeActivityKind;
use crate::domain::role::Role;
use crate::domain::service_item::shanghai_day;
use crate::error::{AppError, AppResult};
use crate::service::committee::{NewCommitteeActivity, record_committee_activity};
use crate::state::AppState;
use crate::store::committee as store;
use crate::store::{member_unit, region, service_item};
use chrono::Days;
use uuid::Uuid;

fn missing(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!(
        "demo data: {what} is missing (seed the people first)"
    ))
}

fn client_id(n: u128) -> Uuid {
    // Fixed, recognisable ids: 0197…-c033-…
    Uuid::from_u128(0x0197_0000_0000_7000_8000_c033_0000_0000 + n)
}

/// One planned record: days before today, committee, kind, title, units, people, notes,
/// service items (by title, in the committee), a photo or not, and who records it.
struct Planned {
    days_back: u64,
    committee: &'static str,
    kind: CommitteeActivityKind,
    title: &'static str,
    units: &'static [&'static str],
    people: i32,
    notes: &'static str,
    items: &'static [&'static str],
    photo: bool,
    by_drivers: bool,
}

const fn meeting(
    days_back: u64,
    committee: &'static str,
    title: &'static str,
    units: &'static [&'static str],
    notes: &'static str,
) -> Planned {
    Planned {
        days_back,
        committee,
        kind: CommitteeActivityKind::Meeting,
        title,
        units,
        people: 0,
        notes,
        items: &[],
        photo: false,
        by_drivers: false,
    }
}

const fn activity(
    days_back: u64,
    committee: &'static str,
    title: &'static str,
    units: &'static [&'static str],
    people: i32,
    notes: &'static str,
) -> Planned {
    Planned {
        days_back,
        committee,
        kind: CommitteeActivityKind::Activity,
        title,
        units,
        people,
        notes,
        items: &[],
        photo: false,
        by_drivers: false,
    }
}

const SCHOOL: &str = "棠下中学";
const PRIMARY: &str = "范罗冈小学滨江校区";
const POLY: &str = "保利物业江门分公司党支部";
const HISENSE: &str = "海信（广东）空调有限公司";
const BJ: &str = "滨江社区";
const XC: &str = "新昌社区";
const TX: &str = "棠下社区";

/// 棠下镇: 8 meetings, 18 activities, 30,860 people.
const TANGXIA: &[Planned] = &[
    meeting(
        280,
        BJ,
        "滨江社区大党委联席会议（年度需求清单）",
        &[SCHOOL, PRIMARY, POLY],
        "梳理新建住宅小区居民需求，形成年度需求清单和资源清单。",
    ),
    meeting(
        250,
        TX,
        "棠下社区大党委联席会议（园区治理）",
        &[HISENSE],
        "园区两个网格分工，企业联络员担任兼职网格员。",
    ),
    meeting(
        230,
        XC,
        "新昌社区大党委联席会议",
        &[SCHOOL],
        "签订《双向服务协议书》，明确教师家长志愿服务队分工。",
    ),
    meeting(
        200,
        BJ,
        "滨江社区大党委联席会议（双向认领）",
        &[SCHOOL, PRIMARY, POLY],
        "成员单位认领青少年活动、入户走访等服务项目。",
    ),
    meeting(
        120,
        BJ,
        "滨江社区大党委联席会议（防汛防台风）",
        &[POLY, SCHOOL],
        "部署台风前小区、工地风险排查和特殊群众走访。",
    ),
    meeting(
        90,
        XC,
        "新昌社区大党委联席会议（新楼盘入住）",
        &[SCHOOL],
        "新楼盘陆续交付，商定新入住居民融入活动。",
    ),
    meeting(
        60,
        TX,
        "棠下社区大党委联席会议（暖企走访）",
        &[HISENSE],
        "通报暖企走访中收集的企业诉求及对接进展。",
    ),
    meeting(
        40,
        BJ,
        "滨江社区大党委联席会议（年终总结）",
        &[SCHOOL, PRIMARY, POLY],
        "总结清单化常态化服务活动，谋划明年项目。",
    ),
    activity(
        270,
        BJ,
        "社区青少年寒假活动",
        &[SCHOOL, PRIMARY],
        1200,
        "结合社区儿童多的特点，整合教育资源开展寒假活动。",
    ),
    activity(
        260,
        XC,
        "教师家长志愿服务队护学岗",
        &[SCHOOL],
        1500,
        "上下学高峰在校门口开展交通劝导。",
    ),
    activity(
        240,
        TX,
        "园区企业职工应急演练",
        &[HISENSE],
        1800,
        "定期组织企业职工开展应急演练，提升园区应急处置能力。",
    ),
    activity(
        210,
        BJ,
        "保利星火志愿队入户走访特殊群众",
        &[POLY],
        860,
        "走访独居老人、残疾人等特殊群众，登记需求。",
    ),
    activity(
        190,
        XC,
        "新楼盘入住居民融入活动",
        &[SCHOOL],
        1300,
        "邻里见面会与社区服务介绍。",
    ),
    activity(
        180,
        BJ,
        "教师家长志愿服务队交通劝导",
        &[SCHOOL, PRIMARY],
        3500,
        "学期内每日上下学时段护学。",
    ),
    activity(
        160,
        TX,
        "园区安全生产培训",
        &[HISENSE],
        950,
        "园区干部和网格员到企业开展安全生产检查和培训。",
    ),
    activity(
        150,
        BJ,
        "网格主题党日：双报到双服务",
        &[POLY, SCHOOL],
        1800,
        "党员志愿者进网入格，开展环境清理和政策宣传。",
    ),
    activity(
        140,
        BJ,
        "防溺水安全教育进校园",
        &[SCHOOL, PRIMARY],
        2400,
        "暑期前防溺水专题教育。",
    ),
    activity(
        130,
        TX,
        "暖企走访：帮助企业拓展国内市场",
        &[HISENSE],
        200,
        "牵线搭桥对接开平市教育局，初步签订500多台空调采购合作协议。",
    ),
    activity(
        115,
        TX,
        "外来务工人员子女暑期托管",
        &[HISENSE],
        600,
        "园区外来务工人员约6万人，为其子女提供暑期托管。",
    ),
    activity(
        110,
        BJ,
        "社区青少年暑期活动",
        &[SCHOOL, PRIMARY],
        2600,
        "整合棠下中学、范罗冈小学滨江校区等教育资源，举办丰富多样的青少年活动。",
    ),
    activity(
        95,
        TX,
        "防台风应急物资联合储备",
        &[HISENSE],
        850,
        "企业与社区联合储备沙袋、应急照明等物资。",
    ),
    activity(
        85,
        BJ,
        "台风“马鞍”防御：工地板房人员转移安置",
        &[POLY],
        2100,
        "网格员防汛巡查发现工地板房住人隐患，开放紧急避难场所，妥善安置2000多名建筑工人。",
    ),
    activity(
        70,
        XC,
        "反诈宣传进社区",
        &[SCHOOL],
        2200,
        "师生志愿者入户发放反诈宣传资料。",
    ),
    activity(62, XC, "中秋邻里节", &[SCHOOL], 1600, "新老居民共度中秋。"),
    activity(
        50,
        TX,
        "园区职工义诊",
        &[HISENSE],
        1200,
        "为园区职工提供健康咨询和常见病筛查。",
    ),
    activity(
        30,
        BJ,
        "小区消防安全宣传",
        &[POLY],
        4200,
        "20多个新建住宅小区逐栋开展消防安全宣传和通道清理。",
    ),
];

const POLICE: &str = "鹤山市公安局交通警察大队";
const DRIVERS: &str = "江门滴滴快优司机第一流动党支部";
const COURIERS: &str = "顺丰党员先锋队";
const PROPERTY: &str = "凤凰花园物业服务中心党支部";
const HOSPITAL: &str = "鹤山市人民医院";
const FH: &str = "凤凰社区";
const CANTEEN: &str = "长者饭堂助餐志愿服务";

/// 凤凰社区: two meetings, four activities.
const FENGHUANG: &[Planned] = &[
    Planned {
        title: "凤凰社区党群服务中心寒假安全体验课（12期）",
        units: &[HOSPITAL, POLICE],
        people: 360,
        photo: true,
        ..activity(
            290,
            FH,
            "",
            &[],
            0,
            "在红十字生命健康安全体验馆面向学生讲解地震、火灾、公共踩踏事件、用电事故等自救互救方法，寒假期间共开展12期。",
        )
    },
    meeting(
        100,
        FH,
        "凤凰社区大党委联席会议（需求清单认领）",
        &[POLICE, PROPERTY, COURIERS],
        "通报需求清单，成员单位现场认领私家车地锁整治、楼道清理等项目。",
    ),
    Planned {
        items: &[CANTEEN],
        ..meeting(
            40,
            FH,
            "凤凰社区大党委第四季度联席会议",
            &[POLICE, DRIVERS, COURIERS, PROPERTY, HOSPITAL],
            "长者饭堂助餐服务推进情况，雷锋车队接送安排。",
        )
    },
    Planned {
        photo: true,
        ..activity(
            25,
            FH,
            "中医理疗进社区",
            &[HOSPITAL],
            160,
            "医学专家定点巡诊，为居民提供肩颈腰部按摩、刮痧、雷火灸、穴位调理等中医理疗。",
        )
    },
    Planned {
        items: &[CANTEEN],
        by_drivers: true,
        ..activity(
            12,
            FH,
            "雷锋车队接送长者往返长者饭堂",
            &[DRIVERS],
            46,
            "两周内接送长者 46 人次往返长者饭堂。",
        )
    },
    activity(
        5,
        FH,
        "骑行哨兵道路隐患随手拍",
        &[COURIERS, DRIVERS],
        80,
        "快递小哥、网约车司机送件途中上报道路隐患并关注独居老人。",
    ),
];

/// Records the demo meetings and activities; returns how many it added.
pub(super) async fn demo(state: &AppState, admin: &Actor) -> AppResult<usize> {
    let db = &state.db;
    let city = region::find_child(db, None, "江门市")
        .await?
        .ok_or_else(|| missing("江门市"))?;
    let tangxia = region::find_child(db, Some(city.id), "棠下镇")
        .await?
        .ok_or_else(|| missing("棠下镇"))?;
    let shaping = region::find_child(db, Some(city.id), "沙坪街道")
        .await?
        .ok_or_else(|| missing("沙坪街道"))?;
    let phone_of = |role: Role| {
        DEMO_ACCOUNTS
            .iter()
            .find(|a| a.role == role)
            .map(|a| a.phone)
            .ok_or_else(|| missing("a demo account"))
    };
    let actor = |principal| Actor {
        principal,
        request_id: "seed-demo".into(),
    };
    let worker = actor(principal_of(state, phone_of(Role::CommunityWorker)?).await?);
    let drivers = actor(principal_of(state, phone_of(Role::UnitLiaison)?).await?);
    let today = shanghai_day(state.now());

    let mut plan: Vec<(u128, &Planned, Uuid)> = Vec::new();
    for (n, p) in TANGXIA.iter().enumerate() {
        plan.push((n as u128, p, tangxia.id));
    }
    for (n, p) in FENGHUANG.iter().enumerate() {
        plan.push((100 + n as u128, p, shaping.id));
    }
    // Oldest first, so the list (newest recorded first) reads newest held first.
    plan.sort_by_key(|(n, p, _)| (std::cmp::Reverse(p.days_back), *n));

    let mut added = 0;
    for (n, p, parent) in plan {
        let client_id = client_id(n);
        if store::find_by_client_id_unscoped(db, client_id)
            .await?
            .is_some()
        {
            continue;
        }
        let committee = region::find_child(db, Some(parent), p.committee)
            .await?
            .ok_or_else(|| missing(p.committee))?;
        let mut unit_ids = Vec::with_capacity(p.units.len());
        for name in p.units {
            let unit = member_unit::find_by_name(db, name)
                .await?
                .ok_or_else(|| missing(name))?;
            unit_ids.push(unit.id);
        }
        let mut service_item_ids = Vec::new();
        for title in p.items {
            if let Some(item) = service_item::find_by_title(db, committee.id, title).await? {
                service_item_ids.push(item.id);
            }
        }
        let by = if parent == tangxia.id {
            admin
        } else if p.by_drivers {
            &drivers
        } else {
            &worker
        };
        record_committee_activity(
            state,
            by,
            NewCommitteeActivity {
                client_id,
                committee_region_id: committee.id,
                kind: p.kind,
                held_on: today - Days::new(p.days_back),
                title: p.title.into(),
                unit_ids,
                people_reached: p.people,
                notes: Some(p.notes.into()),
                service_item_ids,
                photos: if p.photo { photo() } else { Vec::new() },
            },
        )
        .await?;
        added += 1;
    }
    Ok(added)
}
