//! Who may record and see committee activities (meetings and co-building activities). Reads:
//! `ActivityReach`, the one filter the activity store applies. Writes: `judge_recording`, a pure
//! rule of the actor's standing and the committee.
use super::principal::{Principal, Scope};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use uuid::Uuid;

/// What a caller sees of committee activities.
#[derive(Debug, Clone)]
pub enum Reach {
    /// Every committee (city admins over the whole tree).
    All,
    /// Community workers and admins: activities of the committees in their scope.
    Staff { scope: Scope },
    /// A unit liaison: activities of the committees its unit sits on (`committees`: their
    /// region ids), and any its unit took part in.
    Unit {
        unit_id: Uuid,
        committees: Vec<Uuid>,
    },
    /// Sees nothing (a liaison account without a unit).
    Nobody,
}

/// A `Reach` decided here; the store takes only this.
#[derive(Debug, Clone)]
pub struct ActivityReach(Reach);

impl ActivityReach {
    pub fn kind(&self) -> &Reach {
        &self.0
    }
}

const GRID_MEMBERS_TAKE_NO_PART: &str = "网格员不参与大党委（大工委）活动记录";

/// What this caller may see of committee activities (`unit_committees`: for a liaison, the
/// committees its unit sits on). Grid members take no part: `FORBIDDEN`.
pub fn reach(me: &Principal, unit_committees: Option<Vec<Uuid>>) -> AppResult<ActivityReach> {
    Ok(ActivityReach(match me.role {
        Role::GridMember => return Err(AppError::forbidden(GRID_MEMBERS_TAKE_NO_PART)),
        Role::UnitLiaison => match (me.member_unit_id, unit_committees) {
            (Some(unit_id), Some(committees)) => Reach::Unit {
                unit_id,
                committees,
            },
            _ => Reach::Nobody,
        },
        _ if me.scope.is_everything() => Reach::All,
        _ => Reach::Staff {
            scope: me.scope.clone(),
        },
    }))
}

/// May the caller record an activity of the committee at `committee_id` (path
/// `committee_path`, `None` when no such region exists)? Community workers and above whose
/// scope holds the committee (any other id is `NOT_FOUND`, so ids cannot be probed); a unit
/// liaison for a committee its unit sits on (`unit_committees`), else `FORBIDDEN` whether or
/// not the id exists; grid members never.
pub fn judge_recording(
    me: &Principal,
    committee_id: Uuid,
    committee_path: Option<&str>,
    unit_committees: &[Uuid],
) -> AppResult<()> {
    match me.role {
        Role::GridMember => Err(AppError::forbidden(GRID_MEMBERS_TAKE_NO_PART)),
        Role::UnitLiaison => {
            if me.member_unit_id.is_some() && unit_committees.contains(&committee_id) {
                Ok(())
            } else {
                Err(AppError::forbidden(
                    "贵单位不是该大党委（大工委）的成员单位，不能记录其活动",
                ))
            }
        }
        _ if me.is_staff() && committee_path.is_some_and(|p| me.scope.contains_path(p)) => Ok(()),
        _ => Err(AppError::NotFound(
            "committeeRegionId: 区域不存在或不在您的管辖范围内".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, path: Option<&str>, unit: Option<Uuid>) -> Principal {
        Principal {
            account_id: Uuid::nil(),
            session_id: Uuid::nil(),
            name: "x".into(),
            role,
            region_id: None,
            region_path: path.map(str::to_owned),
            region_level: None,
            scope: match (role, path) {
                (Role::UnitLiaison, _) | (_, None) => Scope::nothing(),
                (_, Some(p)) => Scope::under(vec![p.into()]),
            },
            member_unit_id: unit,
            grid_member_kind: None,
            committee_paths: None,
        }
    }

    const COMMITTEE: Uuid = Uuid::from_u128(7);

    #[test]
    fn staff_record_for_committees_in_their_scope_only() {
        let worker = principal(Role::CommunityWorker, Some("/sd/c1/"), None);
        assert!(judge_recording(&worker, COMMITTEE, Some("/sd/c1/"), &[]).is_ok());
        assert_eq!(
            judge_recording(&worker, COMMITTEE, Some("/sd/c2/"), &[])
                .unwrap_err()
                .code(),
            "NOT_FOUND"
        );
        assert_eq!(
            judge_recording(&worker, COMMITTEE, None, &[])
                .unwrap_err()
                .code(),
            "NOT_FOUND"
        );
        // The sub-district's working committee sits above a community worker's scope.
        assert_eq!(
            judge_recording(&worker, COMMITTEE, Some("/sd/"), &[])
                .unwrap_err()
                .code(),
            "NOT_FOUND"
        );
        let admin = principal(Role::SubDistrictAdmin, Some("/sd/"), None);
        assert!(judge_recording(&admin, COMMITTEE, Some("/sd/"), &[]).is_ok());
        assert!(judge_recording(&admin, COMMITTEE, Some("/sd/c2/"), &[]).is_ok());
    }

    #[test]
    fn a_liaison_records_for_its_units_committees_and_grid_members_never() {
        let liaison = principal(Role::UnitLiaison, None, Some(Uuid::from_u128(1)));
        assert!(judge_recording(&liaison, COMMITTEE, Some("/sd/c1/"), &[COMMITTEE]).is_ok());
        assert_eq!(
            judge_recording(&liaison, COMMITTEE, Some("/sd/c1/"), &[Uuid::from_u128(8)])
                .unwrap_err()
                .code(),
            "FORBIDDEN"
        );
        let unitless = principal(Role::UnitLiaison, None, None);
        assert_eq!(
            judge_recording(&unitless, COMMITTEE, Some("/sd/c1/"), &[COMMITTEE])
                .unwrap_err()
                .code(),
            "FORBIDDEN"
        );
        let member = principal(Role::GridMember, Some("/sd/c1/g1/"), None);
        assert_eq!(
            judge_recording(&member, COMMITTEE, Some("/sd/c1/g1/"), &[])
                .unwrap_err()
                .code(),
            "FORBIDDEN"
        );
        assert_eq!(reach(&member, None).unwrap_err().code(), "FORBIDDEN");
    }

    #[test]
    fn reach_follows_the_role() {
        let liaison = principal(Role::UnitLiaison, None, Some(Uuid::from_u128(1)));
        assert!(matches!(
            reach(&liaison, Some(vec![COMMITTEE])).unwrap().kind(),
            Reach::Unit { committees, .. } if committees == &vec![COMMITTEE]
        ));
        let worker = principal(Role::CommunityWorker, Some("/sd/c1/"), None);
        assert!(matches!(
            reach(&worker, None).unwrap().kind(),
            Reach::Staff { .. }
        ));
        let city = principal(Role::CityAdmin, None, None);
        let city = Principal {
            scope: Scope::everything(),
            ..city
        };
        assert!(matches!(reach(&city, None).unwrap().kind(), Reach::All));
    }
}
