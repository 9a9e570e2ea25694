//! The console's list — a community's open events, overdue, newest first, with title, state,
//! reporter and unit — read each of the community's grids through `ix_event_open_grid` and
//! visited every candidate's heap row for the columns the page shows (~120 rows, ~240 buffers).
//! With those columns in the index too the page is an index-only scan: pgbench of the list's
//! statement (generic plan, 2 clients) 3,527 and 3,500 → 4,052 and 3,805 statements/s; 8.2 MB
//! instead of 7.3 MB for the city's 45,000 open events. PostgreSQL only (INCLUDE); SQLite keeps
//! the index migration 8 gave it.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OPEN: &str =
    "WHERE state IN ('REPORTED', 'ACCEPTED', 'DISPATCHED', 'IN_PROGRESS', 'RESOLVED', 'SUSPENDED')";
const CLOCKS: &str = "state, suspended_at, accept_due_at, accept_met_at, plan_due_at, plan_met_at, \
                      close_due_at, close_met_at";

async fn replace(manager: &SchemaManager<'_>, include: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared("DROP INDEX ix_event_open_grid")
        .await?;
    db.execute_unprepared(&format!(
        "CREATE INDEX ix_event_open_grid ON event (grid_id, reported_at, id) INCLUDE ({include}) {OPEN}"
    ))
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(
            manager,
            &format!("{CLOCKS}, title, reporter_account_id, assigned_unit_id"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, CLOCKS).await
    }
}
