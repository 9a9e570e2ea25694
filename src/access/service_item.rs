//! Who may see, claim and work service items. Reads: `ItemViewer`, the one filter the service
//! item store applies, and `Claimant` for "claimable by me". Writes: pure judgements of a step,
//! the actor's standing and the row as it is now, run with the state transition.
use super::principal::{Principal, Scope};
use crate::domain::role::Role;
use crate::domain::service_item::{
    ClaimStep, ServiceClaimState, ServiceDirection, Side, ancestor_ids,
};
use crate::error::{AppError, AppResult};
use crate::store::service_item::{ClaimRow, ItemRow};
use uuid::Uuid;

/// What a caller sees of service items and claims.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// The whole tree (city admins).
    All,
    /// Community workers and admins: items of the committees in their scope, and offers made
    /// to the committees above their region (`above`: those regions' ids). Claims whose
    /// community is in scope.
    Staff { scope: Scope, above: Vec<Uuid> },
    /// A unit liaison: needs of the committees its unit sits on (`committees`: those committees'
    /// subtrees, since a sub-district's working committee serves its communities), its unit's
    /// own offers, and whatever its unit has claimed. Only claims its unit is party to.
    Unit { unit_id: Uuid, committees: Scope },
    /// Sees nothing.
    Nobody,
}

/// A `Viewer` decided here; the store takes only this.
#[derive(Debug, Clone)]
pub struct ItemViewer(Viewer);

impl ItemViewer {
    pub fn kind(&self) -> &Viewer {
        &self.0
    }
}

/// What this caller may see of service items (`committee_paths`: for a liaison, the paths of
/// the committees its unit sits on). Grid members take no part in claiming.
pub fn viewer(me: &Principal, committee_paths: Option<Vec<String>>) -> AppResult<ItemViewer> {
    Ok(ItemViewer(match me.role {
        Role::GridMember => return Err(AppError::forbidden("网格员不参与服务认领")),
        Role::UnitLiaison => match (me.member_unit_id, committee_paths) {
            (Some(unit_id), Some(paths)) => Viewer::Unit {
                unit_id,
                committees: Scope::under(paths),
            },
            _ => Viewer::Nobody,
        },
        _ if me.scope.is_everything() => Viewer::All,
        _ => Viewer::Staff {
            scope: me.scope.clone(),
            above: me
                .region_path
                .as_deref()
                .map(ancestor_ids)
                .unwrap_or_default(),
        },
    }))
}

/// Who could claim, for the "claimable by me" filter.
#[derive(Debug, Clone)]
pub enum Claimant {
    /// A unit: open needs of its committees that it holds no claim on.
    Unit { unit_id: Uuid, committees: Scope },
    /// A community: open offers made to it or to a committee above it (`regions`: its own id
    /// and those above) that it holds no claim on.
    Community {
        community_id: Uuid,
        regions: Vec<Uuid>,
    },
    /// Admins above a community do not claim.
    Nobody,
}

/// The community a community worker claims offers for, with the regions whose committees
/// serve it (its own and those above).
fn claiming_community(me: &Principal) -> Option<(Uuid, Vec<Uuid>)> {
    match (me.role, me.region_id, me.region_path.as_deref()) {
        (Role::CommunityWorker, Some(id), Some(path)) => {
            let mut regions = ancestor_ids(path);
            regions.push(id);
            Some((id, regions))
        }
        _ => None,
    }
}

pub fn claimant(me: &Principal, viewer: &ItemViewer) -> Claimant {
    if let Viewer::Unit {
        unit_id,
        committees,
    } = viewer.kind()
    {
        return Claimant::Unit {
            unit_id: *unit_id,
            committees: committees.clone(),
        };
    }
    match claiming_community(me) {
        Some((community_id, regions)) => Claimant::Community {
            community_id,
            regions,
        },
        None => Claimant::Nobody,
    }
}

/// The caller's standing towards one community (the community of a claim, or the committee
/// region of an item).
#[derive(Debug, Clone)]
pub struct SideStanding {
    liaison_of: Option<Uuid>,
    staff_over_community: bool,
}

impl SideStanding {
    /// `community_path`: the path of the community (or committee region) concerned.
    pub fn of(me: &Principal, community_path: &str) -> Self {
        SideStanding {
            liaison_of: me.member_unit_id.filter(|_| me.role == Role::UnitLiaison),
            staff_over_community: me.is_staff() && me.scope.contains_path(community_path),
        }
    }

    /// May this caller act for the unit side (`unit_id`'s liaison) or the community side (staff
    /// whose scope holds the community)?
    fn acts_for(&self, side: Side, unit_id: Option<Uuid>) -> bool {
        match side {
            Side::Unit => self.liaison_of.is_some() && self.liaison_of == unit_id,
            Side::Community => self.staff_over_community,
        }
    }
}

/// May the caller post an item going `direction`? Needs are posted by community workers and
/// above; offers by a unit's liaison, for its unit (returned).
pub fn judge_posting(me: &Principal, direction: ServiceDirection) -> AppResult<Option<Uuid>> {
    match direction {
        ServiceDirection::Need if me.is_staff() => Ok(None),
        ServiceDirection::Need => Err(AppError::forbidden("需求清单由社区工作者及以上发布")),
        ServiceDirection::Offer => match (me.role, me.member_unit_id) {
            (Role::UnitLiaison, Some(unit)) => Ok(Some(unit)),
            _ => Err(AppError::forbidden("资源清单由成员单位联络员发布")),
        },
    }
}

/// May a unit sitting on the committees of `committee_regions` offer resources to the
/// committee of `region_id`? Only to a committee it sits on.
pub fn judge_offer_to(committee_regions: &[Uuid], region_id: Uuid) -> AppResult<()> {
    if committee_regions.contains(&region_id) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "贵单位不是该社区大党委或街道大工委的成员单位，不能向其提供资源",
        ))
    }
}

/// May the caller take `step` on `claim` (of an item going `direction`) as it stands now, and
/// where does it lead? `FORBIDDEN` for the wrong side, else `INVALID_TRANSITION` from a state
/// the step does not leave.
pub fn judge_claim_step(
    step: ClaimStep,
    standing: &SideStanding,
    direction: ServiceDirection,
    claim: &ClaimRow,
) -> AppResult<ServiceClaimState> {
    if !standing.acts_for(step.taken_by(direction), Some(claim.member_unit_id)) {
        return Err(AppError::forbidden(match step {
            ClaimStep::Verify => "只有发布方可以验收",
            _ => "只有认领方可以办理该认领",
        }));
    }
    step.next(claim.state)
}

/// May the caller manage the item as its poster (close, cancel, move the due date)? Community
/// staff in scope for a need, the offering unit's liaison for an offer.
pub fn judge_poster(standing: &SideStanding, item: &ItemRow) -> AppResult<()> {
    let ok = match item.direction {
        ServiceDirection::Need => standing.acts_for(Side::Community, None),
        ServiceDirection::Offer => standing.acts_for(Side::Unit, item.posted_by_unit_id),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::forbidden("只有发布方可以管理该服务项目"))
    }
}

/// Who a claim on `item` would be made for: (unit, community). `community_path` is the path of
/// the item's committee region. `FORBIDDEN` for a caller who may not claim it.
pub fn judge_claiming(
    me: &Principal,
    viewer: &ItemViewer,
    item: &ItemRow,
    community_path: &str,
) -> AppResult<(Uuid, Uuid)> {
    match item.direction {
        ServiceDirection::Need => {
            let Viewer::Unit {
                unit_id,
                committees,
            } = viewer.kind()
            else {
                return Err(AppError::forbidden("需求清单由成员单位（联络员）认领"));
            };
            if !committees.contains_path(community_path) {
                return Err(AppError::forbidden(
                    "贵单位不是该社区大党委或所在街道大工委的成员单位",
                ));
            }
            Ok((*unit_id, item.region_id))
        }
        ServiceDirection::Offer => {
            let Some((community, regions)) = claiming_community(me) else {
                return Err(AppError::forbidden("资源清单由社区（社区工作者）认领"));
            };
            if !regions.contains(&item.region_id) {
                return Err(AppError::forbidden("该资源不是提供给贵社区的"));
            }
            let unit = item.posted_by_unit_id.ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("offer {} has no unit", item.id))
            })?;
            Ok((unit, community))
        }
    }
}
