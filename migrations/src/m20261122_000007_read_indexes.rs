//! Indexes for the reads at city scale (a million events, `gridhub seed scale`), from EXPLAIN
//! ANALYZE of the statements gridhub sends:
//! - the console's "open overdue events of a community" read every event of the community's
//!   grids through `ix_event_grid` and dropped the closed ones (~2,500 heap rows for ~120 open,
//!   187 ms cold); the open ones alone are a few percent of the table: 1.7 ms.
//! - the dashboard's counts over a sub-district's year (62,000 of 1,000,000 events) were a
//!   parallel sequential scan of the whole table (974 ms per grouped count); with the counted
//!   columns in the grid index they are an index-only scan of its grids: 45 ms.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A partial index (both databases have them): the open states, as `EventState::OPEN`.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_event_open_grid ON event (grid_id, reported_at, id) \
                 WHERE state IN ('REPORTED', 'ACCEPTED', 'DISPATCHED', 'IN_PROGRESS', 'RESOLVED', 'SUSPENDED')",
            )
            .await?;
        // Counts by state, category, source and reporter kind, busiest grids and the daily
        // reported figure read only these columns. INCLUDE is PostgreSQL's; SQLite gets the
        // same columns as key columns (its index-only scans work on any covering index).
        let covering = match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                "CREATE INDEX ix_event_grid_figures ON event (grid_id, reported_at) \
                 INCLUDE (state, category, source, reporter_kind)"
            }
            _ => {
                "CREATE INDEX ix_event_grid_figures ON event \
                 (grid_id, reported_at, state, category, source, reporter_kind)"
            }
        };
        manager
            .get_connection()
            .execute_unprepared(covering)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_event_grid_figures", "ix_event_open_grid"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Alias::new("event"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
