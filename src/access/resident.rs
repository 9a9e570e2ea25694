//! Which residents a caller reaches: the one filter the resident store applies. Residents are
//! personal data (DESIGN §5): only staff and full-time or professional grid members see them,
//! and only in their scope.
use super::principal::{Principal, Scope};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct ResidentReach {
    scope: Scope,
}

impl ResidentReach {
    /// To look residents up, list them or show them nested in other rows (masked): callers who
    /// see residents, in their scope; `FORBIDDEN` to anyone else.
    pub fn to_view(principal: &Principal) -> AppResult<Self> {
        if principal.sees_residents() {
            Ok(ResidentReach {
                scope: principal.scope.clone(),
            })
        } else {
            Err(AppError::forbidden("无权查看居民信息"))
        }
    }

    /// Residents shown nested in rows the caller sees (an event's related residents): as
    /// `to_view`, and none at all for a caller who sees no residents.
    pub fn nested(principal: &Principal) -> Self {
        Self::to_view(principal).unwrap_or_else(|_| Self::nobody())
    }

    /// A micro-wish's beneficiary (who the wish is for): staff in scope only — claimants and
    /// everyone else see a summary, never the resident.
    pub fn beneficiaries(principal: &Principal) -> Self {
        if principal.is_staff() {
            ResidentReach {
                scope: principal.scope.clone(),
            }
        } else {
            Self::nobody()
        }
    }

    /// To name a resident in the caller's own write (relate it to a report, make it a
    /// micro-wish's beneficiary): any resident in scope — the caller learns only that the id
    /// is valid, never the resident.
    pub fn to_name(principal: &Principal) -> Self {
        ResidentReach {
            scope: principal.scope.clone(),
        }
    }

    /// No resident at all (an anonymous caller).
    pub fn nobody() -> Self {
        ResidentReach {
            scope: Scope::nothing(),
        }
    }

    /// Narrowed to the subtree of a region found in the caller's scope.
    pub fn within(&self, region_path: &str) -> Self {
        ResidentReach {
            scope: Scope::within(region_path),
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}
