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
//! - `figure_rollup_state`: one row once the rollups were built from the events. The tables
//!   start empty; the server fills them from the events at its first start after this
//!   migration (`store::rollup::build_if_missing`).
//!
//! The counter columns are listed here as they were when this migration was written; a value
//! added to an enum later adds its column in a migration of its own.
use crate::columns::{index, ts};
use sea_orm_migration::prelude::*;

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
            day.col(
                ColumnDef::new(Alias::new(*name))
                    .big_integer()
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
        for table in [
            FigureRollupState::Table.into_iden(),
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
