//! Phase 4: the four enum types of the RAG and MCP tables.

use sea_orm_migration::prelude::extension::postgres::Type;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, labels) in ENUMS {
            manager
                .create_type(
                    Type::create()
                        .as_enum(*name)
                        .values(labels.iter().copied())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in ENUMS.iter().rev() {
            manager
                .drop_type(Type::drop().name(*name).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// SCHEMA.md's Phase-4 enum types, with their labels in declaration order (the order is part
/// of the type: it defines how values compare).
const ENUMS: &[(&str, &[&str])] = &[
    (
        "DocumentStatus",
        &["PENDING", "PROCESSING", "INDEXED", "FAILED"],
    ),
    (
        "IntegrationProvider",
        &[
            "GMAIL",
            "GOOGLE_CALENDAR",
            "GOOGLE_DRIVE",
            "NOTION",
            "SLACK",
            "GITHUB",
            "OTHER",
        ],
    ),
    (
        "IntegrationStatus",
        &["ACTIVE", "PAUSED", "ERROR", "REVOKED"],
    ),
    ("SyncStatus", &["STARTED", "SUCCESS", "PARTIAL", "FAILED"]),
];
