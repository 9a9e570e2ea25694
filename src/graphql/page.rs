//! Relay connections from keyset pages: the store returns `first + 1` rows; the extra row only
//! says that another page follows.
use crate::domain::page::{PageRequest, encode_cursor};
use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge};

pub fn connection<R, N: OutputType>(
    mut rows: Vec<R>,
    page: &PageRequest,
    key: impl Fn(&R) -> String,
    node: impl Fn(R) -> N,
) -> Connection<String, N> {
    let has_next = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let mut conn = Connection::new(page.after.is_some(), has_next);
    conn.edges.extend(rows.into_iter().map(|row| {
        let cursor = encode_cursor(&key(&row));
        Edge::new(cursor, node(row))
    }));
    conn
}

/// What one list call costs before its rows: a statement, however small the page.
pub const LIST_CALL_COST: usize = 50;

/// Complexity of a connection field: the call, then each of up to `first` nodes its selection.
pub fn connection_cost(first: Option<i32>, child: usize) -> usize {
    let n = first
        .unwrap_or(crate::domain::page::DEFAULT_PAGE as i32)
        .clamp(1, 100) as usize;
    n.saturating_mul(child).saturating_add(LIST_CALL_COST)
}
