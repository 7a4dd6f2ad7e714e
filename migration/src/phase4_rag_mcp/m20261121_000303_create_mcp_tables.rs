//! Phase 4: MCP integrations (OAuth tokens stored only as AES-256-GCM ciphertext) and their
//! sync log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{
    add_updated_at_triggers, drop_updated_at_triggers, fk, index, pg_enum, pkey, timestamp3,
    timestamp3_now, timestamp3_null, unique_index, uuid_id,
};

/// The tables of this migration that have `"updatedAt"` (`mcp_sync_logs` has none).
const UPDATED_AT_TABLES: &[(&str, &str)] = &[("public", "mcp_integrations")];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The token columns are BYTEA holding nonce || ciphertext || tag; the key lives in
        // the environment, so the database alone cannot reveal a token.
        manager
            .create_table(
                Table::create()
                    .table(McpIntegrations::Table)
                    .col(uuid_id(McpIntegrations::Id))
                    .col(uuid(McpIntegrations::UserId))
                    .col(pg_enum(McpIntegrations::Provider, &IntegrationProvider))
                    .col(pg_enum(McpIntegrations::Status, &IntegrationStatus).default("ACTIVE"))
                    .col(binary(McpIntegrations::AccessTokenEncrypted))
                    .col(binary_null(McpIntegrations::RefreshTokenEncrypted))
                    .col(timestamp3_null(McpIntegrations::TokenExpiresAt))
                    .col(json_binary_null(McpIntegrations::Scopes))
                    .col(json_binary_null(McpIntegrations::Config))
                    .col(timestamp3_null(McpIntegrations::LastSyncAt))
                    .col(timestamp3_now(McpIntegrations::CreatedAt))
                    .col(timestamp3_now(McpIntegrations::UpdatedAt))
                    .primary_key(&mut pkey(&McpIntegrations::Table, McpIntegrations::Id))
                    .foreign_key(&mut fk(
                        McpIntegrations::Table,
                        McpIntegrations::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(McpSyncLogs::Table)
                    .col(uuid_id(McpSyncLogs::Id))
                    .col(uuid(McpSyncLogs::IntegrationId))
                    .col(pg_enum(McpSyncLogs::Status, &SyncStatus))
                    .col(integer(McpSyncLogs::ItemsSynced).default(0))
                    .col(text_null(McpSyncLogs::ErrorMessage))
                    .col(timestamp3(McpSyncLogs::StartedAt))
                    .col(timestamp3_null(McpSyncLogs::FinishedAt))
                    .col(integer_null(McpSyncLogs::DurationMs))
                    .primary_key(&mut pkey(&McpSyncLogs::Table, McpSyncLogs::Id))
                    .foreign_key(&mut fk(
                        McpSyncLogs::Table,
                        McpSyncLogs::IntegrationId,
                        McpIntegrations::Table,
                        McpIntegrations::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        // The unique (userId, provider) index also serves as the userId foreign-key index.
        let indexes = [
            unique_index(
                "mcp_integrations_userId_provider_key",
                McpIntegrations::Table,
            )
            .col(McpIntegrations::UserId)
            .col(McpIntegrations::Provider)
            .to_owned(),
            index(
                "mcp_sync_logs_integrationId_startedAt_idx",
                McpSyncLogs::Table,
            )
            .col(McpSyncLogs::IntegrationId)
            .col((McpSyncLogs::StartedAt, IndexOrder::Desc))
            .to_owned(),
        ];
        for stmt in indexes {
            manager.create_index(stmt).await?;
        }

        add_updated_at_triggers(manager, UPDATED_AT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes, triggers and foreign keys; referencing tables
        // go first.
        drop_updated_at_triggers(manager, UPDATED_AT_TABLES).await?;
        for table in [
            McpSyncLogs::Table.into_iden(),
            McpIntegrations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
#[sea_orm(iden = "IntegrationProvider")]
struct IntegrationProvider;

#[derive(DeriveIden)]
#[sea_orm(iden = "IntegrationStatus")]
struct IntegrationStatus;

#[derive(DeriveIden)]
#[sea_orm(iden = "SyncStatus")]
struct SyncStatus;

/// A referenced table, as created by phase 1's identity migration.
#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "users")]
    Table,
    Id,
}

#[derive(DeriveIden)]
enum McpIntegrations {
    #[sea_orm(iden = "mcp_integrations")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Provider,
    Status,
    #[sea_orm(iden = "accessTokenEncrypted")]
    AccessTokenEncrypted,
    #[sea_orm(iden = "refreshTokenEncrypted")]
    RefreshTokenEncrypted,
    #[sea_orm(iden = "tokenExpiresAt")]
    TokenExpiresAt,
    Scopes,
    Config,
    #[sea_orm(iden = "lastSyncAt")]
    LastSyncAt,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum McpSyncLogs {
    #[sea_orm(iden = "mcp_sync_logs")]
    Table,
    Id,
    #[sea_orm(iden = "integrationId")]
    IntegrationId,
    Status,
    #[sea_orm(iden = "itemsSynced")]
    ItemsSynced,
    #[sea_orm(iden = "errorMessage")]
    ErrorMessage,
    #[sea_orm(iden = "startedAt")]
    StartedAt,
    #[sea_orm(iden = "finishedAt")]
    FinishedAt,
    #[sea_orm(iden = "durationMs")]
    DurationMs,
}
