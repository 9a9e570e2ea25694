//! Whole rows read straight from PostgreSQL's row, column by position, for the models the read
//! paths decode by the thousand (events, accounts).
//!
//! sea-orm's derived decoder looks every column up by name (a hash per column) and turns each
//! NULL into an error carrying the column's name formatted with `Debug` before reading it as
//! `None`; sqlx then checks each cell's type against the column's. At city scale that was 27% of
//! a console request's instructions (50 events, most of whose clock and link columns are NULL).
//! Here each column is read at its position in the entity's `Column` enum, which is the order
//! `Entity::find()` selects them in; the columns' types are checked against the model's once per
//! result (every row of a result has the same columns), on its first row; codes become domain
//! enums as `store::column` reads them. Other backends, and rows that are not the whole model,
//! keep the derived decoder.
use super::column::{Coded, from_stored};
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::{Column as _, Decode, Postgres, Row, Type, TypeInfo as _};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult, QueryTrait};

/// A model whose whole row can be read by position.
pub trait ByPosition: FromQueryResult {
    /// Columns in the model's select.
    const WIDTH: usize;
    fn read(columns: &PgColumns<'_>) -> Result<Self, DbErr>;
}

/// Every row `query` selects: by position on PostgreSQL, else by the derived decoder.
pub async fn all<M, Q>(db: &impl ConnectionTrait, query: Q) -> Result<Vec<M>, DbErr>
where
    M: ByPosition,
    Q: QueryTrait,
{
    let rows = db
        .query_all_raw(query.build(db.get_database_backend()))
        .await?;
    decode(&rows, M::WIDTH, M::read, |row| {
        M::from_query_result(row, "")
    })
}

/// Every row of a PostgreSQL statement selecting `width` columns, each read by `read`. For
/// selects of some of a model's columns, which only PostgreSQL reads by position.
pub async fn all_read<M>(
    db: &impl ConnectionTrait,
    statement: sea_orm::Statement,
    width: usize,
    read: impl Fn(&PgColumns<'_>) -> Result<M, DbErr>,
) -> Result<Vec<M>, DbErr> {
    let rows = db.query_all_raw(statement).await?;
    decode(&rows, width, read, |_| {
        Err(DbErr::Type(format!(
            "expected a PostgreSQL row of {width} columns"
        )))
    })
}

/// Each row read by position when it is a PostgreSQL row of `width` columns, else by `other`.
fn decode<M>(
    rows: &[QueryResult],
    width: usize,
    read: impl Fn(&PgColumns<'_>) -> Result<M, DbErr>,
    other: impl Fn(&QueryResult) -> Result<M, DbErr>,
) -> Result<Vec<M>, DbErr> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| match PgColumns::of(row, width, i == 0) {
            Some(columns) => read(&columns),
            None => other(row),
        })
        .collect()
}

/// The columns of one PostgreSQL row, read by position.
pub struct PgColumns<'r> {
    row: &'r PgRow,
    /// Check each column's type before reading it (the first row of a result).
    check: bool,
    /// Where column 0 sits in the row (a second model's columns after the first's).
    offset: usize,
}

impl<'r> PgColumns<'r> {
    fn of(res: &'r QueryResult, width: usize, check: bool) -> Option<Self> {
        let row = res.try_as_pg_row()?;
        (row.len() == width).then_some(PgColumns {
            row,
            check,
            offset: 0,
        })
    }

    /// The columns from `first` on, numbered from 0: a joined model's row after another's.
    pub fn from(&self, first: usize) -> PgColumns<'r> {
        PgColumns {
            row: self.row,
            check: self.check,
            offset: self.offset + first,
        }
    }

    /// The model `LEFT JOIN`ed from column `first` on, its id first: `None` when the join
    /// matched nothing.
    pub fn joined<M: ByPosition>(&self, first: usize) -> Result<Option<M>, DbErr> {
        let row = self.from(first);
        match row.get::<Option<uuid::Uuid>>(0)? {
            Some(_) => Ok(Some(M::read(&row)?)),
            None => Ok(None),
        }
    }

    /// Column `index` as `T` (`Option<T>` for a nullable one).
    pub fn get<T>(&self, index: usize) -> Result<T, DbErr>
    where
        T: Decode<'r, Postgres> + Type<Postgres>,
    {
        let index = self.offset + index;
        let failed = |e: &dyn std::fmt::Display| DbErr::Type(format!("column {index}: {e}"));
        if self.check {
            let column = self.row.try_column(index).map_err(|e| failed(&e))?;
            let ty = column.type_info();
            if !T::compatible(ty) {
                return Err(failed(&format_args!(
                    "{} {} cannot be read as {}",
                    column.name(),
                    ty.name(),
                    T::type_info().name()
                )));
            }
        }
        // The column's type was checked on the result's first row.
        self.row
            .try_get_unchecked::<T, usize>(index)
            .map_err(|e| failed(&e))
    }

    /// A code column as its domain enum; a code the domain does not know fails the row.
    pub fn code<T: Coded>(&self, index: usize) -> Result<T, DbErr> {
        let code: &str = self.get(index)?;
        from_stored(code)
    }

    /// A nullable code column.
    pub fn code_opt<T: Coded>(&self, index: usize) -> Result<Option<T>, DbErr> {
        let code: Option<&str> = self.get(index)?;
        code.map(from_stored).transpose()
    }
}
