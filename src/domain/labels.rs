//! zh-CN display labels of every enum the API serves, so clients never hard-code Chinese.
use super::committee::CommitteeActivityKind;
use super::event::{
    DeadlineStage, DeadlineStatus, EventAction, EventCategory, EventPriority, EventSource,
    EventState, PointsReason, ReporterKind, Resolution,
};
use super::notification::NotificationKind;
use super::people::{CommitteeKind, GridMemberKind, GridRole, MemberUnitKind, Occupation};
use super::region::{GridKind, RegionLevel};
use super::resident::{Gender, ResidenceType, ResidentTag};
use super::role::Role;
use super::service_item::{
    ServiceCategory, ServiceClaimState, ServiceDirection, ServiceItemKind, ServiceItemState,
    ServiceStepAction,
};

/// `Labelled` for an enum made by `string_enum!`, from (value, label) pairs.
macro_rules! labelled {
    ($ty:ident, $($variant:ident => $label:literal),+ $(,)?) => {
        impl Labelled for $ty {
            const ENUM: &'static str = stringify!($ty);
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn label(self) -> &'static str {
                match self { $($ty::$variant => $label),+ }
            }
        }
    };
}

labelled!(NotificationKind,
    EventDispatched => "事件派遣", EventReopened => "事件重新打开", ReportAccepted => "上报已受理",
    ReportRejected => "上报被退回", ReportResolved => "上报已办结", ReportClosed => "上报已结案",
    DeadlineBreached => "处置超时", ClaimReleased => "认领超期释放");
labelled!(Gender, Male => "男", Female => "女");
labelled!(ResidenceType, Registered => "户籍人口", Permanent => "常住人口", Floating => "流动人口", Tenant => "租住人员");
labelled!(ResidentTag,
    ElderlyAlone => "独居老人", Disabled => "残疾人", LowIncome => "低收入", Veteran => "退役军人",
    LeftBehindChild => "留守儿童", SeriousIllness => "重病患者", PartyMember => "党员",
    BuildingHead => "志愿楼长", Volunteer => "志愿者");
labelled!(GridMemberKind, FullTime => "专职网格员", PartTime => "兼职网格员", Professional => "专业网格员");
labelled!(Occupation,
    DeliveryRider => "外卖骑手", Courier => "快递员", RideHailingDriver => "网约车司机",
    TruckDriver => "货车司机", PropertyStaff => "物业人员", Police => "社区民警",
    CommunityWorker => "社区工作者", Volunteer => "志愿者", Other => "其他");
labelled!(GridRole, Head => "网格长", DeputyHead => "副网格长", Member => "网格员");
labelled!(MemberUnitKind,
    GovernmentDepartment => "政府部门", Enterprise => "企业", School => "学校", Hospital => "医院",
    PropertyManagement => "物业服务企业", SocialOrganisation => "社会组织",
    PartyBranch => "党组织（含新就业群体流动党支部）", Other => "其他");
labelled!(CommitteeKind, CommunityPartyCommittee => "社区大党委", SubDistrictWorkingCommittee => "街道大工委");
labelled!(CommitteeActivityKind, Meeting => "联席会议", Activity => "共建活动");
labelled!(ServiceDirection, Need => "需求清单", Offer => "资源清单");
labelled!(ServiceItemKind, Project => "服务项目", MicroWish => "微心愿");
labelled!(ServiceCategory,
    ElderlyCare => "养老助老", ChildCare => "儿童关爱", Education => "教育助学", Health => "医疗健康",
    LegalAid => "法律援助", Employment => "就业帮扶", Environment => "环境整治", Safety => "平安建设",
    Culture => "文体活动", Other => "其他");
labelled!(ServiceItemState, Open => "可认领", Full => "已满额", Closed => "已关闭", Cancelled => "已取消");
labelled!(ServiceClaimState,
    Claimed => "已认领", InProgress => "实施中", Completed => "已完成", Verified => "已验收",
    Withdrawn => "已撤回", Released => "逾期释放");
labelled!(ServiceStepAction,
    Posted => "发布", Claimed => "认领", Started => "开始实施", Completed => "报告完成",
    Verified => "验收", Withdrawn => "撤回认领", Released => "逾期释放", Rescheduled => "调整截止日期",
    Closed => "关闭", Cancelled => "取消");

labelled!(EventCategory,
    Sanitation => "环境卫生", SafetyHazard => "安全隐患", Dispute => "矛盾纠纷",
    IllegalOccupation => "违停与占道", DamagedFacility => "设施损坏", FireRisk => "消防隐患",
    RentalHousing => "出租屋与流动人口", FloodTyphoon => "三防（防汛防台风）", Other => "其他");
labelled!(EventSource,
    Patrol => "巡查上报", ResidentRequest => "群众诉求", Hotline12345 => "12345热线",
    EnterpriseRequest => "企业诉求");
labelled!(EventPriority, Low => "低", Normal => "一般", High => "紧急", Urgent => "特急");
labelled!(EventState,
    Reported => "已上报", Accepted => "已受理", Dispatched => "已派遣", InProgress => "处置中",
    Resolved => "已办结待核查", Closed => "已结案", Rejected => "已退回", Suspended => "已挂起",
    Merged => "已合并");
labelled!(Resolution, OnSite => "小事网格办（就地办结）", Handled => "部门处置");
labelled!(ReporterKind,
    PartTime => "兼职网格员", FullTime => "专职网格员", Professional => "专业网格员",
    Staff => "工作人员");
labelled!(EventAction,
    Reported => "上报", Accepted => "受理", Rejected => "退回", Dispatched => "派遣",
    Started => "开始处置", Resolved => "办结", Closed => "结案", Reopened => "重新打开",
    Suspended => "挂起", Resumed => "恢复", Escalated => "上报上级", MergedInto => "并入其他事件",
    MergedFrom => "合并重复事件", DeadlineBreached => "超时");
labelled!(DeadlineStage, Accept => "受理时限", Plan => "方案时限", Close => "办结时限");
labelled!(DeadlineStatus, Met => "按时", Pending => "进行中", DueSoon => "即将超时", Breached => "已超时");
labelled!(PointsReason, ReportAccepted => "上报被受理", OnSiteResolution => "就地办结", Reversal => "冲正");

/// An enum whose values have a zh-CN display label.
pub trait Labelled: Sized + Copy + 'static {
    /// The GraphQL name of the enum.
    const ENUM: &'static str;
    fn all() -> &'static [Self];
    fn code(self) -> &'static str;
    fn label(self) -> &'static str;
}

impl Labelled for RegionLevel {
    const ENUM: &'static str = "RegionLevel";
    fn all() -> &'static [Self] {
        Self::ALL
    }
    fn code(self) -> &'static str {
        self.as_str()
    }
    fn label(self) -> &'static str {
        match self {
            RegionLevel::City => "市",
            RegionLevel::SubDistrict => "街道/镇",
            RegionLevel::Community => "社区/村",
            RegionLevel::Grid => "网格",
            RegionLevel::Compound => "小区/最小单元",
        }
    }
}

impl Labelled for GridKind {
    const ENUM: &'static str = "GridKind";
    fn all() -> &'static [Self] {
        Self::ALL
    }
    fn code(self) -> &'static str {
        self.as_str()
    }
    fn label(self) -> &'static str {
        match self {
            GridKind::Residential => "城镇社区网格",
            GridKind::Rural => "农村网格",
            GridKind::IndustrialPark => "产业园区网格",
        }
    }
}

impl Labelled for Role {
    const ENUM: &'static str = "Role";
    fn all() -> &'static [Self] {
        Self::ALL
    }
    fn code(self) -> &'static str {
        self.as_str()
    }
    fn label(self) -> &'static str {
        match self {
            Role::CityAdmin => "市级管理员",
            Role::SubDistrictAdmin => "街道（镇）管理员",
            Role::CommunityWorker => "社区工作者",
            Role::GridMember => "网格员",
            Role::UnitLiaison => "成员单位联络员",
        }
    }
}

/// One enum's values with their labels.
#[derive(Debug, Clone)]
pub struct EnumLabels {
    pub name: &'static str,
    pub values: Vec<(&'static str, &'static str)>,
}

fn of<T: Labelled>() -> EnumLabels {
    EnumLabels {
        name: T::ENUM,
        values: T::all().iter().map(|v| (v.code(), v.label())).collect(),
    }
}

/// Every labelled enum. A new enum is added here.
pub fn all_labels() -> Vec<EnumLabels> {
    vec![
        of::<RegionLevel>(),
        of::<GridKind>(),
        of::<Role>(),
        of::<Gender>(),
        of::<ResidenceType>(),
        of::<ResidentTag>(),
        of::<GridMemberKind>(),
        of::<Occupation>(),
        of::<GridRole>(),
        of::<MemberUnitKind>(),
        of::<CommitteeKind>(),
        of::<EventCategory>(),
        of::<EventSource>(),
        of::<EventPriority>(),
        of::<EventState>(),
        of::<Resolution>(),
        of::<ReporterKind>(),
        of::<EventAction>(),
        of::<DeadlineStage>(),
        of::<DeadlineStatus>(),
        of::<PointsReason>(),
        of::<ServiceDirection>(),
        of::<ServiceItemKind>(),
        of::<ServiceCategory>(),
        of::<ServiceItemState>(),
        of::<ServiceClaimState>(),
        of::<ServiceStepAction>(),
        of::<CommitteeActivityKind>(),
        of::<NotificationKind>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_has_a_label() {
        for e in all_labels() {
            assert!(!e.values.is_empty());
            for (code, label) in e.values {
                assert!(!code.is_empty() && !label.is_empty(), "{}", e.name);
            }
        }
    }
}
