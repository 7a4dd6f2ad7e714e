//! Phase 7: the sealed-token checks validated against the tokens written before them.
//!
//! A token written before key ids existed (`nonce | ciphertext | tag`, no envelope) still
//! opens, but fails the check: `migration rotate-key` rewrites every such token as an envelope
//! under the current key. A token stored in plaintext cannot be sealed by anything that knows
//! it is plaintext, so it is named for the operator to revoke. Until the count is zero this
//! migration stops, naming the fix; the previous one already refuses new unsealed tokens.

use sea_orm_migration::prelude::*;

use super::{SEALED_TOKENS, constraint_name, token_check};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for column in SEALED_TOKENS {
            let check = token_check(column);
            db.execute_unprepared(&format!(
                r#"DO $$
DECLARE unsealed bigint;
BEGIN
  SELECT count(*) INTO unsealed FROM public.mcp_integrations WHERE NOT ({check});
  IF unsealed > 0 THEN
    RAISE EXCEPTION 'public.mcp_integrations.{column} holds % value(s) that are not sealed envelopes: run `migration rotate-key` with APP_ENCRYPTION_KEYS set (it re-seals tokens written before key ids; a token it cannot open is plaintext: revoke it at its provider and delete its integration), then `migration up` again', unsealed;
  END IF;
END $$"#
            ))
            .await?;
            let name = constraint_name("mcp_integrations", column);
            db.execute_unprepared(&format!(
                r#"ALTER TABLE public.mcp_integrations VALIDATE CONSTRAINT "{name}""#
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A constraint cannot be marked not valid again: dropped and added back NOT VALID, as
        // the previous migration left it, in this one transaction.
        let db = manager.get_connection();
        for column in SEALED_TOKENS {
            let name = constraint_name("mcp_integrations", column);
            let check = token_check(column);
            db.execute_unprepared(&format!(
                r#"ALTER TABLE public.mcp_integrations DROP CONSTRAINT "{name}";
                   ALTER TABLE public.mcp_integrations ADD CONSTRAINT "{name}"
                   CHECK ({check}) NOT VALID"#
            ))
            .await?;
        }
        Ok(())
    }
}
