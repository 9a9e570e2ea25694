//! Daily rollups of the event figures, kept by the workflow in the same transaction as each
//! change (DESIGN §8: an admin's city-wide year must not read a million events).
//!
//! - `event_day`: per grid's parent region and Asia/Shanghai day, counters. The cohort counters
//!   (`reported`, by state, category, source and reporter kind, clocks met in time or late) are
//!   filed under the day the event was reported; `closed_on` under the day it was closed;
//!   `late_on_*` under the day the clock fell due.
//! - `event_close`: one row per closed event (its parent region, report day and seconds from
//!   report to close), ordered by seconds, for the exact median.
//! - `grid_month`: events per grid and report month, for the busiest grids.
//! - `resident_tag_count`: residents per region (their own) and tag, for `residentsByTag`.
//! - `figure_rollup_state`: one row once the rollups were built from the events. The tables
//!   start empty; the server fills them from the events at its first start after this
//!   migration (`store::rollup::build_if_missing`).
//!
//! - What the rollups leave to the moment of reading is counted over the open events: their
//!   partial index now carries the clock columns, so those counts read the index alone; and the
//!   busiest grids of a window's partial months read `(reported_at) INCLUDE (grid_id)`.
//!
//! The counter columns are listed here as they were when this migration was written; a value
//! added to an enum later adds its column in a migration of its own.
use crate::columns::{index, ts};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COUNTERS: &[&str] = &[
    "reported",
    "state_reported",
    "state_accepted",
    "state_dispatched",
    "state_in_progress",
    "state_resolved",
    "state_closed",
    "state_rejected",
    "state_suspended",
    "state_merged",
    "category_sanitation",
    "category_safety_hazard",
    "category_dispute",
    "category_illegal_occupation",
    "category_damaged_facility",
    "category_fire_risk",
    "category_rental_housing",
    "category_flood_typhoon",
    "category_other",
    "source_patrol",
    "source_resident_request",
    "source_hotline_12345",
    "source_enterprise_request",
    "kind_part_time",
    "kind_full_time",
    "kind_professional",
    "kind_staff",
    "met_accept",
    "met_plan",
    "met_close",
    "late_accept",
    "late_plan",
    "late_close",
    "closed_timed",
    "closed_on",
    "late_on_accept",
    "late_on_plan",
    "late_on_close",
];

#[derive(DeriveIden)]
enum EventDay {
    Table,
    RegionId,
    Day,
}

#[derive(DeriveIden)]
enum EventClose {
    Table,
    EventId,
    RegionId,
    Day,
    Seconds,
}

#[derive(DeriveIden)]
enum GridMonth {
    Table,
    GridId,
    Month,
    Reported,
}

#[derive(DeriveIden)]
enum ResidentTagCount {
    Table,
    RegionId,
    Tag,
    N,
}

#[derive(DeriveIden)]
enum FigureRollupState {
    Table,
    Id,
    BuiltAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut day = Table::create();
        day.table(EventDay::Table)
            .col(ColumnDef::new(EventDay::RegionId).uuid().not_null())
            .col(ColumnDef::new(EventDay::Day).date().not_null());
        for name in COUNTERS {
            // 32-bit: PostgreSQL sums them in 64-bit integers, not in numeric.
            day.col(
                ColumnDef::new(Alias::new(*name))
                    .integer()
                    .not_null()
                    .default(0),
            );
        }
        day.primary_key(
            Index::create()
                .name("pk_event_day")
                .col(EventDay::RegionId)
                .col(EventDay::Day),
        );
        manager.create_table(day.to_owned()).await?;

        manager
            .create_table(
                Table::create()
                    .table(EventClose::Table)
                    .col(
                        ColumnDef::new(EventClose::EventId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(EventClose::RegionId).uuid().not_null())
                    .col(ColumnDef::new(EventClose::Day).date().not_null())
                    .col(ColumnDef::new(EventClose::Seconds).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // The median walks this in order, skipping rows outside the region and window, reading
        // the index alone.
        index(
            manager,
            "ix_event_close_seconds",
            EventClose::Table,
            vec![
                EventClose::Seconds.into_iden(),
                EventClose::RegionId.into_iden(),
                EventClose::Day.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(GridMonth::Table)
                    .col(ColumnDef::new(GridMonth::GridId).uuid().not_null())
                    .col(ColumnDef::new(GridMonth::Month).string_len(7).not_null())
                    .col(
                        ColumnDef::new(GridMonth::Reported)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(
                        Index::create()
                            .name("pk_grid_month")
                            .col(GridMonth::GridId)
                            .col(GridMonth::Month),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ResidentTagCount::Table)
                    .col(ColumnDef::new(ResidentTagCount::RegionId).uuid().not_null())
                    .col(
                        ColumnDef::new(ResidentTagCount::Tag)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResidentTagCount::N)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(
                        Index::create()
                            .name("pk_resident_tag_count")
                            .col(ResidentTagCount::RegionId)
                            .col(ResidentTagCount::Tag),
                    )
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ix_event_open_grid")
            .await?;
        let open = "WHERE state IN ('REPORTED', 'ACCEPTED', 'DISPATCHED', 'IN_PROGRESS', 'RESOLVED', 'SUSPENDED')";
        let clocks = "state, suspended_at, accept_due_at, accept_met_at, plan_due_at, plan_met_at, \
                      close_due_at, close_met_at";
        let (open_index, reported_index) = match manager.get_database_backend() {
            DatabaseBackend::Postgres => (
                format!(
                    "CREATE INDEX ix_event_open_grid ON event (grid_id, reported_at, id) INCLUDE ({clocks}) {open}"
                ),
                "CREATE INDEX ix_event_reported_grid ON event (reported_at) INCLUDE (grid_id)"
                    .to_owned(),
            ),
            _ => (
                format!(
                    "CREATE INDEX ix_event_open_grid ON event (grid_id, reported_at, id, {clocks}) {open}"
                ),
                "CREATE INDEX ix_event_reported_grid ON event (reported_at, grid_id)".to_owned(),
            ),
        };
        db.execute_unprepared(&open_index).await?;
        db.execute_unprepared(&reported_index).await?;

        manager
            .create_table(
                Table::create()
                    .table(FigureRollupState::Table)
                    .col(
                        ColumnDef::new(FigureRollupState::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ts(FigureRollupState::BuiltAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ix_event_reported_grid")
            .await?;
        db.execute_unprepared("DROP INDEX ix_event_open_grid")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_event_open_grid ON event (grid_id, reported_at, id) \
             WHERE state IN ('REPORTED', 'ACCEPTED', 'DISPATCHED', 'IN_PROGRESS', 'RESOLVED', 'SUSPENDED')",
        )
        .await?;
        for table in [
            FigureRollupState::Table.into_iden(),
            ResidentTagCount::Table.into_iden(),
            GridMonth::Table.into_iden(),
            EventClose::Table.into_iden(),
            EventDay::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
