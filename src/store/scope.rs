//! Region scope in SQL — the one place it is written. A row is in scope when its region's path
//! lies in one of the caller's subtrees; paths are compared as byte ranges, which one index on
//! `region.path` serves on both backends.
use super::entity::region;
use crate::access::Scope;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition};

fn never() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

/// Condition on a path column (`region.path` itself).
pub fn path_in_scope<C: ColumnTrait>(path: C, scope: &Scope) -> Condition {
    match scope.path_ranges() {
        None => Condition::all(),
        Some(ranges) if ranges.is_empty() => never(),
        Some(ranges) => ranges.into_iter().fold(Condition::any(), |any, (lo, hi)| {
            any.add(Condition::all().add(path.gte(lo)).add(path.lt(hi)))
        }),
    }
}

/// The ids of the regions in scope, as a sub-select.
pub fn regions_in_scope(scope: &Scope) -> SelectStatement {
    Query::select()
        .column(region::Column::Id)
        .from(region::Entity)
        .cond_where(path_in_scope(region::Column::Path, scope))
        .to_owned()
}

/// Condition on a column holding a region id: the region must be in scope.
pub fn region_in_scope<C: ColumnTrait>(region_id: C, scope: &Scope) -> Condition {
    match scope.path_ranges() {
        None => Condition::all(),
        Some(_) => Condition::all().add(region_id.in_subquery(regions_in_scope(scope))),
    }
}
