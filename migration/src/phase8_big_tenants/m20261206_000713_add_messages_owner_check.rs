//! Phase 8: every message must have an owner, checked from now on for new and updated rows.
//!
//! `SET NOT NULL` straight away would scan every message under an exclusive lock. A CHECK
//! added `NOT VALID` takes the lock only for the catalog change; the next migration validates
//! it under a lock that lets reads and writes go on, and then sets NOT NULL without a scan.
//! The trigger already gives every new row its owner, so the check refuses only what the
//! trigger could not fill (a conversation that does not exist, whose key fails anyway).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The check's name, shared with the next migration.
pub(super) const CHECK: &str = "messages_userId_not_null";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"ALTER TABLE public.messages ADD CONSTRAINT "{CHECK}"
                   CHECK ("userId" IS NOT NULL) NOT VALID"#
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"ALTER TABLE public.messages DROP CONSTRAINT IF EXISTS "{CHECK}""#
            ))
            .await?;
        Ok(())
    }
}
