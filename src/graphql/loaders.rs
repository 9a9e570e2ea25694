//! Per-request DataLoaders. Each is built for one caller and filters by that caller's scope in
//! SQL, so a nested field never reaches a row the caller could not fetch directly.
use crate::auth::Scope;
use crate::error::AppError;
use crate::store::account::{self, AccountRow};
use crate::store::region::{self, RegionRow};
use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use uuid::Uuid;

type LoadError = async_graphql::Error;

fn db_error(e: sea_orm::DbErr) -> LoadError {
    AppError::from(e).into()
}

pub struct RegionById {
    db: DatabaseConnection,
    scope: Scope,
}

impl Loader<Uuid> for RegionById {
    type Value = RegionRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, RegionRow>, LoadError> {
        let rows = region::find_many(&self.db, keys, &self.scope)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Children of a region, keyed by parent id.
pub struct RegionChildren {
    db: DatabaseConnection,
    scope: Scope,
}

impl Loader<Uuid> for RegionChildren {
    type Value = Vec<RegionRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<RegionRow>>, LoadError> {
        let rows = region::children_of(&self.db, keys, &self.scope)
            .await
            .map_err(db_error)?;
        let mut by_parent: HashMap<Uuid, Vec<RegionRow>> = HashMap::new();
        for row in rows {
            if let Some(parent) = row.parent_id {
                by_parent.entry(parent).or_default().push(row);
            }
        }
        Ok(by_parent)
    }
}

pub struct AccountById {
    db: DatabaseConnection,
    scope: Scope,
}

impl Loader<Uuid> for AccountById {
    type Value = AccountRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, AccountRow>, LoadError> {
        let rows = account::find_many(&self.db, keys, &self.scope)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// All loaders of one request.
pub struct Loaders {
    pub region_by_id: DataLoader<RegionById>,
    pub region_children: DataLoader<RegionChildren>,
    pub account_by_id: DataLoader<AccountById>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, scope: &Scope, delay: std::time::Duration) -> Self {
        let spawn = |fut| {
            tokio::spawn(fut);
        };
        Loaders {
            region_by_id: DataLoader::new(
                RegionById {
                    db: db.clone(),
                    scope: scope.clone(),
                },
                spawn,
            )
            .delay(delay),
            region_children: DataLoader::new(
                RegionChildren {
                    db: db.clone(),
                    scope: scope.clone(),
                },
                spawn,
            )
            .delay(delay),
            account_by_id: DataLoader::new(
                AccountById {
                    db: db.clone(),
                    scope: scope.clone(),
                },
                spawn,
            )
            .delay(delay),
        }
    }
}
