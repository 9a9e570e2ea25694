//! The resolved caller: account, role and region scope. Built once per request from the access
//! token and the account row; every service call takes it, every store list query filters by its
//! `Scope` in SQL.
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
}

impl Principal {
    pub fn has_role(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }
}

/// The caller of one request: who, and the request id their actions are logged under.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub request_id: String,
}
