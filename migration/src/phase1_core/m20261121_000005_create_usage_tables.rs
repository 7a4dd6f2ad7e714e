//! Phase 1: usage metering (per call and per month), usage alerts and the admin audit log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{
    fk, index, pg_enum, pkey, timestamp3_now, timestamp3_null, unique_index, uuid_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // "conversationId" and "messageId" have no foreign keys because the seed declares
        // none; the schema is frozen here as the seed defines it.
        manager
            .create_table(
                Table::create()
                    .table(UsageLogs::Table)
                    .col(uuid_id(UsageLogs::Id))
                    .col(uuid(UsageLogs::UserId))
                    .col(uuid(UsageLogs::AgentId))
                    .col(uuid_null(UsageLogs::ConversationId))
                    .col(string_len_null(UsageLogs::MessageId, 255))
                    .col(integer(UsageLogs::TokensInput))
                    .col(integer(UsageLogs::TokensOutput))
                    .col(integer(UsageLogs::TotalTokens))
                    .col(string_len(UsageLogs::Model, 100))
                    .col(decimal_len(UsageLogs::CostInput, 10, 6))
                    .col(decimal_len(UsageLogs::CostOutput, 10, 6))
                    .col(decimal_len(UsageLogs::TotalCost, 10, 6))
                    .col(integer_null(UsageLogs::Duration))
                    .col(boolean(UsageLogs::Success).default(true))
                    .col(text_null(UsageLogs::ErrorMessage))
                    .col(timestamp3_now(UsageLogs::Timestamp))
                    .primary_key(&mut pkey(&UsageLogs::Table, UsageLogs::Id))
                    .foreign_key(&mut fk(
                        UsageLogs::Table,
                        UsageLogs::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut fk(
                        UsageLogs::Table,
                        UsageLogs::AgentId,
                        Agents::Table,
                        Agents::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MonthlyUsage::Table)
                    .col(uuid_id(MonthlyUsage::Id))
                    .col(uuid(MonthlyUsage::UserId))
                    .col(integer(MonthlyUsage::Year))
                    // A column CHECK, unnamed as in the seed, so PostgreSQL names it
                    // monthly_usage_month_check.
                    .col(
                        integer(MonthlyUsage::Month)
                            .check(Expr::col(MonthlyUsage::Month).between(1, 12)),
                    )
                    .col(integer(MonthlyUsage::TotalMessages).default(0))
                    .col(big_integer(MonthlyUsage::TotalTokens).default(0))
                    .col(decimal_len(MonthlyUsage::TotalCost, 10, 2).default(0))
                    .col(json_binary(MonthlyUsage::AgentUsage))
                    .col(integer_null(MonthlyUsage::LimitMessages))
                    .col(big_integer_null(MonthlyUsage::LimitTokens))
                    .col(boolean(MonthlyUsage::ExceededLimit).default(false))
                    .col(integer(MonthlyUsage::WarningsSent).default(0))
                    .col(timestamp3_now(MonthlyUsage::CreatedAt))
                    .col(timestamp3_now(MonthlyUsage::UpdatedAt))
                    .primary_key(&mut pkey(&MonthlyUsage::Table, MonthlyUsage::Id))
                    .foreign_key(&mut fk(
                        MonthlyUsage::Table,
                        MonthlyUsage::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UsageAlerts::Table)
                    .col(uuid_id(UsageAlerts::Id))
                    .col(uuid(UsageAlerts::UserId))
                    .col(pg_enum(UsageAlerts::Type, &AlertType))
                    .col(integer(UsageAlerts::Threshold))
                    .col(boolean(UsageAlerts::Triggered).default(false))
                    .col(timestamp3_null(UsageAlerts::ResolvedAt))
                    .col(timestamp3_now(UsageAlerts::CreatedAt))
                    .primary_key(&mut pkey(&UsageAlerts::Table, UsageAlerts::Id))
                    .foreign_key(&mut fk(
                        UsageAlerts::Table,
                        UsageAlerts::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLogs::Table)
                    .col(uuid_id(AuditLogs::Id))
                    .col(uuid(AuditLogs::AdminId))
                    .col(string_len(AuditLogs::Action, 100))
                    .col(uuid_null(AuditLogs::TargetId))
                    .col(json_binary_null(AuditLogs::Details))
                    .col(ColumnDef::new(AuditLogs::IpAddress).inet().null())
                    .col(timestamp3_now(AuditLogs::Timestamp))
                    .primary_key(&mut pkey(&AuditLogs::Table, AuditLogs::Id))
                    .foreign_key(&mut fk(
                        AuditLogs::Table,
                        AuditLogs::AdminId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        let indexes = [
            index("usage_logs_userId_timestamp_idx", UsageLogs::Table)
                .col(UsageLogs::UserId)
                .col((UsageLogs::Timestamp, IndexOrder::Desc))
                .to_owned(),
            index("usage_logs_agentId_timestamp_idx", UsageLogs::Table)
                .col(UsageLogs::AgentId)
                .col((UsageLogs::Timestamp, IndexOrder::Desc))
                .to_owned(),
            unique_index("monthly_usage_userId_year_month_key", MonthlyUsage::Table)
                .col(MonthlyUsage::UserId)
                .col(MonthlyUsage::Year)
                .col(MonthlyUsage::Month)
                .to_owned(),
            index("monthly_usage_userId_idx", MonthlyUsage::Table)
                .col(MonthlyUsage::UserId)
                .to_owned(),
            index("usage_alerts_userId_idx", UsageAlerts::Table)
                .col(UsageAlerts::UserId)
                .to_owned(),
            index("audit_logs_adminId_idx", AuditLogs::Table)
                .col(AuditLogs::AdminId)
                .to_owned(),
            index("audit_logs_timestamp_idx", AuditLogs::Table)
                .col((AuditLogs::Timestamp, IndexOrder::Desc))
                .to_owned(),
        ];
        for stmt in indexes {
            manager.create_index(stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes and foreign keys; nothing references these.
        for table in [
            AuditLogs::Table.into_iden(),
            UsageAlerts::Table.into_iden(),
            MonthlyUsage::Table.into_iden(),
            UsageLogs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
#[sea_orm(iden = "AlertType")]
struct AlertType;

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
enum UsageLogs {
    #[sea_orm(iden = "usage_logs")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "agentId")]
    AgentId,
    #[sea_orm(iden = "conversationId")]
    ConversationId,
    #[sea_orm(iden = "messageId")]
    MessageId,
    #[sea_orm(iden = "tokensInput")]
    TokensInput,
    #[sea_orm(iden = "tokensOutput")]
    TokensOutput,
    #[sea_orm(iden = "totalTokens")]
    TotalTokens,
    Model,
    #[sea_orm(iden = "costInput")]
    CostInput,
    #[sea_orm(iden = "costOutput")]
    CostOutput,
    #[sea_orm(iden = "totalCost")]
    TotalCost,
    Duration,
    Success,
    #[sea_orm(iden = "errorMessage")]
    ErrorMessage,
    Timestamp,
}

#[derive(DeriveIden)]
enum MonthlyUsage {
    #[sea_orm(iden = "monthly_usage")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Year,
    Month,
    #[sea_orm(iden = "totalMessages")]
    TotalMessages,
    #[sea_orm(iden = "totalTokens")]
    TotalTokens,
    #[sea_orm(iden = "totalCost")]
    TotalCost,
    #[sea_orm(iden = "agentUsage")]
    AgentUsage,
    #[sea_orm(iden = "limitMessages")]
    LimitMessages,
    #[sea_orm(iden = "limitTokens")]
    LimitTokens,
    #[sea_orm(iden = "exceededLimit")]
    ExceededLimit,
    #[sea_orm(iden = "warningsSent")]
    WarningsSent,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UsageAlerts {
    #[sea_orm(iden = "usage_alerts")]
    Table,
    Id,
    #[sea_orm(iden = "userId")]
    UserId,
    Type,
    Threshold,
    Triggered,
    #[sea_orm(iden = "resolvedAt")]
    ResolvedAt,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLogs {
    #[sea_orm(iden = "audit_logs")]
    Table,
    Id,
    #[sea_orm(iden = "adminId")]
    AdminId,
    Action,
    #[sea_orm(iden = "targetId")]
    TargetId,
    Details,
    #[sea_orm(iden = "ipAddress")]
    IpAddress,
    Timestamp,
}
