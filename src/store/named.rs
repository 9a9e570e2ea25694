//! A linked row read for its name alone. A page that shows each row's reporter or unit by name
//! (the console's list) need not read the whole linked row: its id and name are two columns of
//! the account's eight, of the unit's nine; the rest is read only if some field asks for it.
use super::account::AccountCard;
use super::member_unit::MemberUnitRow;
use super::pg_row::{ByPosition, PgColumns};
use sea_orm::DbErr;
use uuid::Uuid;

/// The id and name of a linked row.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

impl ByPosition for Named {
    const WIDTH: usize = 2;

    fn read(c: &PgColumns<'_>) -> Result<Self, DbErr> {
        Ok(Named {
            id: c.get(0)?,
            name: c.get(1)?,
        })
    }
}

/// A row with an id and a name.
pub trait Labelled {
    fn id(&self) -> Uuid;
    fn name(&self) -> &str;
}

impl Labelled for Named {
    fn id(&self) -> Uuid {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Labelled for AccountCard {
    fn id(&self) -> Uuid {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Labelled for MemberUnitRow {
    fn id(&self) -> Uuid {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// A linked row as it was read: whole, or its id and name alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen<R> {
    Whole(R),
    Named(Named),
}

impl<R: Labelled> Seen<R> {
    pub fn id(&self) -> Uuid {
        match self {
            Seen::Whole(row) => row.id(),
            Seen::Named(named) => named.id,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Seen::Whole(row) => row.name(),
            Seen::Named(named) => &named.name,
        }
    }
}

/// How much of a linked row a read takes along: nothing, its name, or the whole row. Ordered:
/// several asks of the same link take the most any of them needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Link {
    #[default]
    Skip,
    Name,
    Whole,
}

impl Link {
    pub fn wanted(self) -> bool {
        self != Link::Skip
    }

    /// The columns it reads, for a whole row `whole` columns wide.
    pub fn width(self, whole: usize) -> usize {
        match self {
            Link::Skip => 0,
            Link::Name => Named::WIDTH,
            Link::Whole => whole,
        }
    }
}
