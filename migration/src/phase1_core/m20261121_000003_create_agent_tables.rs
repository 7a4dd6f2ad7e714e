//! Phase 1: the AI agents and which users may use them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index, pkey, timestamp3_now, unique_index, uuid_id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Agents::Table)
                    .col(uuid_id(Agents::Id))
                    .col(uuid(Agents::CreatedBy))
                    .col(string_len(Agents::Name, 255))
                    .col(string_len(Agents::Slug, 255))
                    .col(text_null(Agents::Description))
                    .col(string_len(Agents::Category, 100))
                    .col(string_len(Agents::Model, 100))
                    .col(json_binary_null(Agents::Config))
                    .col(string_len(Agents::EndpointUrl, 500))
                    .col(text_null(Agents::SystemPrompt))
                    .col(boolean(Agents::IsPublic).default(false))
                    .col(boolean(Agents::IsActive).default(true))
                    .col(string_len_null(Agents::DocumentationUrl, 500))
                    .col(string_len_null(Agents::TutorialUrl, 500))
                    .col(json_binary_null(Agents::Capabilities))
                    .col(integer(Agents::TotalUses).default(0))
                    .col(integer(Agents::TotalMessages).default(0))
                    .col(decimal_len_null(Agents::AverageRating, 3, 2))
                    .col(timestamp3_now(Agents::CreatedAt))
                    .col(timestamp3_now(Agents::UpdatedAt))
                    .primary_key(&mut pkey(&Agents::Table, Agents::Id))
                    .foreign_key(&mut fk(
                        Agents::Table,
                        Agents::CreatedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserAgentPermissions::Table)
                    .col(uuid_id(UserAgentPermissions::Id))
                    .col(uuid(UserAgentPermissions::UserId))
                    .col(uuid(UserAgentPermissions::AgentId))
                    .col(string_len_null(UserAgentPermissions::GrantedBy, 255))
                    .col(timestamp3_now(UserAgentPermissions::GrantedAt))
                    .primary_key(&mut pkey(
                        &UserAgentPermissions::Table,
                        UserAgentPermissions::Id,
                    ))
                    .foreign_key(&mut fk(
                        UserAgentPermissions::Table,
                        UserAgentPermissions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut fk(
                        UserAgentPermissions::Table,
                        UserAgentPermissions::AgentId,
                        Agents::Table,
                        Agents::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        let indexes = [
            unique_index("agents_slug_key", Agents::Table)
                .col(Agents::Slug)
                .to_owned(),
            index("agents_createdBy_idx", Agents::Table)
                .col(Agents::CreatedBy)
                .to_owned(),
            index("agents_category_idx", Agents::Table)
                .col(Agents::Category)
                .to_owned(),
            unique_index(
                "user_agent_permissions_userId_agentId_key",
                UserAgentPermissions::Table,
            )
            .col(UserAgentPermissions::UserId)
            .col(UserAgentPermissions::AgentId)
            .to_owned(),
            index(
                "user_agent_permissions_userId_idx",
                UserAgentPermissions::Table,
            )
            .col(UserAgentPermissions::UserId)
            .to_owned(),
            index(
                "user_agent_permissions_agentId_idx",
                UserAgentPermissions::Table,
            )
            .col(UserAgentPermissions::AgentId)
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
            UserAgentPermissions::Table.into_iden(),
            Agents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The referenced table, as created by the identity migration.
#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Agents {
    #[sea_orm(iden = "agents")]
    Table,
    Id,
    #[sea_orm(iden = "createdBy")]
    CreatedBy,
    Name,
    Slug,
    Description,
    Category,
    Model,
    Config,
    #[sea_orm(iden = "endpointUrl")]
    EndpointUrl,
    #[sea_orm(iden = "systemPrompt")]
    SystemPrompt,
    #[sea_orm(iden = "isPublic")]
    IsPublic,
    #[sea_orm(iden = "isActive")]
    IsActive,
    #[sea_orm(iden = "documentationUrl")]
    DocumentationUrl,
    #[sea_orm(iden = "tutorialUrl")]
    TutorialUrl,
    Capabilities,
    #[sea_orm(iden = "totalUses")]
    TotalUses,
    #[sea_orm(iden = "totalMessages")]
    TotalMessages,
    #[sea_orm(iden = "averageRating")]
    AverageRating,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserAgentPermissions {
    #[sea_orm(iden = "user_agent_permissions")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "agentId")]
    AgentId,
    #[sea_orm(iden = "grantedBy")]
    GrantedBy,
    #[sea_orm(iden = "grantedAt")]
    GrantedAt,
}
