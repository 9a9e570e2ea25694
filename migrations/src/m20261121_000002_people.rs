//! People and units: residents (personal data encrypted), grid members and their grid
//! assignments, member units and their committee memberships, unit liaisons.
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
    MemberUnitId,
}

#[derive(DeriveIden)]
enum Resident {
    Table,
    Id,
    RegionId,
    Name,
    Gender,
    BirthDate,
    IdNumberEnc,
    IdNumberHash,
    PhoneEnc,
    PhoneHash,
    Building,
    Unit,
    Room,
    Address,
    Household,
    ResidenceType,
    Tags,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GridMember {
    Table,
    Id,
    AccountId,
    RegionId,
    Name,
    PhoneEnc,
    PhoneHash,
    Kind,
    Occupation,
    Employer,
    PartyMember,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GridAssignment {
    Table,
    Id,
    GridMemberId,
    GridId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MemberUnit {
    Table,
    Id,
    RegionId,
    Name,
    Kind,
    ContactName,
    ContactPhoneEnc,
    Address,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommitteeMembership {
    Table,
    Id,
    MemberUnitId,
    RegionId,
    ConcurrentMemberName,
    JoinedOn,
    Commitments,
    ValidFrom,
    ValidTo,
    CreatedAt,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Resident::Table)
                    .col(ColumnDef::new(Resident::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Resident::RegionId).uuid().not_null())
                    .col(ColumnDef::new(Resident::Name).string_len(64).not_null())
                    .col(ColumnDef::new(Resident::Gender).string_len(8).not_null())
                    .col(ColumnDef::new(Resident::BirthDate).date().not_null())
                    .col(ColumnDef::new(Resident::IdNumberEnc).text().not_null())
                    .col(
                        ColumnDef::new(Resident::IdNumberHash)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Resident::PhoneEnc).text().null())
                    .col(ColumnDef::new(Resident::PhoneHash).string_len(80).null())
                    .col(ColumnDef::new(Resident::Building).string_len(32).null())
                    .col(ColumnDef::new(Resident::Unit).string_len(16).null())
                    .col(ColumnDef::new(Resident::Room).string_len(16).null())
                    .col(ColumnDef::new(Resident::Address).string_len(200).null())
                    .col(ColumnDef::new(Resident::Household).string_len(64).null())
                    .col(
                        ColumnDef::new(Resident::ResidenceType)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Resident::Tags)
                            .string_len(400)
                            .not_null()
                            .default(","),
                    )
                    .col(ColumnDef::new(Resident::CreatedBy).uuid().null())
                    .col(ts(Resident::CreatedAt))
                    .col(ts(Resident::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_resident_region",
                        (Resident::Table, Resident::RegionId),
                        (Region::Table, Region::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_resident_id_number",
            Resident::Table,
            vec![Resident::IdNumberHash.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_resident_region",
            Resident::Table,
            vec![Resident::RegionId.into_iden(), Resident::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_resident_name",
            Resident::Table,
            vec![Resident::Name.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_resident_building",
            Resident::Table,
            vec![
                Resident::RegionId.into_iden(),
                Resident::Building.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "ix_resident_phone",
            Resident::Table,
            vec![Resident::PhoneHash.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(GridMember::Table)
                    .col(
                        ColumnDef::new(GridMember::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(GridMember::AccountId).uuid().null())
                    .col(ColumnDef::new(GridMember::RegionId).uuid().not_null())
                    .col(ColumnDef::new(GridMember::Name).string_len(64).not_null())
                    .col(ColumnDef::new(GridMember::PhoneEnc).text().not_null())
                    .col(
                        ColumnDef::new(GridMember::PhoneHash)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(ColumnDef::new(GridMember::Kind).string_len(16).not_null())
                    .col(
                        ColumnDef::new(GridMember::Occupation)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(GridMember::Employer).string_len(100).null())
                    .col(
                        ColumnDef::new(GridMember::PartyMember)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ts(GridMember::CreatedAt))
                    .col(ts(GridMember::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_grid_member_region",
                        (GridMember::Table, GridMember::RegionId),
                        (Region::Table, Region::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_grid_member_account",
                        (GridMember::Table, GridMember::AccountId),
                        (Account::Table, Account::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_grid_member_account",
            GridMember::Table,
            vec![GridMember::AccountId.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ux_grid_member_phone",
            GridMember::Table,
            vec![GridMember::PhoneHash.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_grid_member_region",
            GridMember::Table,
            vec![GridMember::RegionId.into_iden(), GridMember::Id.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(GridAssignment::Table)
                    .col(
                        ColumnDef::new(GridAssignment::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(GridAssignment::GridMemberId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(GridAssignment::GridId).uuid().not_null())
                    .col(
                        ColumnDef::new(GridAssignment::Role)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ts(GridAssignment::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_assignment_member",
                        (GridAssignment::Table, GridAssignment::GridMemberId),
                        (GridMember::Table, GridMember::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_assignment_grid",
                        (GridAssignment::Table, GridAssignment::GridId),
                        (Region::Table, Region::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_assignment_member_grid",
            GridAssignment::Table,
            vec![
                GridAssignment::GridMemberId.into_iden(),
                GridAssignment::GridId.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "ix_assignment_grid",
            GridAssignment::Table,
            vec![GridAssignment::GridId.into_iden()],
            false,
        )
        .await?;
        // One head per grid, enforced by the database (partial index: PostgreSQL and SQLite).
        manager
            .get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX ux_assignment_one_head ON grid_assignment (grid_id) WHERE role = 'HEAD'")
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MemberUnit::Table)
                    .col(
                        ColumnDef::new(MemberUnit::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MemberUnit::RegionId).uuid().null())
                    .col(ColumnDef::new(MemberUnit::Name).string_len(100).not_null())
                    .col(ColumnDef::new(MemberUnit::Kind).string_len(32).not_null())
                    .col(
                        ColumnDef::new(MemberUnit::ContactName)
                            .string_len(64)
                            .null(),
                    )
                    .col(ColumnDef::new(MemberUnit::ContactPhoneEnc).text().null())
                    .col(ColumnDef::new(MemberUnit::Address).string_len(200).null())
                    .col(ts(MemberUnit::CreatedAt))
                    .col(ts(MemberUnit::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_member_unit_region",
                        (MemberUnit::Table, MemberUnit::RegionId),
                        (Region::Table, Region::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_member_unit_name",
            MemberUnit::Table,
            vec![MemberUnit::Name.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_member_unit_region",
            MemberUnit::Table,
            vec![MemberUnit::RegionId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommitteeMembership::Table)
                    .col(
                        ColumnDef::new(CommitteeMembership::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CommitteeMembership::MemberUnitId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeMembership::RegionId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeMembership::ConcurrentMemberName)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeMembership::JoinedOn)
                            .date()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CommitteeMembership::Commitments)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CommitteeMembership::ValidFrom).date().null())
                    .col(ColumnDef::new(CommitteeMembership::ValidTo).date().null())
                    .col(ts(CommitteeMembership::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_membership_unit",
                        (
                            CommitteeMembership::Table,
                            CommitteeMembership::MemberUnitId,
                        ),
                        (MemberUnit::Table, MemberUnit::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_membership_region",
                        (CommitteeMembership::Table, CommitteeMembership::RegionId),
                        (Region::Table, Region::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_membership_unit_committee",
            CommitteeMembership::Table,
            vec![
                CommitteeMembership::MemberUnitId.into_iden(),
                CommitteeMembership::RegionId.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "ix_membership_committee",
            CommitteeMembership::Table,
            vec![CommitteeMembership::RegionId.into_iden()],
            false,
        )
        .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Account::Table)
                    .add_column(ColumnDef::new(Account::MemberUnitId).uuid().null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_account_member_unit",
            Account::Table,
            vec![Account::MemberUnitId.into_iden()],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Account::Table)
                    .drop_column(Account::MemberUnitId)
                    .to_owned(),
            )
            .await?;
        for table in [
            CommitteeMembership::Table.into_iden(),
            MemberUnit::Table.into_iden(),
            GridAssignment::Table.into_iden(),
            GridMember::Table.into_iden(),
            Resident::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
