//! Database migrations, one file per change. Never edit a migration that has landed; add a new one.
pub use sea_orm_migration::prelude::*;

/// Column and index builders shared by the later migrations.
mod columns;
mod m20261121_000001_foundation;
mod m20261121_000002_people;
mod m20261121_000003_events;
mod m20261121_000004_service;
mod m20261122_000005_committee_activities;
mod m20261122_000006_notifications;
mod m20261122_000007_read_indexes;
mod m20261122_000008_figure_rollups;
mod m20261203_000009_sweep_indexes;
mod m20261204_000010_claimable_indexes;
mod m20261204_000011_open_events_page;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_people::Migration),
            Box::new(m20261121_000003_events::Migration),
            Box::new(m20261121_000004_service::Migration),
            Box::new(m20261122_000005_committee_activities::Migration),
            Box::new(m20261122_000006_notifications::Migration),
            Box::new(m20261122_000007_read_indexes::Migration),
            Box::new(m20261122_000008_figure_rollups::Migration),
            Box::new(m20261203_000009_sweep_indexes::Migration),
            Box::new(m20261204_000010_claimable_indexes::Migration),
            Box::new(m20261204_000011_open_events_page::Migration),
        ]
    }
}
