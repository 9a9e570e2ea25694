//! Who may see figures (the dashboard, the CSV export) and for which region. DESIGN §4: staff
//! (community workers and above) see the figures of regions in their scope.
use super::principal::{Principal, Scope};
use crate::error::{AppError, AppResult};

/// The narrowing filter a figure is computed over: the subtree of `region_path`, for staff whose
/// scope holds it. Not staff: `FORBIDDEN`. A region that does not exist (`None`) or lies outside
/// the caller's scope: `NOT_FOUND`, so region ids cannot be probed.
pub fn figures_within(principal: &Principal, region_path: Option<&str>) -> AppResult<Scope> {
    if !principal.is_staff() {
        return Err(AppError::forbidden("只有社区工作者及以上可以查看统计"));
    }
    match region_path {
        Some(path) if principal.scope.contains_path(path) => Ok(Scope::within(path)),
        _ => Err(AppError::NotFound(
            "regionId: 区域不存在或不在您的管辖范围内".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::Role;
    use uuid::Uuid;

    fn principal(role: Role, path: &str) -> Principal {
        Principal {
            account_id: Uuid::nil(),
            session_id: Uuid::nil(),
            name: "x".into(),
            role,
            region_id: None,
            region_path: Some(path.into()),
            region_level: None,
            scope: Scope::under(vec![path.into()]),
            member_unit_id: None,
            grid_member_kind: None,
            committee_paths: None,
        }
    }

    #[test]
    fn staff_see_figures_of_their_subtree_only() {
        let worker = principal(Role::CommunityWorker, "/a/b/");
        assert!(figures_within(&worker, Some("/a/b/g/")).is_ok());
        assert_eq!(
            figures_within(&worker, Some("/a/c/")).unwrap_err().code(),
            "NOT_FOUND"
        );
        assert_eq!(
            figures_within(&worker, None).unwrap_err().code(),
            "NOT_FOUND"
        );
        let member = principal(Role::GridMember, "/a/b/g/");
        assert_eq!(
            figures_within(&member, Some("/a/b/g/")).unwrap_err().code(),
            "FORBIDDEN"
        );
        let liaison = principal(Role::UnitLiaison, "/a/");
        assert_eq!(
            figures_within(&liaison, Some("/a/")).unwrap_err().code(),
            "FORBIDDEN"
        );
    }
}
