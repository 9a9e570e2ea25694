//! The resolved caller: account, role and region scope. Built once per request from the access
//! token and the account row; every service call takes it, every store list query filters by its
//! `Scope` in SQL.
use crate::domain::people::GridMemberKind;
use crate::domain::region::{is_within, subtree_range};
use crate::domain::role::Role;
use uuid::Uuid;

/// Where a caller may look: the whole tree, or the subtrees under some region paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Region paths (each ending in `/`). Empty means nothing is in scope.
    Under(Vec<String>),
}

impl Scope {
    pub fn contains_path(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Under(roots) => roots.iter().any(|root| is_within(path, root)),
        }
    }

    /// The byte ranges of region paths in scope (`None`: unrestricted).
    pub fn path_ranges(&self) -> Option<Vec<(String, String)>> {
        match self {
            Scope::All => None,
            Scope::Under(roots) => Some(roots.iter().map(|r| subtree_range(r)).collect()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: Uuid,
    pub session_id: Uuid,
    pub name: String,
    pub role: Role,
    /// The region the account is bound to (`None` for a city admin over the whole tree).
    pub region_id: Option<Uuid>,
    pub region_path: Option<String>,
    pub scope: Scope,
    /// UNIT_LIAISON: the unit it speaks for.
    pub member_unit_id: Option<Uuid>,
    /// GRID_MEMBER: full-time, part-time or professional (decides what personal data it sees).
    pub grid_member_kind: Option<GridMemberKind>,
}

impl Principal {
    pub fn has_role(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// Community workers and above: may see residents and reveal their identifiers.
    pub fn is_staff(&self) -> bool {
        self.role.rank() >= Role::CommunityWorker.rank()
    }

    /// May this caller see residents at all (masked)? Staff, and full-time or professional
    /// grid members; never part-time members or unit liaisons.
    pub fn sees_residents(&self) -> bool {
        self.is_staff()
            || (self.role == Role::GridMember
                && matches!(
                    self.grid_member_kind,
                    Some(GridMemberKind::FullTime) | Some(GridMemberKind::Professional)
                ))
    }
}

/// The caller of one request: who, and the request id their actions are logged under.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub request_id: String,
}
