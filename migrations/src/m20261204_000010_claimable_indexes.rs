//! Indexes for "claimable by me" at city scale (100,000 service items, `gridhub seed scale`),
//! from EXPLAIN ANALYZE of the statement gridhub sends for a liaison whose unit sits on a
//! sub-district's committee:
//! - the page walked the items newest first through the primary key and read each one's row to
//!   test its state, direction, due day and committee: ~720 rows (~1,000 buffers) for 21. The
//!   open items hold every column that test reads, so the page's ids come from this index alone
//!   and only its 21 rows are read (~180 buffers).
//! - "not already held by this unit" read every claim row of the unit to learn its item and
//!   state; with both in the unit's index it is an index-only scan.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // INCLUDE is PostgreSQL's; SQLite gets the same columns as key columns. Partial on the
        // state as `store::service_item::open_in` writes it (a literal, so a generic plan can
        // use it).
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => [
                "CREATE INDEX ix_service_item_open ON service_item (id) \
                 INCLUDE (direction, region_id, due_on) WHERE state = 'OPEN'",
                "CREATE INDEX ix_service_claim_unit_items ON service_claim (member_unit_id) \
                 INCLUDE (state, item_id)",
            ],
            _ => [
                "CREATE INDEX ix_service_item_open ON service_item \
                 (id, direction, region_id, due_on) WHERE state = 'OPEN'",
                "CREATE INDEX ix_service_claim_unit_items ON service_claim \
                 (member_unit_id, state, item_id)",
            ],
        };
        for statement in statements {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("ix_service_claim_unit_items", "service_claim"),
            ("ix_service_item_open", "service_item"),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
