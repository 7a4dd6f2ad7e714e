//! Phase 1: the `vector` extension and the four enum types of the core tables.

use sea_orm_migration::prelude::extension::postgres::Extension;
use sea_orm_migration::prelude::*;

use crate::schema_helpers::{EnumTypes, create_enum_types, drop_enum_types};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // pgvector is required from phase 1 on, so a database without it fails here, early.
        // sea-query can build the statement but sea-orm cannot execute an extension
        // statement directly (it has no `StatementBuilder` impl), so its text is run as is.
        let create_vector = Extension::create()
            .name("vector")
            .if_not_exists()
            .to_string(PostgresQueryBuilder);
        manager
            .get_connection()
            .execute_unprepared(&create_vector)
            .await?;

        create_enum_types(manager, None, ENUMS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The extension is deliberately not dropped: it may be shared with objects outside
        // these migrations, and creating it again needs superuser rights on managed databases.
        drop_enum_types(manager, None, ENUMS).await
    }
}

/// The seed's enum types, with their labels in declaration order (the order is part of the
/// type: it defines how values compare).
const ENUMS: &EnumTypes = &[
    (
        "UserRole",
        &[
            "SUPER_ADMIN",
            "ADMIN",
            "INVITED_AGENT",
            "INVITED_STORAGE",
            "SUBSCRIBER",
            "MANAGER",
            "DEVELOPER",
            "USER",
            "GUEST",
        ],
    ),
    (
        "SubscriptionTier",
        &["FREE", "BASIC", "PRO", "ENTERPRISE", "CUSTOM", "UNLIMITED"],
    ),
    (
        "InvitationStatus",
        &["PENDING", "ACCEPTED", "EXPIRED", "CANCELLED"],
    ),
    (
        "AlertType",
        &[
            "APPROACHING_LIMIT",
            "LIMIT_WARNING",
            "LIMIT_EXCEEDED",
            "UNUSUAL_ACTIVITY",
        ],
    ),
];
