//! Who may see and work an event. Reads: `EventReach`, the one filter the event store applies.
//! Writes: `judge`, a pure function of the step, the actor's standing and the row as it is now,
//! run with the state transition on every attempt (each retry after a version conflict too).
use super::principal::{Principal, Scope};
use crate::domain::event::{Resolution, Step};
use crate::domain::region::RegionLevel;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::store::event::EventRow;
use uuid::Uuid;

/// What of the event table a caller can reach: events in grids under its scope, what it reported
/// itself, and (a liaison) what was dispatched to its unit. Small enough for DataLoaders to
/// carry without the whole principal.
#[derive(Debug, Clone)]
pub struct EventReach {
    scope: Scope,
    account_id: Uuid,
    member_unit_id: Option<Uuid>,
    few_grids: bool,
}

impl EventReach {
    pub fn of(principal: &Principal) -> Self {
        EventReach {
            scope: principal.scope.clone(),
            account_id: principal.account_id,
            member_unit_id: principal.member_unit_id,
            few_grids: matches!(principal.role, Role::GridMember | Role::CommunityWorker),
        }
    }

    /// An anonymous caller: reaches nothing.
    pub fn nobody() -> Self {
        EventReach {
            scope: Scope::nothing(),
            account_id: Uuid::nil(),
            member_unit_id: None,
            few_grids: true,
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn account_id(&self) -> Uuid {
        self.account_id
    }

    pub fn member_unit_id(&self) -> Option<Uuid> {
        self.member_unit_id
    }

    /// The scope holds a few dozen grids at most (a grid member's grids, a community): a list
    /// reads each grid's newest events through the grid's index instead of walking the city's
    /// events by time.
    pub fn few_grids(&self) -> bool {
        self.few_grids
    }

    /// The store's filter, for one row already in hand whose grid lies at `grid_path`: its grid
    /// is in scope, the caller reported it, or it was dispatched to the caller's unit.
    pub fn sees(&self, row: &EventRow, grid_path: &str) -> bool {
        self.reaches(grid_path, row.reporter_account_id, row.assigned_unit_id)
    }

    fn reaches(&self, grid_path: &str, reporter: Uuid, assigned_unit: Option<Uuid>) -> bool {
        self.scope.contains_path(grid_path)
            || reporter == self.account_id
            || (self.member_unit_id.is_some() && assigned_unit == self.member_unit_id)
    }
}

/// May the caller report events? Everyone but unit liaisons (a liaison handles what is
/// dispatched to its unit; it does not patrol).
pub fn judge_reporting(principal: &Principal) -> AppResult<()> {
    if principal.role == Role::UnitLiaison {
        Err(AppError::forbidden("成员单位联络员不能上报事件"))
    } else {
        Ok(())
    }
}

/// May the caller set the deadline rules? City admins only: they are one policy for the city.
pub fn judge_setting_deadline_rules(principal: &Principal) -> AppResult<()> {
    if principal.role == Role::CityAdmin {
        Ok(())
    } else {
        Err(AppError::forbidden("只有市级管理员可以设置处置时限"))
    }
}

/// The role that handles events at a level.
fn role_for_level(level: RegionLevel) -> Role {
    match level {
        RegionLevel::City => Role::CityAdmin,
        RegionLevel::SubDistrict => Role::SubDistrictAdmin,
        _ => Role::CommunityWorker,
    }
}

/// The actor's place relative to one event's grid; what may change between attempts (level,
/// unit) is read from the row when judging.
#[derive(Debug, Clone)]
pub struct Standing {
    role: Role,
    account_id: Uuid,
    member_unit_id: Option<Uuid>,
    /// The event's grid lies in the actor's scope.
    grid_in_scope: bool,
}

impl Standing {
    /// `grid_path`: the path of the event's grid (it never changes).
    pub fn of(principal: &Principal, grid_path: Option<&str>) -> Self {
        Standing {
            role: principal.role,
            account_id: principal.account_id,
            member_unit_id: principal.member_unit_id,
            grid_in_scope: grid_path.is_some_and(|p| principal.scope.contains_path(p)),
        }
    }

    fn staff_in_scope(&self) -> bool {
        self.role.rank() >= Role::CommunityWorker.rank() && self.grid_in_scope
    }
}

/// May the actor take `step` on the event as `row` stands now? `FORBIDDEN` if not.
pub fn judge(step: Step, standing: &Standing, row: &EventRow) -> AppResult<()> {
    let s = standing;
    let level = row.level;
    let staff_in_scope = s.staff_in_scope();
    let handles_level = staff_in_scope && s.role.rank() >= role_for_level(level).rank();
    let member_of_grid = s.role == Role::GridMember && s.grid_in_scope;
    let unit_assigned = row.assigned_unit_id.is_some();
    let assigned_liaison =
        s.role == Role::UnitLiaison && unit_assigned && row.assigned_unit_id == s.member_unit_id;
    let reporter = row.reporter_account_id == s.account_id;
    let allowed = match step {
        Step::Accept
        | Step::Reject
        | Step::Dispatch
        | Step::Escalate
        | Step::MergeAway
        | Step::Suspend
        | Step::Resume => handles_level,
        Step::Start | Step::Resolve(Resolution::Handled) => {
            staff_in_scope || assigned_liaison || (member_of_grid && !unit_assigned)
        }
        Step::Resolve(Resolution::OnSite) => staff_in_scope || (member_of_grid && !unit_assigned),
        Step::Close => staff_in_scope,
        Step::Reopen => staff_in_scope || reporter,
    };
    if allowed {
        return Ok(());
    }
    Err(AppError::forbidden(match step {
        Step::Close => "只有社区工作者及以上可以核查结案",
        Step::Start | Step::Resolve(_) if unit_assigned => "该事件已派遣给成员单位，由该单位处置",
        Step::Accept
        | Step::Reject
        | Step::Dispatch
        | Step::Escalate
        | Step::MergeAway
        | Step::Suspend
        | Step::Resume => "您无权处理该层级的事件",
        _ => "您无权对该事件执行此操作",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_in_hand_is_reached_as_the_store_would_filter_it() {
        let me = Uuid::from_u128(1);
        let unit = Uuid::from_u128(2);
        let other = Uuid::from_u128(3);
        let worker = EventReach {
            scope: Scope::under(vec!["/c/a/".into()]),
            account_id: me,
            member_unit_id: None,
            few_grids: true,
        };
        assert!(worker.reaches("/c/a/g/", other, None));
        assert!(!worker.reaches("/c/b/g/", other, None));
        // What it reported itself, wherever it lies.
        assert!(worker.reaches("/c/b/g/", me, None));
        // No unit: an event without one is not "its unit's".
        assert!(!worker.reaches("/c/b/g/", other, None));
        let liaison = EventReach {
            scope: Scope::nothing(),
            account_id: me,
            member_unit_id: Some(unit),
            few_grids: false,
        };
        assert!(liaison.reaches("/c/b/g/", other, Some(unit)));
        assert!(!liaison.reaches("/c/b/g/", other, Some(other)));
        assert!(!liaison.reaches("/c/b/g/", other, None));
        assert!(!EventReach::nobody().reaches("/c/a/g/", other, None));
    }
}
