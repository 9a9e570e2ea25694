//! zh-CN display labels of every enum the API serves, so clients never hard-code Chinese.
use super::region::{GridKind, RegionLevel};
use super::role::Role;

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
    vec![of::<RegionLevel>(), of::<GridKind>(), of::<Role>()]
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
