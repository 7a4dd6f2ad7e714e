//! Phase 1: chat sessions, their conversations with agents, the messages, and the artifacts agents produce.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index, pkey, timestamp3, timestamp3_now, uuid_id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChatSessions::Table)
                    .col(uuid_id(ChatSessions::Id))
                    .col(uuid(ChatSessions::UserId))
                    .col(timestamp3_now(ChatSessions::StartedAt))
                    .col(timestamp3(ChatSessions::LastActivity))
                    .col(json_binary_null(ChatSessions::Metadata))
                    .primary_key(&mut pkey(&ChatSessions::Table, ChatSessions::Id))
                    .foreign_key(&mut fk(
                        ChatSessions::Table,
                        ChatSessions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .col(uuid_id(Conversations::Id))
                    .col(uuid(Conversations::ChatSessionId))
                    .col(uuid(Conversations::AgentId))
                    .col(string_len(Conversations::Title, 500))
                    .col(text_null(Conversations::Summary))
                    .col(integer(Conversations::MessageCount).default(0))
                    .col(integer(Conversations::TokenCount).default(0))
                    .col(timestamp3_now(Conversations::CreatedAt))
                    .col(timestamp3_now(Conversations::UpdatedAt))
                    .primary_key(&mut pkey(&Conversations::Table, Conversations::Id))
                    .foreign_key(&mut fk(
                        Conversations::Table,
                        Conversations::AgentId,
                        Agents::Table,
                        Agents::Id,
                    ))
                    .foreign_key(&mut fk(
                        Conversations::Table,
                        Conversations::ChatSessionId,
                        ChatSessions::Table,
                        ChatSessions::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(uuid_id(Messages::Id))
                    .col(uuid(Messages::ConversationId))
                    .col(string_len(Messages::Role, 50))
                    .col(text(Messages::Content))
                    .col(integer_null(Messages::TokensInput))
                    .col(integer_null(Messages::TokensOutput))
                    .col(json_binary_null(Messages::Metadata))
                    .col(timestamp3_now(Messages::Timestamp))
                    .primary_key(&mut pkey(&Messages::Table, Messages::Id))
                    .foreign_key(&mut fk(
                        Messages::Table,
                        Messages::ConversationId,
                        Conversations::Table,
                        Conversations::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        // "userId" is a VARCHAR and "conversationId" has no foreign key because the seed says
        // so; the schema is frozen here as the seed defines it, not tidied up.
        manager
            .create_table(
                Table::create()
                    .table(Artifacts::Table)
                    .col(uuid_id(Artifacts::Id))
                    .col(uuid(Artifacts::AgentId))
                    .col(string_len(Artifacts::UserId, 255))
                    .col(uuid_null(Artifacts::ConversationId))
                    .col(string_len(Artifacts::Name, 500))
                    .col(string_len(Artifacts::Type, 50))
                    .col(text(Artifacts::Content))
                    .col(integer(Artifacts::Version).default(1))
                    .col(uuid_null(Artifacts::ParentId))
                    .col(json_binary_null(Artifacts::Metadata))
                    .col(json_binary_null(Artifacts::Tags))
                    .col(timestamp3_now(Artifacts::CreatedAt))
                    .col(timestamp3_now(Artifacts::UpdatedAt))
                    .primary_key(&mut pkey(&Artifacts::Table, Artifacts::Id))
                    .foreign_key(&mut fk(
                        Artifacts::Table,
                        Artifacts::AgentId,
                        Agents::Table,
                        Agents::Id,
                    ))
                    // Deleting a version keeps the versions derived from it, detached.
                    .foreign_key(
                        fk(
                            Artifacts::Table,
                            Artifacts::ParentId,
                            Artifacts::Table,
                            Artifacts::Id,
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        let indexes = [
            index("chat_sessions_userId_idx", ChatSessions::Table)
                .col(ChatSessions::UserId)
                .to_owned(),
            index("conversations_agentId_idx", Conversations::Table)
                .col(Conversations::AgentId)
                .to_owned(),
            index("conversations_chatSessionId_idx", Conversations::Table)
                .col(Conversations::ChatSessionId)
                .to_owned(),
            index("messages_conversationId_idx", Messages::Table)
                .col(Messages::ConversationId)
                .to_owned(),
            index("artifacts_agentId_idx", Artifacts::Table)
                .col(Artifacts::AgentId)
                .to_owned(),
            index("artifacts_userId_idx", Artifacts::Table)
                .col(Artifacts::UserId)
                .to_owned(),
            index("artifacts_parentId_idx", Artifacts::Table)
                .col(Artifacts::ParentId)
                .to_owned(),
        ];
        for stmt in indexes {
            manager.create_index(stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes and foreign keys; referencing tables go first.
        for table in [
            Artifacts::Table.into_iden(),
            Messages::Table.into_iden(),
            Conversations::Table.into_iden(),
            ChatSessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A referenced table, as created by the identity migration.
#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
}

/// A referenced table, as created by the agent migration.
#[derive(DeriveIden)]
enum Agents {
    #[sea_orm(iden = "agents")]
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ChatSessions {
    #[sea_orm(iden = "chat_sessions")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "startedAt")]
    StartedAt,
    #[sea_orm(iden = "lastActivity")]
    LastActivity,
    Metadata,
}

#[derive(DeriveIden)]
enum Conversations {
    #[sea_orm(iden = "conversations")]
    Table,
    Id,
    #[sea_orm(iden = "chatSessionId")]
    ChatSessionId,
    #[sea_orm(iden = "agentId")]
    AgentId,
    Title,
    Summary,
    #[sea_orm(iden = "messageCount")]
    MessageCount,
    #[sea_orm(iden = "tokenCount")]
    TokenCount,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    #[sea_orm(iden = "messages")]
    Table,
    Id,
    #[sea_orm(iden = "conversationId")]
    ConversationId,
    Role,
    Content,
    #[sea_orm(iden = "tokensInput")]
    TokensInput,
    #[sea_orm(iden = "tokensOutput")]
    TokensOutput,
    Metadata,
    Timestamp,
}

#[derive(DeriveIden)]
enum Artifacts {
    #[sea_orm(iden = "artifacts")]
    Table,
    Id,
    #[sea_orm(iden = "agentId")]
    AgentId,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "conversationId")]
    ConversationId,
    Name,
    Type,
    Content,
    Version,
    #[sea_orm(iden = "parentId")]
    ParentId,
    Metadata,
    Tags,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}
