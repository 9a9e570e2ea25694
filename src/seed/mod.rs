//! `gridhub seed demo`: a demo data set drawn from the seed articles — Heshan's Shaping
//! sub-district and its communities, Tangxia town's 80 grids (73 rural, 5 community, 2
//! industrial park), member units such as the traffic police and a drivers' mobile party branch,
//! their committees' meetings and co-building activities, grid members (many of them riders and drivers), residents with synthetic ID numbers, and one
//! demo account per role. Idempotent: every row is looked up by its natural key first, so a
//! second run adds nothing.
use crate::access::{Actor, principal};
use crate::domain::people::{GridMemberKind, GridRole, MemberUnitKind, Occupation};
use crate::domain::region::{GridKind, RegionLevel};
use crate::domain::resident::{ResidenceType, ResidentTag, check_char};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::account::{NewAccount, create_account, create_city_admin};
use crate::service::people::{
    Joining, NewGridMember, NewMemberUnit, assign_grid, create_grid_member, create_member_unit,
    join_committee,
};
use crate::service::region::{NewRegion, create_region};
use crate::service::resident::{ResidentInput, create_resident};
use crate::state::AppState;
use crate::store::{account, grid_member, member_unit, region, resident};
use chrono::NaiveDate;
use uuid::Uuid;

/// Committee meetings and co-building activities in 凤凰社区 and 棠下镇.
mod committee;
/// Demo events in every state.
mod events;
/// City-sized synthetic data for benchmarks.
pub mod scale;
/// Service items and claims in every state, played through the use-cases.
mod service;
pub use service::SERVICE_LIAISONS;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "Demo-grid-2026";

pub struct DemoAccount {
    pub role: Role,
    pub phone: &'static str,
    pub name: &'static str,
    pub scope: &'static str,
}

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        role: Role::CityAdmin,
        phone: "13800000001",
        name: "演示市管理员",
        scope: "全市",
    },
    DemoAccount {
        role: Role::SubDistrictAdmin,
        phone: "13800000002",
        name: "沙坪街道管理员",
        scope: "沙坪街道",
    },
    DemoAccount {
        role: Role::CommunityWorker,
        phone: "13800000003",
        name: "凤凰社区工作者",
        scope: "凤凰社区",
    },
    DemoAccount {
        role: Role::GridMember,
        phone: "13800000004",
        name: "凤凰网格长（专职）",
        scope: "凤凰第一网格",
    },
    DemoAccount {
        role: Role::UnitLiaison,
        phone: "13800000005",
        name: "流动党支部联络员",
        scope: "江门滴滴快优司机第一流动党支部",
    },
    DemoAccount {
        role: Role::GridMember,
        phone: "13800000006",
        name: "骑手兼职网格员",
        scope: "凤凰第二网格",
    },
];

#[derive(Debug, Default)]
pub struct SeedReport {
    pub regions: usize,
    pub residents: usize,
    pub grid_members: usize,
    pub member_units: usize,
    /// Demo events created by this run (0 when they were already there).
    pub events: usize,
    /// Committee meetings and activities recorded by this run (0 when they were already there).
    pub committee_activities: usize,
    /// The synthetic ID numbers seeded (for checks that none is stored in plain text).
    pub resident_id_numbers: Vec<String>,
    pub resident_phones: Vec<String>,
}

struct Seeder<'a> {
    state: &'a AppState,
    actor: Actor,
    report: SeedReport,
}

/// Treats "already there" as success.
fn existing<T>(result: AppResult<T>) -> AppResult<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(AppError::Conflict { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Seeder<'_> {
    async fn region(
        &mut self,
        parent: Option<Uuid>,
        level: RegionLevel,
        name: &str,
        kind: Option<GridKind>,
    ) -> AppResult<Uuid> {
        self.report.regions += 1;
        if let Some(row) = region::find_child(&self.state.db, parent, name).await? {
            return Ok(row.id);
        }
        let row = create_region(
            self.state,
            &self.actor,
            NewRegion {
                parent_id: parent,
                level,
                name: name.into(),
                code: None,
                grid_kind: kind,
                boundary: None,
            },
        )
        .await?;
        Ok(row.id)
    }

    async fn unit(
        &mut self,
        name: &str,
        kind: MemberUnitKind,
        region: Option<Uuid>,
        contact: (&str, &str),
    ) -> AppResult<Uuid> {
        self.report.member_units += 1;
        if let Some(row) = member_unit::find_by_name(&self.state.db, name).await? {
            return Ok(row.id);
        }
        let row = create_member_unit(
            self.state,
            &self.actor,
            NewMemberUnit {
                name: name.into(),
                kind,
                region_id: region,
                contact_name: Some(contact.0.into()),
                contact_phone: Some(contact.1.into()),
                address: None,
            },
        )
        .await?;
        Ok(row.id)
    }

    async fn join(
        &self,
        unit: Uuid,
        committee: Uuid,
        member: &str,
        joined: NaiveDate,
        commitments: &[&str],
    ) -> AppResult<()> {
        existing(
            join_committee(
                self.state,
                &self.actor,
                Joining {
                    unit_id: unit,
                    committee_region_id: committee,
                    concurrent_member_name: Some(member.into()),
                    joined_on: joined,
                    commitments: commitments.iter().map(|c| c.to_string()).collect(),
                    valid_from: Some(joined),
                    valid_to: joined.checked_add_months(chrono::Months::new(24)),
                },
            )
            .await,
        )?;
        Ok(())
    }

    async fn account(
        &self,
        demo: &DemoAccount,
        region: Option<Uuid>,
        unit: Option<Uuid>,
    ) -> AppResult<()> {
        let hashes = self.state.pii.lookup_hashes("phone", demo.phone);
        if account::find_by_phone_hashes(&self.state.db, &hashes)
            .await?
            .is_some()
        {
            return Ok(());
        }
        create_account(
            self.state,
            &self.actor,
            NewAccount {
                phone: demo.phone.into(),
                name: demo.name.into(),
                password: DEMO_PASSWORD.into(),
                role: demo.role,
                region_id: region,
                member_unit_id: unit,
            },
        )
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn member(
        &mut self,
        community: Uuid,
        grid: Uuid,
        role: GridRole,
        name: &str,
        phone: &str,
        kind: GridMemberKind,
        occupation: Occupation,
        employer: Option<&str>,
    ) -> AppResult<Uuid> {
        self.report.grid_members += 1;
        let hashes = self.state.pii.lookup_hashes("phone", phone);
        let id = match grid_member::find_by_phone_hashes(&self.state.db, &hashes).await? {
            Some(row) => row.id,
            None => {
                // Members whose phone is a demo account's log in with it.
                let has_login = DEMO_ACCOUNTS.iter().any(|a| a.phone == phone);
                create_grid_member(
                    self.state,
                    &self.actor,
                    NewGridMember {
                        region_id: community,
                        name: name.into(),
                        phone: phone.into(),
                        kind,
                        occupation,
                        employer: employer.map(str::to_owned),
                        party_member: matches!(
                            occupation,
                            Occupation::RideHailingDriver | Occupation::Courier
                        ),
                        password: has_login.then(|| DEMO_PASSWORD.to_owned()),
                    },
                )
                .await?
                .id
            }
        };
        existing(assign_grid(self.state, &self.actor, id, grid, role).await)?;
        Ok(id)
    }

    async fn resident(&mut self, home: Uuid, seq: u32, tags: Vec<ResidentTag>) -> AppResult<()> {
        self.report.residents += 1;
        let (id_number, phone) = synthetic_identity(seq);
        let name = synthetic_name(seq);
        self.report.resident_id_numbers.push(id_number.clone());
        self.report.resident_phones.push(phone.clone());
        let hashes = self.state.pii.lookup_hashes("id_number", &id_number);
        if resident::find_by_id_hashes(&self.state.db, &hashes)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let residence = [
            ResidenceType::Registered,
            ResidenceType::Permanent,
            ResidenceType::Floating,
            ResidenceType::Tenant,
        ];
        create_resident(
            self.state,
            &self.actor,
            ResidentInput {
                region_id: Some(home),
                name: Some(name),
                gender: None,
                birth_date: None,
                id_number: Some(id_number),
                phone: Some(Some(phone)),
                building: Some(Some(format!("{}栋", 1 + seq % 12))),
                unit: Some(Some(format!("{}单元", 1 + seq % 3))),
                room: Some(Some(format!("{}0{}", 1 + seq % 18, 1 + seq % 4))),
                address: None,
                household: Some(Some(format!("户-{:04}", seq / 2))),
                residence_type: Some(residence[(seq % 4) as usize]),
                tags: Some(tags),
            },
        )
        .await?;
        Ok(())
    }
}

/// Synthetic, clearly fake identifiers: area 440784, sequence 9xx, check digit valid; phones in
/// the 170 virtual-operator range.
pub fn synthetic_identity(seq: u32) -> (String, String) {
    let year = 1940 + (seq * 7) % 66;
    let month = 1 + seq % 12;
    let day = 1 + (seq * 3) % 28;
    let first17 = format!("440784{year:04}{month:02}{day:02}9{:02}", seq % 100);
    let check = check_char(&first17).unwrap_or('0');
    (format!("{first17}{check}"), format!("1700000{:04}", seq))
}

fn synthetic_name(seq: u32) -> String {
    const SURNAMES: &[&str] = &[
        "陈", "李", "黄", "张", "梁", "何", "吴", "冯", "罗", "林", "叶", "区",
    ];
    const GIVEN: &[&str] = &[
        "伯", "婆", "明", "华", "芳", "强", "丽", "伟", "秀英", "国强", "少珍", "志文", "嘉怡",
        "子轩",
    ];
    format!(
        "{}{}",
        SURNAMES[seq as usize % SURNAMES.len()],
        GIVEN[(seq as usize / 3) % GIVEN.len()]
    )
}

/// Seeds the demo data set; safe to run again.
pub async fn demo(state: &AppState) -> AppResult<SeedReport> {
    let admin_phone = DEMO_ACCOUNTS[0].phone;
    let hashes = state.pii.lookup_hashes("phone", admin_phone);
    let admin = match account::find_by_phone_hashes(&state.db, &hashes).await? {
        Some(row) => row,
        None => create_city_admin(state, admin_phone, DEMO_ACCOUNTS[0].name, DEMO_PASSWORD).await?,
    };
    let actor = Actor {
        principal: principal::resolve_offline(&state.db, admin.id).await?,
        request_id: "seed-demo".into(),
    };
    let mut s = Seeder {
        state,
        actor,
        report: SeedReport::default(),
    };
    use GridKind::*;
    use RegionLevel::*;

    let city = s.region(None, City, "江门市", None).await?;
    // 鹤山市沙坪街道 and its communities.
    let shaping = s.region(Some(city), SubDistrict, "沙坪街道", None).await?;
    let mut shaping_grids = Vec::new();
    let mut communities = Vec::new();
    for name in [
        "凤凰社区",
        "新华社区",
        "雁山社区",
        "祥盛社区",
        "和平社区",
        "桂林社区",
        "南山社区",
    ] {
        let c = s.region(Some(shaping), Community, name, None).await?;
        communities.push(c);
        for n in ["第一网格", "第二网格", "第三网格"] {
            let g = s
                .region(
                    Some(c),
                    Grid,
                    &format!("{}{}", name.trim_end_matches("社区"), n),
                    Some(Residential),
                )
                .await?;
            shaping_grids.push((c, g));
        }
    }
    let fenghuang = communities[0];
    let (fg1, fg2) = (shaping_grids[0].1, shaping_grids[1].1);
    let compound = s.region(Some(fg1), Compound, "凤凰花园", None).await?;
    s.region(Some(fg2), Compound, "体育公园小区", None).await?;

    // 蓬江区棠下镇: 80 grids — 73 rural, 5 community, 2 industrial park.
    let tangxia = s.region(Some(city), SubDistrict, "棠下镇", None).await?;
    let villages = [
        "周郡村",
        "石头村",
        "桐井村",
        "良溪村",
        "虎岭村",
        "江头村",
        "堡棠村",
        "三堡村",
        "天乡村",
        "大林村",
        "东华村",
    ];
    let mut rural = 0;
    for (i, village) in villages.iter().enumerate() {
        let v = s.region(Some(tangxia), Community, village, None).await?;
        let count = if i < 7 { 7 } else { 6 };
        for n in 1..=count {
            s.region(
                Some(v),
                Grid,
                &format!("{}第{}网格", village.trim_end_matches('村'), n),
                Some(Rural),
            )
            .await?;
            rural += 1;
        }
    }
    debug_assert_eq!(rural, 73);
    let binjiang = s.region(Some(tangxia), Community, "滨江社区", None).await?;
    let xinchang = s.region(Some(tangxia), Community, "新昌社区", None).await?;
    let tangxia_c = s.region(Some(tangxia), Community, "棠下社区", None).await?;
    for (c, n) in [
        (binjiang, 1),
        (binjiang, 2),
        (xinchang, 1),
        (tangxia_c, 1),
        (tangxia_c, 2),
    ] {
        let prefix = if c == binjiang {
            "滨江"
        } else if c == xinchang {
            "新昌"
        } else {
            "棠下"
        };
        s.region(
            Some(c),
            Grid,
            &format!("{prefix}社区第{n}网格"),
            Some(Residential),
        )
        .await?;
    }
    for n in ["第一", "第二"] {
        s.region(
            Some(tangxia_c),
            Grid,
            &format!("蓬江产业园棠下片区{n}网格"),
            Some(IndustrialPark),
        )
        .await?;
    }

    // Member units.
    let police = s
        .unit(
            "鹤山市公安局交通警察大队",
            MemberUnitKind::GovernmentDepartment,
            None,
            ("梁警官", "13500000001"),
        )
        .await?;
    let housing = s
        .unit(
            "鹤山市住房和城乡建设局",
            MemberUnitKind::GovernmentDepartment,
            None,
            ("何科长", "13500000002"),
        )
        .await?;
    let urban = s
        .unit(
            "鹤山市城市管理和综合执法局",
            MemberUnitKind::GovernmentDepartment,
            None,
            ("吴队长", "13500000003"),
        )
        .await?;
    let drivers = s
        .unit(
            "江门滴滴快优司机第一流动党支部",
            MemberUnitKind::PartyBranch,
            Some(city),
            ("冯书记", "13500000004"),
        )
        .await?;
    let couriers = s
        .unit(
            "顺丰党员先锋队",
            MemberUnitKind::PartyBranch,
            Some(city),
            ("罗队长", "13500000005"),
        )
        .await?;
    let property = s
        .unit(
            "凤凰花园物业服务中心党支部",
            MemberUnitKind::PropertyManagement,
            Some(fenghuang),
            ("林经理", "13500000006"),
        )
        .await?;
    let school = s
        .unit(
            "棠下中学",
            MemberUnitKind::School,
            Some(tangxia),
            ("叶主任", "13500000007"),
        )
        .await?;
    let hospital = s
        .unit(
            "鹤山市人民医院",
            MemberUnitKind::Hospital,
            Some(shaping),
            ("区医生", "13500000008"),
        )
        .await?;
    let enterprise = s
        .unit(
            "海信（广东）空调有限公司",
            MemberUnitKind::Enterprise,
            Some(tangxia_c),
            ("陈主管", "13500000009"),
        )
        .await?;
    // 棠下镇's community committees (the article on its 80 grids names them).
    let poly = s
        .unit(
            "保利物业江门分公司党支部",
            MemberUnitKind::PropertyManagement,
            Some(binjiang),
            ("阮彩峰", "13500000010"),
        )
        .await?;
    let primary = s
        .unit(
            "范罗冈小学滨江校区",
            MemberUnitKind::School,
            Some(binjiang),
            ("黄老师", "13500000011"),
        )
        .await?;
    let joined = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
    s.join(
        police,
        fenghuang,
        "梁警官",
        joined,
        &["上下学高峰护学岗", "整治小区周边乱停放"],
    )
    .await?;
    s.join(
        housing,
        shaping,
        "何科长",
        joined,
        &["老旧小区改造技术指导"],
    )
    .await?;
    s.join(urban, shaping, "吴队长", joined, &["占道经营联合整治"])
        .await?;
    s.join(
        drivers,
        fenghuang,
        "冯书记",
        joined,
        &["雷锋车队接送高龄老人就医", "巡查中随手拍上报隐患"],
    )
    .await?;
    s.join(
        couriers,
        fenghuang,
        "罗队长",
        joined,
        &["送件途中关注独居老人", "骑行哨兵上报道路隐患"],
    )
    .await?;
    s.join(
        property,
        fenghuang,
        "林经理",
        joined,
        &["每月一次楼道清理", "消防通道巡查"],
    )
    .await?;
    s.join(
        hospital,
        fenghuang,
        "区医生",
        joined,
        &["中医理疗进社区", "每季度义诊"],
    )
    .await?;
    s.join(school, binjiang, "叶主任", joined, &["社区青少年暑期活动"])
        .await?;
    s.join(enterprise, tangxia, "陈主管", joined, &["园区安全生产联防"])
        .await?;
    s.join(
        enterprise,
        tangxia_c,
        "陈主管",
        joined,
        &["企业职工应急演练", "暖企走访对接需求"],
    )
    .await?;
    s.join(school, xinchang, "叶主任", joined, &["教师家长志愿服务队"])
        .await?;
    s.join(
        poly,
        binjiang,
        "阮彩峰",
        joined,
        &["保利星火志愿队入户走访", "台风前小区风险排查"],
    )
    .await?;
    s.join(
        primary,
        binjiang,
        "黄老师",
        joined,
        &["社区青少年活动", "课后托管"],
    )
    .await?;

    // Demo accounts, one per role.
    s.account(&DEMO_ACCOUNTS[1], Some(shaping), None).await?;
    s.account(&DEMO_ACCOUNTS[2], Some(fenghuang), None).await?;
    s.account(&DEMO_ACCOUNTS[4], None, Some(drivers)).await?;

    // Grid members: full-time heads, professional police deputies, and gig workers part-time.
    use GridMemberKind::*;
    use Occupation::*;
    s.member(
        fenghuang,
        fg1,
        GridRole::Head,
        "黄丽",
        DEMO_ACCOUNTS[3].phone,
        FullTime,
        CommunityWorker,
        None,
    )
    .await?;
    s.member(
        fenghuang,
        fg2,
        GridRole::Member,
        "张骑手",
        DEMO_ACCOUNTS[5].phone,
        PartTime,
        DeliveryRider,
        Some("美团外卖"),
    )
    .await?;
    s.member(
        fenghuang,
        fg1,
        GridRole::DeputyHead,
        "梁警官",
        "13600001001",
        Professional,
        Police,
        Some("鹤山市公安局"),
    )
    .await?;
    let gig = [
        ("李师傅", DeliveryRider, "饿了么"),
        ("陈快递", Courier, "顺丰速运"),
        ("何司机", RideHailingDriver, "滴滴出行"),
        ("吴骑手", DeliveryRider, "美团外卖"),
        ("冯快递", Courier, "中通快递"),
        ("罗司机", RideHailingDriver, "滴滴出行"),
        ("林骑手", DeliveryRider, "美团外卖"),
        ("叶快递", Courier, "京东物流"),
    ];
    for (i, (name, occupation, employer)) in gig.iter().enumerate() {
        let (c, g) = shaping_grids[(i * 2 + 1) % shaping_grids.len()];
        s.member(
            c,
            g,
            GridRole::Member,
            name,
            &format!("136000020{i:02}"),
            PartTime,
            *occupation,
            Some(employer),
        )
        .await?;
    }
    for (i, (c, g)) in shaping_grids.iter().enumerate().skip(1).step_by(3) {
        s.member(
            *c,
            *g,
            GridRole::Head,
            &format!("专职网格员{}", i + 1),
            &format!("136000030{i:02}"),
            FullTime,
            CommunityWorker,
            None,
        )
        .await?;
    }

    // Residents with synthetic identities, some in the vulnerable groups the members visit.
    use ResidentTag::*;
    let tag_sets = [
        vec![ElderlyAlone],
        vec![],
        vec![Disabled, LowIncome],
        vec![PartyMember, BuildingHead],
        vec![],
        vec![Veteran],
        vec![LeftBehindChild],
        vec![],
    ];
    for seq in 0..40u32 {
        let home = if seq < 10 {
            compound
        } else {
            shaping_grids[(seq as usize) % shaping_grids.len()].1
        };
        s.resident(home, seq, tag_sets[seq as usize % tag_sets.len()].clone())
            .await?;
    }
    s.report.events = events::demo_events(state, fg1, fg2, police, drivers).await?;
    service::demo(state, &s.actor).await?;
    s.report.committee_activities = committee::demo(state, &s.actor).await?;
    Ok(s.report)
}
