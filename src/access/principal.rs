//! The resolved caller: account, role and region scope. `resolve` builds it — the one way, used
//! by the request path and the seeders alike; every service call takes it, every store list
//! query filters by what access/ derives from it.
use crate::domain::people::GridMemberKind;
use crate::domain::region::{RegionLevel, is_within, subtree_range};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::store::{account, grid_member};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// Where a caller may look: the whole tree, or the subtrees under some region paths. Only
/// access/ grants a scope; elsewhere a scope is the caller's, narrowed (`within`), or `nothing`.
/// A read that must see everything (sweeps, seeding, the caller's own row) calls a store
/// function named for it (`find_unscoped`), never a scope meaning "everything".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(Reach);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    Everything,
    /// Region paths (each ending in `/`). Empty means nothing is in scope.
    Under(Vec<String>),
}

impl Scope {
    pub(in crate::access) fn everything() -> Self {
        Scope(Reach::Everything)
    }

    pub(in crate::access) fn under(paths: Vec<String>) -> Self {
        Scope(Reach::Under(paths))
    }

    /// Nothing at all (an anonymous caller, a liaison's region scope).
    pub fn nothing() -> Self {
        Scope(Reach::Under(Vec::new()))
    }

    /// The subtree of one region that was found in the caller's scope: a narrowing filter
    /// (`regionId:` arguments), never a grant.
    pub fn within(region_path: &str) -> Self {
        Scope(Reach::Under(vec![region_path.to_owned()]))
    }

    /// Does this scope hold the whole tree (a city admin bound to no region)?
    pub fn is_everything(&self) -> bool {
        self.0 == Reach::Everything
    }

    pub fn contains_path(&self, path: &str) -> bool {
        match &self.0 {
            Reach::Everything => true,
            Reach::Under(roots) => roots.iter().any(|root| is_within(path, root)),
        }
    }

    /// The byte ranges of region paths in scope (`None`: unrestricted).
    pub fn path_ranges(&self) -> Option<Vec<(String, String)>> {
        match &self.0 {
            Reach::Everything => None,
            Reach::Under(roots) => Some(roots.iter().map(|r| subtree_range(r)).collect()),
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
    pub region_level: Option<RegionLevel>,
    pub scope: Scope,
    /// UNIT_LIAISON: the unit it speaks for.
    pub member_unit_id: Option<Uuid>,
    /// GRID_MEMBER: full-time, part-time or professional (decides what personal data it sees).
    pub grid_member_kind: Option<GridMemberKind>,
    /// UNIT_LIAISON: the region paths of the committees its unit sits on (what it sees of
    /// service items). Read with the rest of the caller, so it is as fresh as the principal
    /// cache: a unit joining a committee drops every cached caller.
    pub committee_paths: Option<Vec<String>>,
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

/// Which sessions may stand behind a principal.
#[derive(Debug, Clone, Copy)]
pub enum Session {
    /// A request: the account's session must be this one and not revoked.
    Live(Uuid),
    /// The command line and the seeders, which act for an account without logging in.
    Offline,
}

/// The caller behind an account (and session), or `None` if the account is disabled, or the
/// session is revoked or belongs to someone else. The one place scope is derived from an
/// account: its region's subtree; the whole tree for a city admin bound to no region; a grid
/// member's assigned grids; nothing for a liaison (its reach is its unit's committees).
pub async fn resolve(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    session: Session,
) -> AppResult<Option<Principal>> {
    let session_id = match session {
        Session::Live(id) => Some(id),
        Session::Offline => None,
    };
    let Some(row) = account::load_principal(db, account_id, session_id).await? else {
        return Ok(None);
    };
    let role = row.role;
    let scope = match (&row.region_path, role) {
        (None, Role::CityAdmin) => Scope::everything(),
        (_, Role::UnitLiaison) => Scope::nothing(),
        (Some(path), _) => Scope::under(vec![path.clone()]),
        // Bound to nothing and not a city admin: sees nothing.
        (None, _) => Scope::nothing(),
    };
    let mut principal = Principal {
        member_unit_id: row.member_unit_id,
        grid_member_kind: None,
        committee_paths: None,
        account_id: row.account_id,
        session_id: session_id.unwrap_or_else(Uuid::nil),
        name: row.name,
        role,
        region_id: row.region_id,
        region_path: row.region_path,
        region_level: row.region_level,
        scope,
    };
    if role == Role::GridMember {
        // A grid member's scope follows its grid assignments.
        if let Some((kind, paths)) = grid_member::scope_of_account(db, principal.account_id).await?
        {
            principal.grid_member_kind = Some(kind);
            principal.scope = Scope::under(paths);
        }
    }
    if let (Role::UnitLiaison, Some(unit_id)) = (role, principal.member_unit_id) {
        principal.committee_paths =
            Some(crate::store::service_item::committee_paths_of_unit(db, unit_id).await?);
    }
    Ok(Some(principal))
}

/// `resolve` for an account that must exist (seeders, the command line).
pub async fn resolve_offline(db: &impl ConnectionTrait, account_id: Uuid) -> AppResult<Principal> {
    resolve(db, account_id, Session::Offline)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("account {account_id} missing or disabled"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrowed_scope_holds_its_subtree_only() {
        let s = Scope::within("/a/b/");
        assert!(s.contains_path("/a/b/c/"));
        assert!(!s.contains_path("/a/x/"));
        assert!(!s.is_everything());
        assert!(!Scope::nothing().contains_path("/a/"));
        assert!(Scope::everything().contains_path("/a/"));
    }
}
