//! Grid members and member units: kinds, occupations, grid roles, unit kinds.
use super::region::string_enum;

string_enum!(
    /// 专职 / 兼职 / 专业 grid members.
    GridMemberKind {
        FullTime => "FULL_TIME",
        PartTime => "PART_TIME",
        Professional => "PROFESSIONAL",
    }
);

string_enum!(
    Occupation {
        DeliveryRider => "DELIVERY_RIDER",
        Courier => "COURIER",
        RideHailingDriver => "RIDE_HAILING_DRIVER",
        TruckDriver => "TRUCK_DRIVER",
        PropertyStaff => "PROPERTY_STAFF",
        Police => "POLICE",
        CommunityWorker => "COMMUNITY_WORKER",
        Volunteer => "VOLUNTEER",
        Other => "OTHER",
    }
);

string_enum!(
    /// 网格长 / 副网格长 / 网格员.
    GridRole {
        Head => "HEAD",
        DeputyHead => "DEPUTY_HEAD",
        Member => "MEMBER",
    }
);

string_enum!(
    MemberUnitKind {
        GovernmentDepartment => "GOVERNMENT_DEPARTMENT",
        Enterprise => "ENTERPRISE",
        School => "SCHOOL",
        Hospital => "HOSPITAL",
        PropertyManagement => "PROPERTY_MANAGEMENT",
        SocialOrganisation => "SOCIAL_ORGANISATION",
        PartyBranch => "PARTY_BRANCH",
        Other => "OTHER",
    }
);

string_enum!(
    /// A community's big party committee (大党委) or a sub-district's big working committee (大工委).
    CommitteeKind {
        CommunityPartyCommittee => "COMMUNITY_PARTY_COMMITTEE",
        SubDistrictWorkingCommittee => "SUB_DISTRICT_WORKING_COMMITTEE",
    }
);
