//! Phase 7: the MCP token columns refuse a new value that is not a sealed envelope, as the
//! medical text columns do since `m20261201_000651`.
//!
//! The tokens are `BYTEA` holding the envelope's bytes (`v1:<key id>:<base64>`, all ASCII), so
//! the check reads them through `encode(..., 'escape')`, which leaves printable ASCII as it is
//! and writes any other byte as a backslash escape the pattern refuses. Added `NOT VALID`: new
//! writes are checked from now on; the rows already there are the next migration's.

use sea_orm_migration::prelude::*;

use super::{SEALED_TOKENS, constraint_name, token_check};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for column in SEALED_TOKENS {
            let name = constraint_name("mcp_integrations", column);
            let check = token_check(column);
            // NOT VALID takes the table's lock only for the catalog change, not for a scan.
            db.execute_unprepared(&format!(
                r#"ALTER TABLE public.mcp_integrations ADD CONSTRAINT "{name}"
                   CHECK ({check}) NOT VALID"#
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for column in SEALED_TOKENS {
            let name = constraint_name("mcp_integrations", column);
            db.execute_unprepared(&format!(
                r#"ALTER TABLE public.mcp_integrations DROP CONSTRAINT IF EXISTS "{name}""#
            ))
            .await?;
        }
        Ok(())
    }
}
