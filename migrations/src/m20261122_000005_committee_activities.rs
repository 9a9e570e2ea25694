//! Committee activities: the joint meetings (联席会议) and co-building activities (共建活动) of a
//! community's big party committee or a sub-district's big working committee, with the member
//! units that took part and the service items they served.
use crate::columns::{fk, index, ts, unique_index};
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
enum ServiceItem {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CommitteeActivity {
    Table,
    Id,
    ClientId,
    PayloadHash,
    RegionId,
    Kind,
    HeldOn,
    Title,
    PeopleReached,
    Notes,
    RecordedBy,
    RecordedByName,
    RecordedAt,
}

#[derive(DeriveIden)]
enum CommitteeActivityUnit {
    Table,
    ActivityId,
    MemberUnitId,
}

#[derive(DeriveIden)]
enum CommitteeActivityItem {
    Table,
    ActivityId,
    ServiceItemId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CommitteeActivity::Table)
                    .col(
                        ColumnDef::new(CommitteeActivity::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CommitteeActivity::ClientId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeActivity::PayloadHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeActivity::RegionId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeActivity::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CommitteeActivity::HeldOn).date().not_null())
                    .col(
                        ColumnDef::new(CommitteeActivity::Title)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeActivity::PeopleReached)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CommitteeActivity::Notes).text().null())
                    .col(
                        ColumnDef::new(CommitteeActivity::RecordedBy)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeActivity::RecordedByName)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ts(CommitteeActivity::RecordedAt))
                    .check(Expr::col(CommitteeActivity::PeopleReached).gte(0))
                    .foreign_key(&mut fk(
                        "fk_committee_activity_region",
                        (CommitteeActivity::Table, CommitteeActivity::RegionId),
                        (Region::Table, Region::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_committee_activity_recorder",
                        (CommitteeActivity::Table, CommitteeActivity::RecordedBy),
                        (Account::Table, Account::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // A retry with the same client id finds the first record.
        unique_index(
            manager,
            "ux_committee_activity_client",
            CommitteeActivity::Table,
            vec![CommitteeActivity::ClientId.into_iden()],
        )
        .await?;
        // Figures group by committee within a window of days.
        index(
            manager,
            "ix_committee_activity_region_day",
            CommitteeActivity::Table,
            vec![
                CommitteeActivity::RegionId.into_iden(),
                CommitteeActivity::HeldOn.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommitteeActivityUnit::Table)
                    .col(
                        ColumnDef::new(CommitteeActivityUnit::ActivityId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeActivityUnit::MemberUnitId)
                            .uuid()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CommitteeActivityUnit::ActivityId)
                            .col(CommitteeActivityUnit::MemberUnitId),
                    )
                    .foreign_key(&mut fk(
                        "fk_committee_activity_unit_activity",
                        (
                            CommitteeActivityUnit::Table,
                            CommitteeActivityUnit::ActivityId,
                        ),
                        (CommitteeActivity::Table, CommitteeActivity::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_committee_activity_unit_unit",
                        (
                            CommitteeActivityUnit::Table,
                            CommitteeActivityUnit::MemberUnitId,
                        ),
                        (MemberUnit::Table, MemberUnit::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // A liaison's activities, and figures per unit.
        index(
            manager,
            "ix_committee_activity_unit_unit",
            CommitteeActivityUnit::Table,
            vec![
                CommitteeActivityUnit::MemberUnitId.into_iden(),
                CommitteeActivityUnit::ActivityId.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommitteeActivityItem::Table)
                    .col(
                        ColumnDef::new(CommitteeActivityItem::ActivityId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeActivityItem::ServiceItemId)
                            .uuid()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CommitteeActivityItem::ActivityId)
                            .col(CommitteeActivityItem::ServiceItemId),
                    )
                    .foreign_key(&mut fk(
                        "fk_committee_activity_item_activity",
                        (
                            CommitteeActivityItem::Table,
                            CommitteeActivityItem::ActivityId,
                        ),
                        (CommitteeActivity::Table, CommitteeActivity::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_committee_activity_item_item",
                        (
                            CommitteeActivityItem::Table,
                            CommitteeActivityItem::ServiceItemId,
                        ),
                        (ServiceItem::Table, ServiceItem::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CommitteeActivityItem::Table.into_iden(),
            CommitteeActivityUnit::Table.into_iden(),
            CommitteeActivity::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
