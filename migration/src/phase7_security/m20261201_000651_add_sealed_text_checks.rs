//! Phase 7: every medical free-text column refuses a new value that is not a sealed envelope.
//!
//! Added `NOT VALID`: from this commit on, every insert and update is checked, while the rows
//! already there are left to the next migration, which validates them without blocking
//! writers. A plaintext value written by an application that does not seal is refused.

use sea_orm_migration::prelude::*;

use super::{ENVELOPE_PATTERN, SEALED_TEXT, constraint_name};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column) in SEALED_TEXT {
            let name = constraint_name(table, column);
            // NOT VALID takes the table's lock only for the catalog change, not for a scan.
            db.execute_unprepared(&format!(
                r#"ALTER TABLE health.{table} ADD CONSTRAINT "{name}"
                   CHECK ("{column}" IS NULL OR "{column}" ~ '{ENVELOPE_PATTERN}') NOT VALID"#
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column) in SEALED_TEXT {
            let name = constraint_name(table, column);
            db.execute_unprepared(&format!(
                r#"ALTER TABLE health.{table} DROP CONSTRAINT IF EXISTS "{name}""#
            ))
            .await?;
        }
        Ok(())
    }
}
