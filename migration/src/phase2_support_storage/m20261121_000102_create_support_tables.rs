//! Phase 2: support tickets and the messages of their threads.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{
    add_updated_at_triggers, drop_updated_at_triggers, fk, index, pg_enum, pkey, timestamp3_now,
    timestamp3_null, uuid_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables of this migration that have `"updatedAt"`.
const UPDATED_AT_TABLES: &[(&str, &str)] = &[("public", "support_tickets")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SupportTickets::Table)
                    .col(uuid_id(SupportTickets::Id))
                    .col(uuid(SupportTickets::UserId))
                    .col(uuid_null(SupportTickets::AssignedTo))
                    .col(pg_enum(SupportTickets::Category, &TicketCategory))
                    .col(pg_enum(SupportTickets::Priority, &TicketPriority).default("MEDIUM"))
                    .col(pg_enum(SupportTickets::Status, &TicketStatus).default("OPEN"))
                    .col(string_len(SupportTickets::Subject, 500))
                    .col(text(SupportTickets::Description))
                    .col(text_null(SupportTickets::AiSummary))
                    .col(json_binary_null(SupportTickets::Metadata))
                    .col(timestamp3_null(SupportTickets::ResolvedAt))
                    .col(timestamp3_null(SupportTickets::ClosedAt))
                    .col(timestamp3_now(SupportTickets::CreatedAt))
                    .col(timestamp3_now(SupportTickets::UpdatedAt))
                    .primary_key(&mut pkey(&SupportTickets::Table, SupportTickets::Id))
                    .foreign_key(&mut fk(
                        SupportTickets::Table,
                        SupportTickets::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    // Removing a support agent leaves their tickets unassigned.
                    .foreign_key(
                        fk(
                            SupportTickets::Table,
                            SupportTickets::AssignedTo,
                            Users::Table,
                            Users::Id,
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SupportMessages::Table)
                    .col(uuid_id(SupportMessages::Id))
                    .col(uuid(SupportMessages::TicketId))
                    .col(uuid_null(SupportMessages::AuthorId))
                    .col(boolean(SupportMessages::IsFromAi).default(false))
                    .col(boolean(SupportMessages::IsInternal).default(false))
                    .col(text(SupportMessages::Content))
                    .col(json_binary_null(SupportMessages::Attachments))
                    .col(timestamp3_now(SupportMessages::CreatedAt))
                    .primary_key(&mut pkey(&SupportMessages::Table, SupportMessages::Id))
                    .foreign_key(&mut fk(
                        SupportMessages::Table,
                        SupportMessages::TicketId,
                        SupportTickets::Table,
                        SupportTickets::Id,
                    ))
                    // A thread keeps the messages of an author who is deleted.
                    .foreign_key(
                        fk(
                            SupportMessages::Table,
                            SupportMessages::AuthorId,
                            Users::Table,
                            Users::Id,
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        let indexes = [
            index(
                "support_tickets_status_createdAt_idx",
                SupportTickets::Table,
            )
            .col(SupportTickets::Status)
            .col((SupportTickets::CreatedAt, IndexOrder::Desc))
            .to_owned(),
            index("support_tickets_userId_idx", SupportTickets::Table)
                .col(SupportTickets::UserId)
                .to_owned(),
            index("support_tickets_assignedTo_idx", SupportTickets::Table)
                .col(SupportTickets::AssignedTo)
                .to_owned(),
            index(
                "support_messages_ticketId_createdAt_idx",
                SupportMessages::Table,
            )
            .col(SupportMessages::TicketId)
            .col(SupportMessages::CreatedAt)
            .to_owned(),
            index("support_messages_authorId_idx", SupportMessages::Table)
                .col(SupportMessages::AuthorId)
                .to_owned(),
        ];
        for stmt in indexes {
            manager.create_index(stmt).await?;
        }
        add_updated_at_triggers(manager, UPDATED_AT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_updated_at_triggers(manager, UPDATED_AT_TABLES).await?;
        // Dropping a table drops its indexes and foreign keys; referencing tables go first.
        for table in [
            SupportMessages::Table.into_iden(),
            SupportTickets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A referenced table, as created by phase 1.
#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
}

#[derive(DeriveIden)]
#[sea_orm(iden = "TicketCategory")]
struct TicketCategory;

#[derive(DeriveIden)]
#[sea_orm(iden = "TicketPriority")]
struct TicketPriority;

#[derive(DeriveIden)]
#[sea_orm(iden = "TicketStatus")]
struct TicketStatus;

#[derive(DeriveIden)]
enum SupportTickets {
    #[sea_orm(iden = "support_tickets")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "assignedTo")]
    AssignedTo,
    Category,
    Priority,
    Status,
    Subject,
    Description,
    #[sea_orm(iden = "aiSummary")]
    AiSummary,
    Metadata,
    #[sea_orm(iden = "resolvedAt")]
    ResolvedAt,
    #[sea_orm(iden = "closedAt")]
    ClosedAt,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SupportMessages {
    #[sea_orm(iden = "support_messages")]
    Table,
    Id,
    #[sea_orm(iden = "ticketId")]
    TicketId,
    #[sea_orm(iden = "authorId")]
    AuthorId,
    #[sea_orm(iden = "isFromAI")]
    IsFromAi,
    #[sea_orm(iden = "isInternal")]
    IsInternal,
    Content,
    Attachments,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}
