//! Whole rows read straight from PostgreSQL's row, column by position, for the models the read
//! paths decode by the thousand (events, accounts).
//!
//! sea-orm's derived decoder looks every column up by name (a hash per column) and turns each
//! NULL into an error carrying the column's name formatted with `Debug` before reading it as
//! `None`: at city scale that was 27% of a console request's instructions (50 events, most of
//! whose clock and link columns are NULL). Here each column is read by its position in the
//! entity's `Column` enum, which is the order `Entity::find()` selects them in, with sqlx's own
//! type checks; codes become domain enums as `store::column` reads them. Other backends, and
//! selects that nest the model under a prefix or whose columns are not the model's, keep the
//! derived decoder.
use super::column::{Coded, unknown_code};
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::{Decode, Postgres, Row, Type};
use sea_orm::{DbErr, QueryResult};

/// The columns of one PostgreSQL row, read by position.
pub struct PgColumns<'r>(&'r PgRow);

impl<'r> PgColumns<'r> {
    /// The row, when it is PostgreSQL's, unprefixed and has exactly `width` columns (a model's
    /// whole select).
    pub fn of(res: &'r QueryResult, pre: &str, width: usize) -> Option<Self> {
        let row = res.try_as_pg_row()?;
        (pre.is_empty() && row.len() == width).then_some(PgColumns(row))
    }

    /// Column `index` as `T` (`Option<T>` for a nullable one).
    pub fn get<T>(&self, index: usize) -> Result<T, DbErr>
    where
        T: Decode<'r, Postgres> + Type<Postgres>,
    {
        self.0
            .try_get::<T, usize>(index)
            .map_err(|e| DbErr::Type(format!("column {index}: {e}")))
    }

    /// A code column as its domain enum; a code the domain does not know fails the row.
    pub fn code<T: Coded>(&self, index: usize) -> Result<T, DbErr> {
        let code: &str = self.get(index)?;
        parse(code)
    }

    /// A nullable code column.
    pub fn code_opt<T: Coded>(&self, index: usize) -> Result<Option<T>, DbErr> {
        let code: Option<&str> = self.get(index)?;
        code.map(parse).transpose()
    }
}

fn parse<T: Coded>(code: &str) -> Result<T, DbErr> {
    T::from_code(code).ok_or_else(|| {
        let err = unknown_code(T::NAME, code);
        tracing::error!(error = %err, "corrupt row");
        err
    })
}
