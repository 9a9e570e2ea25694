//! Foundation: the region tree, accounts, sessions with rotating refresh tokens, the audit log.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Region {
    Table,
    Id,
    ParentId,
    Level,
    Name,
    Code,
    GridKind,
    Boundary,
    BboxMinLng,
    BboxMinLat,
    BboxMaxLng,
    BboxMaxLat,
    Path,
    Depth,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    PhoneHash,
    PhoneEnc,
    Name,
    PasswordHash,
    Role,
    RegionId,
    DisabledAt,
    FailedLogins,
    LastFailedLoginAt,
    LockedUntil,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    AccountId,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshToken {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RotatedAt,
    RetriedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    ActorRole,
    Action,
    TargetType,
    TargetId,
    RegionId,
    RequestId,
    Outcome,
    Detail,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Region paths are matched by byte-wise prefix ranges; on PostgreSQL the column must use the
        // C collation so that range comparisons are byte order, not locale order.
        let mut path = ColumnDef::new(Region::Path);
        path.string_len(512).not_null();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            path.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table(Region::Table)
                    .col(ColumnDef::new(Region::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Region::ParentId).uuid().null())
                    .col(ColumnDef::new(Region::Level).string_len(16).not_null())
                    .col(ColumnDef::new(Region::Name).string_len(64).not_null())
                    .col(ColumnDef::new(Region::Code).string_len(32).null())
                    .col(ColumnDef::new(Region::GridKind).string_len(16).null())
                    .col(ColumnDef::new(Region::Boundary).text().null())
                    .col(ColumnDef::new(Region::BboxMinLng).double().null())
                    .col(ColumnDef::new(Region::BboxMinLat).double().null())
                    .col(ColumnDef::new(Region::BboxMaxLng).double().null())
                    .col(ColumnDef::new(Region::BboxMaxLat).double().null())
                    .col(path)
                    .col(ColumnDef::new(Region::Depth).small_integer().not_null())
                    .col(ts(Region::CreatedAt))
                    .col(ts(Region::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_region_parent")
                            .from(Region::Table, Region::ParentId)
                            .to(Region::Table, Region::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_region_path")
                    .table(Region::Table)
                    .col(Region::Path)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_region_parent_name")
                    .table(Region::Table)
                    .col(Region::ParentId)
                    .col(Region::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_region_level_path")
                    .table(Region::Table)
                    .col(Region::Level)
                    .col(Region::Path)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .col(ColumnDef::new(Account::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Account::PhoneHash).string_len(80).not_null())
                    .col(ColumnDef::new(Account::PhoneEnc).text().not_null())
                    .col(ColumnDef::new(Account::Name).string_len(64).not_null())
                    .col(ColumnDef::new(Account::PasswordHash).text().not_null())
                    .col(ColumnDef::new(Account::Role).string_len(32).not_null())
                    .col(ColumnDef::new(Account::RegionId).uuid().null())
                    .col(ts_null(Account::DisabledAt))
                    .col(
                        ColumnDef::new(Account::FailedLogins)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts_null(Account::LastFailedLoginAt))
                    .col(ts_null(Account::LockedUntil))
                    .col(ColumnDef::new(Account::CreatedBy).uuid().null())
                    .col(ts(Account::CreatedAt))
                    .col(ts(Account::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_region")
                            .from(Account::Table, Account::RegionId)
                            .to(Region::Table, Region::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_account_phone_hash")
                    .table(Account::Table)
                    .col(Account::PhoneHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_account_region")
                    .table(Account::Table)
                    .col(Account::RegionId)
                    .col(Account::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    .col(ColumnDef::new(Session::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Session::AccountId).uuid().not_null())
                    .col(ts(Session::CreatedAt))
                    .col(ts(Session::LastUsedAt))
                    .col(ts_null(Session::RevokedAt))
                    .col(ColumnDef::new(Session::RevokedReason).string_len(32).null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_account")
                            .from(Session::Table, Session::AccountId)
                            .to(Account::Table, Account::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_session_account")
                    .table(Session::Table)
                    .col(Session::AccountId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshToken::Table)
                    .col(
                        ColumnDef::new(RefreshToken::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RefreshToken::SessionId).uuid().not_null())
                    .col(
                        ColumnDef::new(RefreshToken::TokenHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ts(RefreshToken::CreatedAt))
                    .col(ts(RefreshToken::ExpiresAt))
                    .col(ts_null(RefreshToken::RotatedAt))
                    .col(ts_null(RefreshToken::RetriedAt))
                    .col(ts_null(RefreshToken::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_token_session")
                            .from(RefreshToken::Table, RefreshToken::SessionId)
                            .to(Session::Table, Session::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_refresh_token_hash")
                    .table(RefreshToken::Table)
                    .col(RefreshToken::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_token_session")
                    .table(RefreshToken::Table)
                    .col(RefreshToken::SessionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(ColumnDef::new(AuditLog::Id).uuid().not_null().primary_key())
                    .col(ts(AuditLog::At))
                    .col(ColumnDef::new(AuditLog::ActorId).uuid().null())
                    .col(ColumnDef::new(AuditLog::ActorRole).string_len(32).null())
                    .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                    .col(
                        ColumnDef::new(AuditLog::TargetType)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::TargetId).uuid().null())
                    .col(ColumnDef::new(AuditLog::RegionId).uuid().null())
                    .col(ColumnDef::new(AuditLog::RequestId).string_len(64).null())
                    .col(ColumnDef::new(AuditLog::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(AuditLog::Detail).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_region")
                    .table(AuditLog::Table)
                    .col(AuditLog::RegionId)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_actor")
                    .table(AuditLog::Table)
                    .col(AuditLog::ActorId)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            RefreshToken::Table.into_iden(),
            Session::Table.into_iden(),
            Account::Table.into_iden(),
            Region::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
