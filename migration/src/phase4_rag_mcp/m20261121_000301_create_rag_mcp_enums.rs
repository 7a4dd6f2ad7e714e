//! Phase 4: the four enum types of the RAG and MCP tables.

use sea_orm_migration::prelude::*;

use crate::schema_helpers::{EnumTypes, create_enum_types, drop_enum_types};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_enum_types(manager, None, ENUMS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_enum_types(manager, None, ENUMS).await
    }
}

/// SCHEMA.md's Phase-4 enum types, with their labels in declaration order (the order is part
/// of the type: it defines how values compare).
const ENUMS: &EnumTypes = &[
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
