//! The notification inbox: what a person must act on, kept so that a phone that was offline
//! gets it later. Written in the same transaction as the change it tells of.
use crate::columns::{fk, index, ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    AccountId,
    Kind,
    EventId,
    ServiceItemId,
    RegionId,
    Message,
    CreatedAt,
    ReadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notification::Table)
                    .col(
                        ColumnDef::new(Notification::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Notification::AccountId).uuid().not_null())
                    .col(ColumnDef::new(Notification::Kind).string_len(32).not_null())
                    // Plain references, no foreign keys: a notification outlives a merge or
                    // any later change of what it points at, and is resolved under the reader's
                    // reach when read.
                    .col(ColumnDef::new(Notification::EventId).uuid().null())
                    .col(ColumnDef::new(Notification::ServiceItemId).uuid().null())
                    .col(ColumnDef::new(Notification::RegionId).uuid().null())
                    .col(
                        ColumnDef::new(Notification::Message)
                            .string_len(300)
                            .not_null(),
                    )
                    .col(ts(Notification::CreatedAt))
                    .col(ts_null(Notification::ReadAt))
                    .foreign_key(&mut fk(
                        "fk_notification_account",
                        (Notification::Table, Notification::AccountId),
                        (Account::Table, Account::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The inbox: one person's notifications, newest first (the id is a UUIDv7, so it
        // orders by creation too and breaks ties).
        index(
            manager,
            "ix_notification_inbox",
            Notification::Table,
            vec![
                Notification::AccountId.into_iden(),
                Notification::Id.into_iden(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Notification::Table).to_owned())
            .await
    }
}
