//! Keyset pagination: the tail every list query shares.
use crate::domain::page::PageRequest;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    Select, Value,
};

/// One page of `query` ordered by `key` (a unique column), starting after the cursor `after`
/// (beyond it in `order`), with one row more than `page.first` so the caller can tell whether
/// more follow.
pub async fn keyset<E, C>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    key: C,
    order: Order,
    after: Option<impl Into<Value>>,
    page: &PageRequest,
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    keyset_query(query, key, order, after, page).all(db).await
}

/// The select `keyset` runs, for callers that read its rows themselves (`pg_row::all`).
pub fn keyset_query<E, C>(
    query: Select<E>,
    key: C,
    order: Order,
    after: Option<impl Into<Value>>,
    page: &PageRequest,
) -> Select<E>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let query = match (after, &order) {
        (None, _) => query,
        (Some(after), Order::Desc) => query.filter(key.lt(after)),
        (Some(after), _) => query.filter(key.gt(after)),
    };
    query.order_by(key, order).limit(page.first + 1)
}
