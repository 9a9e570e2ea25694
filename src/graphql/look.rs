//! What a document asks of a list's rows, read before the rows are (look-ahead).
use crate::error::AppError;
use crate::store::named::{Link, Seen};
use async_graphql::SelectionField;
use std::borrow::Cow;
use std::future::Future;
use uuid::Uuid;

/// How much of the linked row `field` of the rows `nodes` a read must take along: nothing when
/// no selection asks for it; its name alone when every selection of it asks for nothing but
/// `id`, `name` and `__typename` (fragments included; `@skip` and `@include` are not weighed, so
/// a skipped field still counts); else the whole row. Reading less is an optimisation only: a
/// type read by name reads its whole row when any other field resolves.
pub fn link(nodes: &[SelectionField<'_>], field: &str) -> Link {
    nodes
        .iter()
        .flat_map(|node| node.selection_set())
        .filter(|f| f.name() == field)
        .map(|f| {
            if f.selection_set()
                .all(|asked| matches!(asked.name(), "id" | "name" | "__typename"))
            {
                Link::Name
            } else {
                Link::Whole
            }
        })
        .max()
        .unwrap_or(Link::Skip)
}

/// The whole row of a linked object: as held, or read now through `read` when only its name
/// was (`NOT_FOUND` with `gone` if it is no longer there for the caller).
pub async fn whole<'a, R, F>(
    seen: &'a Seen<R>,
    read: impl FnOnce(Uuid) -> F,
    gone: &str,
) -> async_graphql::Result<Cow<'a, R>>
where
    R: Clone,
    F: Future<Output = async_graphql::Result<Option<R>>>,
{
    match seen {
        Seen::Whole(row) => Ok(Cow::Borrowed(row)),
        Seen::Named(named) => read(named.id)
            .await?
            .map(Cow::Owned)
            .ok_or_else(|| AppError::NotFound(gone.into()).into()),
    }
}
