//! Indexes for the background sweeps at city scale (a million events, `gridhub seed scale`),
//! from the statements the sweeps send and EXPLAIN ANALYZE:
//! - the deadline sweep looks for clocks past due, unmet and not yet marked breached. Through
//!   the plain due-time index it walked every event whose clock ever fell due (nearly all of
//!   them, almost all met) and hit the 5 s statement timeout every minute, so no breach was
//!   ever marked and the database spent 5 s of a core each minute on it; the unmet, unmarked
//!   clocks are a handful (52 of a million accept clocks in the seeded city).
//! - the claim release sweep walked every claim in id order for the few still `CLAIMED`.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, clock column, met column, breached column) for each deadline stage.
const CLOCKS: [(&str, &str, &str, &str); 3] = [
    (
        "ix_event_accept_open_clock",
        "accept_due_at",
        "accept_met_at",
        "accept_breached_at",
    ),
    (
        "ix_event_plan_open_clock",
        "plan_due_at",
        "plan_met_at",
        "plan_breached_at",
    ),
    (
        "ix_event_close_open_clock",
        "close_due_at",
        "close_met_at",
        "close_breached_at",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Partial indexes (both databases have them) over exactly what the sweep asks for.
        for (name, due, met, breached) in CLOCKS {
            db.execute_unprepared(&format!(
                "CREATE INDEX {name} ON event ({due}) WHERE {met} IS NULL AND {breached} IS NULL"
            ))
            .await?;
        }
        db.execute_unprepared(
            "CREATE INDEX ix_service_claim_state_id ON service_claim (state, id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut drops: Vec<(&str, &str)> = CLOCKS.iter().map(|c| (c.0, "event")).collect();
        drops.push(("ix_service_claim_state_id", "service_claim"));
        for (name, table) in drops {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
