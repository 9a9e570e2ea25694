//! Demo events in 凤凰社区: one or more in every state, with timelines and photos, reported by
//! the demo grid members and handled by the community worker, the sub-district and the drivers'
//! party branch. Each scenario has a fixed event id; a scenario whose event exists is skipped,
//! so seeding twice adds nothing.
use super::DEMO_ACCOUNTS;
use crate::access::principal;
use crate::access::{Actor, Principal};
use crate::domain::event::{EventCategory, EventPriority, EventSource, Resolution, Step};
use crate::error::{AppError, AppResult};
use crate::service::event::{NewReport, StepInput, apply_step, merge_events, report_event};
use crate::service::photo::IncomingPhoto;
use crate::state::AppState;
use crate::store::{account, event};
use base64::Engine;
use chrono::Duration;
use uuid::Uuid;

/// A real 1×1 PNG, so demo photos display.
const PIXEL_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

pub(super) fn photo() -> Vec<IncomingPhoto> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(PIXEL_PNG)
        .unwrap_or_default();
    vec![IncomingPhoto::new(bytes)]
}

fn demo_id(n: u128) -> Uuid {
    // Fixed, recognisable ids: 0197…-demo-…
    Uuid::from_u128(0x0197_0000_0000_7000_8000_de00_0000_0000 + n)
}

/// The principal of a demo account, as a login would resolve it.
pub(super) async fn principal_of(state: &AppState, phone: &str) -> AppResult<Principal> {
    let hashes = state.pii.lookup_hashes("phone", phone);
    let row = account::find_by_phone_hashes(&state.db, &hashes)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("demo account {phone} missing")))?;
    principal::resolve_offline(&state.db, row.id).await
}

struct Cast {
    worker: Actor,
    sub_district: Actor,
    head: Actor,
    rider: Actor,
    liaison: Actor,
}

fn as_actor(principal: Principal) -> Actor {
    Actor {
        principal,
        request_id: "seed-demo".into(),
    }
}

struct Scenario {
    n: u128,
    category: EventCategory,
    priority: EventPriority,
    title: &'static str,
    description: &'static str,
    address: &'static str,
    hours_ago: i64,
    by_rider: bool,
}

/// Seeds the demo events; returns how many were created.
pub async fn demo_events(
    state: &AppState,
    fg1: Uuid,
    fg2: Uuid,
    police: Uuid,
    drivers: Uuid,
) -> AppResult<usize> {
    let cast = Cast {
        worker: as_actor(principal_of(state, DEMO_ACCOUNTS[2].phone).await?),
        sub_district: as_actor(principal_of(state, DEMO_ACCOUNTS[1].phone).await?),
        head: as_actor(principal_of(state, DEMO_ACCOUNTS[3].phone).await?),
        rider: as_actor(principal_of(state, DEMO_ACCOUNTS[5].phone).await?),
        liaison: as_actor(principal_of(state, DEMO_ACCOUNTS[4].phone).await?),
    };
    use EventCategory::*;
    let scenarios = [
        Scenario {
            n: 1,
            category: IllegalOccupation,
            priority: EventPriority::Normal,
            title: "体育公园门口共享单车乱停放",
            description: "约三十辆共享单车堵住人行道，行人只能走机动车道。",
            address: "沙坪街道体育公园南门",
            hours_ago: 0,
            by_rider: true,
        },
        Scenario {
            n: 2,
            category: FireRisk,
            priority: EventPriority::High,
            title: "凤凰花园3栋楼道电动车充电",
            description: "楼道内有电动车飞线充电，堵塞消防通道。",
            address: "凤凰花园3栋一楼",
            hours_ago: 3,
            by_rider: false,
        },
        Scenario {
            n: 3,
            category: Sanitation,
            priority: EventPriority::Normal,
            title: "凤凰路垃圾桶满溢",
            description: "垃圾桶满溢两天未清运，气味较大。",
            address: "凤凰路28号旁",
            hours_ago: 5,
            by_rider: true,
        },
        Scenario {
            n: 4,
            category: DamagedFacility,
            priority: EventPriority::High,
            title: "凤凰路口红绿灯故障",
            description: "路口信号灯黄灯常亮，早高峰车辆拥堵。",
            address: "凤凰路与新华路交叉口",
            hours_ago: 8,
            by_rider: true,
        },
        Scenario {
            n: 5,
            category: SafetyHazard,
            priority: EventPriority::Normal,
            title: "学校门口接送车辆乱停",
            description: "放学时段接送车辆占道，学生穿行危险。",
            address: "凤凰小学正门",
            hours_ago: 26,
            by_rider: false,
        },
        Scenario {
            n: 6,
            category: Sanitation,
            priority: EventPriority::Low,
            title: "小区门口杂物堆放",
            description: "装修垃圾堆在小区门口。",
            address: "体育公园小区东门",
            hours_ago: 2,
            by_rider: true,
        },
        Scenario {
            n: 7,
            category: DamagedFacility,
            priority: EventPriority::Normal,
            title: "井盖松动",
            description: "电动车经过时井盖翘起，有翻车危险。",
            address: "凤凰花园北侧人行道",
            hours_ago: 72,
            by_rider: true,
        },
        Scenario {
            n: 8,
            category: IllegalOccupation,
            priority: EventPriority::Normal,
            title: "体育公园门口单车堵路",
            description: "单车堵住人行道（与先前上报为同一处）。",
            address: "沙坪街道体育公园南门",
            hours_ago: 0,
            by_rider: false,
        },
        Scenario {
            n: 9,
            category: SafetyHazard,
            priority: EventPriority::High,
            title: "老旧小区外墙瓷砖脱落",
            description: "外墙瓷砖有脱落迹象，下方为人行通道，已临时拉警戒线。",
            address: "凤凰花园1栋",
            hours_ago: 30,
            by_rider: false,
        },
        Scenario {
            n: 10,
            category: DamagedFacility,
            priority: EventPriority::High,
            title: "红绿灯不亮",
            description: "凤凰路口信号灯异常（重复上报）。",
            address: "凤凰路与新华路交叉口",
            hours_ago: 7,
            by_rider: false,
        },
        Scenario {
            n: 11,
            category: Dispute,
            priority: EventPriority::Normal,
            title: "商铺与居民噪音纠纷",
            description: "夜市商铺营业至凌晨，楼上居民多次投诉，涉及两个社区。",
            address: "凤凰路夜市",
            hours_ago: 20,
            by_rider: false,
        },
        Scenario {
            n: 12,
            category: FloodTyphoon,
            priority: EventPriority::Urgent,
            title: "地下车库入口积水",
            description: "暴雨后地下车库入口积水约20厘米。",
            address: "凤凰花园地下车库",
            hours_ago: 50,
            by_rider: true,
        },
    ];
    let now = state.now();
    let mut created = 0;
    for sc in &scenarios {
        let id = demo_id(sc.n);
        if event::find_unscoped(&state.db, id).await?.is_some() {
            continue;
        }
        let reporter = if sc.by_rider { &cast.rider } else { &cast.head };
        let grid = if sc.by_rider { fg2 } else { fg1 };
        report_event(
            state,
            reporter,
            NewReport {
                client_id: id,
                category: sc.category,
                source: EventSource::Patrol,
                priority: sc.priority,
                title: sc.title.into(),
                description: sc.description.into(),
                lat: 22.7601 + sc.n as f64 * 0.0002,
                lng: 112.9601,
                address: Some(sc.address.into()),
                captured_at: now - Duration::hours(sc.hours_ago) - Duration::minutes(15),
                grid_id: Some(grid),
                resident_ids: Vec::new(),
                photos: if sc.n % 2 == 1 { photo() } else { Vec::new() },
            },
        )
        .await?;
        created += 1;
        handle(state, &cast, sc.n, id, police, drivers).await?;
    }
    Ok(created)
}

fn note(text: &str) -> StepInput {
    StepInput {
        note: Some(text.into()),
        ..StepInput::default()
    }
}

/// Moves scenario `n` to the state it is meant to show.
async fn handle(
    state: &AppState,
    cast: &Cast,
    n: u128,
    id: Uuid,
    police: Uuid,
    drivers: Uuid,
) -> AppResult<()> {
    let step = |actor: &'static str, s: Step, input: StepInput| {
        let actor = match actor {
            "worker" => &cast.worker,
            "sub" => &cast.sub_district,
            "head" => &cast.head,
            "rider" => &cast.rider,
            _ => &cast.liaison,
        };
        apply_step(state, actor, id, s, input)
    };
    let dispatch = |unit: Uuid, text: &str| StepInput {
        unit_id: Some(unit),
        note: Some(text.into()),
        ..StepInput::default()
    };
    match n {
        // 1: REPORTED, fresh. 2: REPORTED and past its accept clock.
        3 => {
            step("worker", Step::Accept, note("已通知环卫")).await?;
        }
        4 => {
            step("worker", Step::Accept, StepInput::default()).await?;
            step(
                "worker",
                Step::Dispatch,
                dispatch(police, "请交警大队派员检修信号灯并疏导交通"),
            )
            .await?;
        }
        5 => {
            step("worker", Step::Accept, StepInput::default()).await?;
            step(
                "worker",
                Step::Dispatch,
                dispatch(drivers, "请流动党支部司机在放学时段协助疏导"),
            )
            .await?;
            step("liaison", Step::Start, note("已安排三名党员司机到岗")).await?;
        }
        6 => {
            step(
                "rider",
                Step::Resolve(Resolution::OnSite),
                StepInput {
                    note: Some("已联系业主当场清运".into()),
                    photos: photo(),
                    ..StepInput::default()
                },
            )
            .await?;
        }
        7 => {
            step("worker", Step::Accept, StepInput::default()).await?;
            step("worker", Step::Start, note("社区联系市政维修")).await?;
            step(
                "worker",
                Step::Resolve(Resolution::Handled),
                StepInput {
                    note: Some("已更换井盖并加固".into()),
                    photos: photo(),
                    ..StepInput::default()
                },
            )
            .await?;
            step(
                "worker",
                Step::Close,
                StepInput {
                    satisfaction: Some(5),
                    note: Some("回访上报人，满意".into()),
                    ..StepInput::default()
                },
            )
            .await?;
        }
        8 => {
            step(
                "worker",
                Step::Reject,
                StepInput {
                    note: Some("与已上报事件重复".into()),
                    duplicate_of: Some(demo_id(1)),
                    ..StepInput::default()
                },
            )
            .await?;
        }
        9 => {
            step("worker", Step::Accept, StepInput::default()).await?;
            step(
                "worker",
                Step::Suspend,
                note("等待住建局鉴定外墙安全，暂停计时"),
            )
            .await?;
        }
        10 => {
            merge_events(
                state,
                &cast.worker,
                demo_id(4),
                vec![id],
                Some("同一路口信号灯故障".into()),
            )
            .await?;
        }
        11 => {
            step("worker", Step::Escalate, note("涉及两个社区，提请街道协调")).await?;
            step("sub", Step::Accept, note("街道综治中心受理")).await?;
        }
        12 => {
            step("worker", Step::Accept, StepInput::default()).await?;
            step(
                "worker",
                Step::Dispatch,
                dispatch(drivers, "请协助抽水并设置警示"),
            )
            .await?;
            step("liaison", Step::Start, StepInput::default()).await?;
            step(
                "liaison",
                Step::Resolve(Resolution::Handled),
                note("已抽干积水"),
            )
            .await?;
            step("rider", Step::Reopen, note("今天又积水了，排水口仍然堵塞")).await?;
        }
        _ => {}
    }
    Ok(())
}
