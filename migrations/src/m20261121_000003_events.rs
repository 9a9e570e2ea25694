//! Events: reports with their handling state and deadline clocks, the immutable timeline,
//! related residents, photos (shared with other owners), deadline rules and the points ledger.
use crate::columns::{fk, index, ts, ts_null, unique_index};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Region {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MemberUnit {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Resident {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
    ReporterAccountId,
    ReporterName,
    ReporterKind,
    ReporterOccupation,
    PayloadHash,
    GridId,
    Category,
    Source,
    Priority,
    Title,
    Description,
    Address,
    Lat,
    Lng,
    CapturedAt,
    ReportedAt,
    State,
    ResumeState,
    SuspendedAt,
    PausedSeconds,
    Level,
    AssignedUnitId,
    Resolution,
    Satisfaction,
    DuplicateOfId,
    MergedIntoId,
    AcceptMinutes,
    PlanMinutes,
    CloseMinutes,
    AcceptDueAt,
    PlanDueAt,
    CloseDueAt,
    AcceptMetAt,
    PlanMetAt,
    CloseMetAt,
    AcceptBreachedAt,
    PlanBreachedAt,
    CloseBreachedAt,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventStep {
    Table,
    Id,
    EventId,
    ActorAccountId,
    ActorName,
    Action,
    FromState,
    ToState,
    Note,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventResident {
    Table,
    EventId,
    ResidentId,
}

#[derive(DeriveIden)]
enum Photo {
    Table,
    Id,
    Sha256,
    ContentType,
    SizeBytes,
    OwnerKind,
    OwnerId,
    EventId,
    Position,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DeadlineRule {
    Table,
    Id,
    Category,
    Priority,
    AcceptMinutes,
    PlanMinutes,
    CloseMinutes,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointsLedger {
    Table,
    Id,
    AccountId,
    EventId,
    GridId,
    Reason,
    Points,
    CreatedAt,
}

fn text(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().take()
}

fn text_null(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).null().take()
}

fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().take()
}

fn uuid_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().null().take()
}

fn minutes(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).integer().not_null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    // The client-minted id (UUID v7): a retried report finds its first answer.
                    .col(ColumnDef::new(Event::Id).uuid().not_null().primary_key())
                    .col(uuid(Event::ReporterAccountId))
                    .col(text(Event::ReporterName, 64))
                    .col(text(Event::ReporterKind, 16))
                    .col(text_null(Event::ReporterOccupation, 32))
                    .col(text(Event::PayloadHash, 64))
                    .col(uuid(Event::GridId))
                    .col(text(Event::Category, 24))
                    .col(text(Event::Source, 24))
                    .col(text(Event::Priority, 16))
                    .col(text(Event::Title, 100))
                    .col(ColumnDef::new(Event::Description).text().not_null())
                    .col(text_null(Event::Address, 200))
                    .col(ColumnDef::new(Event::Lat).double().not_null())
                    .col(ColumnDef::new(Event::Lng).double().not_null())
                    .col(ts(Event::CapturedAt))
                    .col(ts(Event::ReportedAt))
                    .col(text(Event::State, 16))
                    .col(text_null(Event::ResumeState, 16))
                    .col(ts_null(Event::SuspendedAt))
                    .col(
                        ColumnDef::new(Event::PausedSeconds)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(text(Event::Level, 16))
                    .col(uuid_null(Event::AssignedUnitId))
                    .col(text_null(Event::Resolution, 16))
                    .col(ColumnDef::new(Event::Satisfaction).small_integer().null())
                    .col(uuid_null(Event::DuplicateOfId))
                    .col(uuid_null(Event::MergedIntoId))
                    .col(minutes(Event::AcceptMinutes))
                    .col(minutes(Event::PlanMinutes))
                    .col(minutes(Event::CloseMinutes))
                    .col(ts(Event::AcceptDueAt))
                    .col(ts(Event::PlanDueAt))
                    .col(ts(Event::CloseDueAt))
                    .col(ts_null(Event::AcceptMetAt))
                    .col(ts_null(Event::PlanMetAt))
                    .col(ts_null(Event::CloseMetAt))
                    .col(ts_null(Event::AcceptBreachedAt))
                    .col(ts_null(Event::PlanBreachedAt))
                    .col(ts_null(Event::CloseBreachedAt))
                    .col(
                        ColumnDef::new(Event::Version)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts(Event::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_event_grid",
                        (Event::Table, Event::GridId),
                        (Region::Table, Region::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_event_reporter",
                        (Event::Table, Event::ReporterAccountId),
                        (Account::Table, Account::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_event_unit",
                        (Event::Table, Event::AssignedUnitId),
                        (MemberUnit::Table, MemberUnit::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // Lists are newest first by (reported_at, id); each filter that narrows a lot has its
        // own index in that order.
        for (name, cols) in [
            ("ix_event_reported", vec![Event::ReportedAt, Event::Id]),
            (
                "ix_event_grid",
                vec![Event::GridId, Event::ReportedAt, Event::Id],
            ),
            (
                "ix_event_reporter",
                vec![Event::ReporterAccountId, Event::ReportedAt, Event::Id],
            ),
            (
                "ix_event_unit",
                vec![Event::AssignedUnitId, Event::ReportedAt, Event::Id],
            ),
            (
                "ix_event_state",
                vec![Event::State, Event::ReportedAt, Event::Id],
            ),
            // Possible duplicates: same category, near in time, then a box on latitude.
            (
                "ix_event_nearby",
                vec![Event::Category, Event::CapturedAt, Event::Lat],
            ),
            ("ix_event_accept_due", vec![Event::AcceptDueAt]),
            ("ix_event_plan_due", vec![Event::PlanDueAt]),
            ("ix_event_close_due", vec![Event::CloseDueAt]),
        ] {
            index(
                manager,
                name,
                Event::Table,
                cols.into_iter().map(|c| c.into_iden()).collect(),
            )
            .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(EventStep::Table)
                    .col(
                        ColumnDef::new(EventStep::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(uuid(EventStep::EventId))
                    .col(uuid_null(EventStep::ActorAccountId))
                    .col(text(EventStep::ActorName, 64))
                    .col(text(EventStep::Action, 24))
                    .col(text_null(EventStep::FromState, 16))
                    .col(text_null(EventStep::ToState, 16))
                    .col(ColumnDef::new(EventStep::Note).text().null())
                    .col(ColumnDef::new(EventStep::Detail).text().null())
                    .col(ts(EventStep::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_event_step_event",
                        (EventStep::Table, EventStep::EventId),
                        (Event::Table, Event::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_event_step_event",
            EventStep::Table,
            vec![EventStep::EventId.into_iden(), EventStep::Id.into_iden()],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(EventResident::Table)
                    .col(uuid(EventResident::EventId))
                    .col(uuid(EventResident::ResidentId))
                    .primary_key(
                        Index::create()
                            .col(EventResident::EventId)
                            .col(EventResident::ResidentId),
                    )
                    .foreign_key(&mut fk(
                        "fk_event_resident_event",
                        (EventResident::Table, EventResident::EventId),
                        (Event::Table, Event::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_event_resident_resident",
                        (EventResident::Table, EventResident::ResidentId),
                        (Resident::Table, Resident::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Photo::Table)
                    .col(ColumnDef::new(Photo::Id).uuid().not_null().primary_key())
                    .col(text(Photo::Sha256, 64))
                    .col(text(Photo::ContentType, 32))
                    .col(ColumnDef::new(Photo::SizeBytes).big_integer().not_null())
                    .col(text(Photo::OwnerKind, 16))
                    .col(uuid(Photo::OwnerId))
                    // Set for every photo that belongs to an event or one of its timeline
                    // entries: who may see the event may see the photo.
                    .col(uuid_null(Photo::EventId))
                    .col(ColumnDef::new(Photo::Position).small_integer().not_null())
                    .col(uuid(Photo::UploadedBy))
                    .col(ts(Photo::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_photo_owner",
            Photo::Table,
            vec![
                Photo::OwnerKind.into_iden(),
                Photo::OwnerId.into_iden(),
                Photo::Position.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "ix_photo_event",
            Photo::Table,
            vec![Photo::EventId.into_iden()],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(DeadlineRule::Table)
                    .col(
                        ColumnDef::new(DeadlineRule::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    // '*' matches any category / priority.
                    .col(text(DeadlineRule::Category, 24))
                    .col(text(DeadlineRule::Priority, 16))
                    .col(minutes(DeadlineRule::AcceptMinutes))
                    .col(minutes(DeadlineRule::PlanMinutes))
                    .col(minutes(DeadlineRule::CloseMinutes))
                    .col(uuid_null(DeadlineRule::UpdatedBy))
                    .col(ts(DeadlineRule::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        unique_index(
            manager,
            "ux_deadline_rule",
            DeadlineRule::Table,
            vec![
                DeadlineRule::Category.into_iden(),
                DeadlineRule::Priority.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PointsLedger::Table)
                    .col(
                        ColumnDef::new(PointsLedger::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(uuid(PointsLedger::AccountId))
                    .col(uuid(PointsLedger::EventId))
                    .col(uuid(PointsLedger::GridId))
                    .col(text(PointsLedger::Reason, 24))
                    .col(ColumnDef::new(PointsLedger::Points).integer().not_null())
                    .col(ts(PointsLedger::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_points_account",
                        (PointsLedger::Table, PointsLedger::AccountId),
                        (Account::Table, Account::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_points_event",
                        (PointsLedger::Table, PointsLedger::EventId),
                        (Event::Table, Event::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // One credit per event and reason: a retried step cannot pay twice.
        unique_index(
            manager,
            "ux_points_event_reason",
            PointsLedger::Table,
            vec![
                PointsLedger::EventId.into_iden(),
                PointsLedger::Reason.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "ix_points_grid",
            PointsLedger::Table,
            vec![
                PointsLedger::GridId.into_iden(),
                PointsLedger::CreatedAt.into_iden(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PointsLedger::Table.into_iden(),
            DeadlineRule::Table.into_iden(),
            Photo::Table.into_iden(),
            EventResident::Table.into_iden(),
            EventStep::Table.into_iden(),
            Event::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
