//! Phase 2: the eight enum types of the support, storage and sharing tables.

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

/// The seed's Phase-2 enum types, with their labels in declaration order (the order is part
/// of the type: it defines how values compare).
const ENUMS: &EnumTypes = &[
    (
        "TicketCategory",
        &[
            "BUG",
            "FEATURE",
            "QUESTION",
            "ACCOUNT",
            "BILLING",
            "PERFORMANCE",
            "OTHER",
        ],
    ),
    ("TicketPriority", &["LOW", "MEDIUM", "HIGH", "URGENT"]),
    (
        "TicketStatus",
        &[
            "OPEN",
            "IN_PROGRESS",
            "WAITING_USER",
            "RESOLVED",
            "CLOSED",
            "CANCELLED",
        ],
    ),
    (
        "StorageProvider",
        &["VERCEL_BLOB", "LOCAL", "AWS_S3", "CLOUDFLARE_R2"],
    ),
    (
        "FileAccessLevel",
        &["PRIVATE", "INTERNAL", "PUBLIC", "SHARED"],
    ),
    (
        "FileUsageContext",
        &[
            "THEME", "AVATAR", "TICKET", "ARTIFACT", "HEALTH", "FINANCE", "BACKUP", "TEMP", "OTHER",
        ],
    ),
    (
        "FileAction",
        &["UPLOAD", "DOWNLOAD", "VIEW", "DELETE", "SHARE", "UPDATE"],
    ),
    ("ShareType", &["LINK", "EMAIL", "USER"]),
];
