//! Phase 7: the sealed-text checks validated against the rows written before them.
//!
//! A migration cannot seal plaintext (it has no key), so it first counts the values that are
//! not envelopes and stops, naming the fix, when there are any: `migration rotate-key
//! --seal-plaintext` seals them with the configured key, after which `up` runs this again.
//! The previous migration's checks already refuse new plaintext, so the count cannot grow in
//! between. VALIDATE CONSTRAINT scans under a lock that lets reads and writes go on.

use sea_orm_migration::prelude::*;

use super::{ENVELOPE_PATTERN, SEALED_TEXT, constraint_name};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column) in SEALED_TEXT {
            db.execute_unprepared(&format!(
                r#"DO $$
DECLARE plaintext bigint;
BEGIN
  SELECT count(*) INTO plaintext FROM health.{table}
   WHERE "{column}" IS NOT NULL AND "{column}" !~ '{ENVELOPE_PATTERN}';
  IF plaintext > 0 THEN
    RAISE EXCEPTION 'health.{table}.{column} holds % value(s) that are not sealed: run `migration rotate-key --seal-plaintext` with APP_ENCRYPTION_KEYS set, then `migration up` again', plaintext;
  END IF;
END $$"#
            ))
            .await?;
            let name = constraint_name(table, column);
            db.execute_unprepared(&format!(
                r#"ALTER TABLE health.{table} VALIDATE CONSTRAINT "{name}""#
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // PostgreSQL cannot mark a constraint not valid again: it is dropped and added back
        // NOT VALID, as the previous migration left it, in this one transaction.
        let db = manager.get_connection();
        for (table, column) in SEALED_TEXT {
            let name = constraint_name(table, column);
            db.execute_unprepared(&format!(
                r#"ALTER TABLE health.{table} DROP CONSTRAINT "{name}";
                   ALTER TABLE health.{table} ADD CONSTRAINT "{name}"
                   CHECK ("{column}" IS NULL OR "{column}" ~ '{ENVELOPE_PATTERN}') NOT VALID"#
            ))
            .await?;
        }
        Ok(())
    }
}
