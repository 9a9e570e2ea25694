//! The five roles of DESIGN §4 and what each may do to accounts and regions.
use super::region::{RegionLevel, string_enum};

string_enum!(
    /// The role an account acts in.
    Role {
        CityAdmin => "CITY_ADMIN",
        SubDistrictAdmin => "SUB_DISTRICT_ADMIN",
        CommunityWorker => "COMMUNITY_WORKER",
        GridMember => "GRID_MEMBER",
        UnitLiaison => "UNIT_LIAISON",
    }
);

impl Role {
    /// Higher outranks lower; an admin may only grant roles at or below its own.
    pub fn rank(self) -> u8 {
        match self {
            Role::CityAdmin => 4,
            Role::SubDistrictAdmin => 3,
            Role::CommunityWorker => 2,
            Role::GridMember | Role::UnitLiaison => 1,
        }
    }

    /// The region levels an account of this role may be bound to (`None`: the whole tree).
    pub fn binds_to(self, level: Option<RegionLevel>) -> bool {
        use RegionLevel::*;
        match self {
            Role::CityAdmin => matches!(level, None | Some(City)),
            Role::SubDistrictAdmin => level == Some(SubDistrict),
            Role::CommunityWorker => level == Some(Community),
            Role::GridMember => level == Some(Grid),
            // A liaison works where its unit is registered; city-level units have no region.
            Role::UnitLiaison => matches!(
                level,
                None | Some(City) | Some(SubDistrict) | Some(Community)
            ),
        }
    }

    /// May this role create and disable accounts?
    pub fn manages_accounts(self) -> bool {
        matches!(self, Role::CityAdmin | Role::SubDistrictAdmin)
    }

    /// May this role create and change regions?
    pub fn manages_regions(self) -> bool {
        matches!(self, Role::CityAdmin | Role::SubDistrictAdmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_bind_to_their_level() {
        assert!(Role::CityAdmin.binds_to(None));
        assert!(!Role::SubDistrictAdmin.binds_to(None));
        assert!(Role::CommunityWorker.binds_to(Some(RegionLevel::Community)));
        assert!(!Role::GridMember.binds_to(Some(RegionLevel::Community)));
        assert!(Role::CityAdmin.rank() > Role::SubDistrictAdmin.rank());
    }

    #[test]
    fn codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
    }
}
