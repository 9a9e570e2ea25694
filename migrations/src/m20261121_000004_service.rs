//! Two-way service claiming: service items (needs and offers, micro-wishes), the claims on them,
//! and each item's immutable timeline.
use crate::columns::{fk, index, ts, ts_null};
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
enum ServiceItem {
    Table,
    Id,
    Direction,
    Kind,
    Category,
    Title,
    Description,
    Capacity,
    ActiveClaims,
    State,
    DueOn,
    RegionId,
    PostedBy,
    PostedByUnitId,
    BeneficiaryResidentId,
    BeneficiarySummary,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ServiceClaim {
    Table,
    Id,
    ItemId,
    MemberUnitId,
    CommunityId,
    State,
    ClaimedBy,
    ClaimedAt,
    StartedAt,
    CompletedAt,
    VerifiedAt,
    WithdrawnAt,
    ReleasedAt,
    PeopleServed,
    ReportNotes,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ServiceItemStep {
    Table,
    Id,
    ItemId,
    ClaimId,
    Action,
    ItemFrom,
    ItemTo,
    ClaimFrom,
    ClaimTo,
    ActorId,
    ActorName,
    ActorRole,
    Note,
    At,
}

fn state_col(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).string_len(16).null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServiceItem::Table)
                    .col(
                        ColumnDef::new(ServiceItem::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ServiceItem::Direction)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceItem::Kind).string_len(16).not_null())
                    .col(
                        ColumnDef::new(ServiceItem::Category)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceItem::Title)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceItem::Description).text().not_null())
                    .col(ColumnDef::new(ServiceItem::Capacity).integer().not_null())
                    .col(
                        ColumnDef::new(ServiceItem::ActiveClaims)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(ServiceItem::State).string_len(16).not_null())
                    .col(ColumnDef::new(ServiceItem::DueOn).date().not_null())
                    .col(ColumnDef::new(ServiceItem::RegionId).uuid().not_null())
                    .col(ColumnDef::new(ServiceItem::PostedBy).uuid().not_null())
                    .col(ColumnDef::new(ServiceItem::PostedByUnitId).uuid().null())
                    .col(
                        ColumnDef::new(ServiceItem::BeneficiaryResidentId)
                            .uuid()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ServiceItem::BeneficiarySummary)
                            .string_len(64)
                            .null(),
                    )
                    .col(ts_null(ServiceItem::ClosedAt))
                    .col(ts(ServiceItem::CreatedAt))
                    .col(ts(ServiceItem::UpdatedAt))
                    // The last line of defence for "capacity is never exceeded": whatever the code
                    // does, the database refuses a count above capacity.
                    .check(Expr::col(ServiceItem::ActiveClaims).gte(0).and(
                        Expr::col(ServiceItem::ActiveClaims).lte(Expr::col(ServiceItem::Capacity)),
                    ))
                    .foreign_key(&mut fk(
                        "fk_service_item_region",
                        (ServiceItem::Table, ServiceItem::RegionId),
                        (Region::Table, Region::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_service_item_poster",
                        (ServiceItem::Table, ServiceItem::PostedBy),
                        (Account::Table, Account::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_service_item_unit",
                        (ServiceItem::Table, ServiceItem::PostedByUnitId),
                        (MemberUnit::Table, MemberUnit::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_service_item_beneficiary",
                        (ServiceItem::Table, ServiceItem::BeneficiaryResidentId),
                        (Resident::Table, Resident::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // Lists are keyset-paginated by id within a committee; figures group by committee.
        index(
            manager,
            "ix_service_item_region",
            ServiceItem::Table,
            vec![
                ServiceItem::RegionId.into_iden(),
                ServiceItem::Id.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "ix_service_item_unit",
            ServiceItem::Table,
            vec![
                ServiceItem::PostedByUnitId.into_iden(),
                ServiceItem::Id.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "ix_service_item_state_due",
            ServiceItem::Table,
            vec![
                ServiceItem::State.into_iden(),
                ServiceItem::DueOn.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ServiceClaim::Table)
                    .col(
                        ColumnDef::new(ServiceClaim::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ServiceClaim::ItemId).uuid().not_null())
                    .col(ColumnDef::new(ServiceClaim::MemberUnitId).uuid().not_null())
                    .col(ColumnDef::new(ServiceClaim::CommunityId).uuid().not_null())
                    .col(
                        ColumnDef::new(ServiceClaim::State)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceClaim::ClaimedBy).uuid().not_null())
                    .col(ts(ServiceClaim::ClaimedAt))
                    .col(ts_null(ServiceClaim::StartedAt))
                    .col(ts_null(ServiceClaim::CompletedAt))
                    .col(ts_null(ServiceClaim::VerifiedAt))
                    .col(ts_null(ServiceClaim::WithdrawnAt))
                    .col(ts_null(ServiceClaim::ReleasedAt))
                    .col(ColumnDef::new(ServiceClaim::PeopleServed).integer().null())
                    .col(ColumnDef::new(ServiceClaim::ReportNotes).text().null())
                    .col(ts(ServiceClaim::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_service_claim_item",
                        (ServiceClaim::Table, ServiceClaim::ItemId),
                        (ServiceItem::Table, ServiceItem::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_service_claim_unit",
                        (ServiceClaim::Table, ServiceClaim::MemberUnitId),
                        (MemberUnit::Table, MemberUnit::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_service_claim_community",
                        (ServiceClaim::Table, ServiceClaim::CommunityId),
                        (Region::Table, Region::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_service_claim_account",
                        (ServiceClaim::Table, ServiceClaim::ClaimedBy),
                        (Account::Table, Account::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // One live claim per party and item. On a need the community side is the item's own, so
        // this is "one per unit"; on an offer the unit side is the offerer's, so "one per
        // community". Withdrawn and released claims step aside so the party may claim again.
        // (A partial index: PostgreSQL and SQLite both have them.)
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_service_claim_live ON service_claim \
                 (item_id, member_unit_id, community_id) \
                 WHERE state IN ('CLAIMED', 'IN_PROGRESS', 'COMPLETED', 'VERIFIED')",
            )
            .await?;
        index(
            manager,
            "ix_service_claim_unit",
            ServiceClaim::Table,
            vec![
                ServiceClaim::MemberUnitId.into_iden(),
                ServiceClaim::Id.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "ix_service_claim_community",
            ServiceClaim::Table,
            vec![
                ServiceClaim::CommunityId.into_iden(),
                ServiceClaim::Id.into_iden(),
            ],
        )
        .await?;
        // The sweep looks for claims still CLAIMED.
        index(
            manager,
            "ix_service_claim_state",
            ServiceClaim::Table,
            vec![
                ServiceClaim::State.into_iden(),
                ServiceClaim::ItemId.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ServiceItemStep::Table)
                    .col(
                        ColumnDef::new(ServiceItemStep::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ServiceItemStep::ItemId).uuid().not_null())
                    .col(ColumnDef::new(ServiceItemStep::ClaimId).uuid().null())
                    .col(
                        ColumnDef::new(ServiceItemStep::Action)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(state_col(ServiceItemStep::ItemFrom))
                    .col(state_col(ServiceItemStep::ItemTo))
                    .col(state_col(ServiceItemStep::ClaimFrom))
                    .col(state_col(ServiceItemStep::ClaimTo))
                    .col(ColumnDef::new(ServiceItemStep::ActorId).uuid().null())
                    .col(
                        ColumnDef::new(ServiceItemStep::ActorName)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ServiceItemStep::ActorRole)
                            .string_len(32)
                            .null(),
                    )
                    .col(ColumnDef::new(ServiceItemStep::Note).text().null())
                    .col(ts(ServiceItemStep::At))
                    .foreign_key(&mut fk(
                        "fk_service_step_item",
                        (ServiceItemStep::Table, ServiceItemStep::ItemId),
                        (ServiceItem::Table, ServiceItem::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_service_step_claim",
                        (ServiceItemStep::Table, ServiceItemStep::ClaimId),
                        (ServiceClaim::Table, ServiceClaim::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_service_step_item",
            ServiceItemStep::Table,
            vec![
                ServiceItemStep::ItemId.into_iden(),
                ServiceItemStep::Id.into_iden(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ServiceItemStep::Table.into_iden(),
            ServiceClaim::Table.into_iden(),
            ServiceItem::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
