//! zh-CN display labels of every enum the API serves, so clients never hard-code Chinese.
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
        of::<ServiceDirection>(),
        of::<ServiceItemKind>(),
        of::<ServiceCategory>(),
        of::<ServiceItemState>(),
        of::<ServiceClaimState>(),
        of::<ServiceStepAction>(),
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
