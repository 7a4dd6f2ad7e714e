//! Phase 3: the `health` and `finance` schemas that hold the personal health and finance tables.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The schemas this migration owns, in creation order.
const SCHEMAS: &[&str] = &["health", "finance"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // IF NOT EXISTS so that a schema pre-created by an operator (to grant on it ahead of
        // time) does not stop the migration.
        for schema in SCHEMAS {
            manager
                .get_connection()
                .execute_unprepared(&format!(r#"CREATE SCHEMA IF NOT EXISTS "{schema}""#))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // CASCADE only here, where the schemas were made: later migrations' downs have
        // already removed their tables and types, so this drops nothing else in practice.
        for schema in SCHEMAS.iter().rev() {
            manager
                .get_connection()
                .execute_unprepared(&format!(r#"DROP SCHEMA IF EXISTS "{schema}" CASCADE"#))
                .await?;
        }
        Ok(())
    }
}
