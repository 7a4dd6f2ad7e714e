//! Phase 1: `set_updated_at()` on every core table with `"updatedAt"`, and the messages
//! trigger that keeps each conversation's `"messageCount"` and `"tokenCount"` exact.

use sea_orm_migration::prelude::*;

use crate::schema_helpers::{add_updated_at_triggers, drop_updated_at_triggers};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The core tables that have `"updatedAt"`.
const UPDATED_AT_TABLES: &[(&str, &str)] = &[
    ("public", "users"),
    ("public", "accounts"),
    ("public", "agents"),
    ("public", "conversations"),
    ("public", "artifacts"),
    ("public", "monthly_usage"),
];

// Function bodies are plain SQL: sea-query has no builder for PL/pgSQL.
const SET_UPDATED_AT: &str = r#"
CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."updatedAt" = CURRENT_TIMESTAMP;
  RETURN NEW;
END $$"#;

// Counting per row keeps the counters exact under concurrent inserts: each UPDATE takes the
// conversation's row lock, so increments serialise instead of racing on a recount.
const SYNC_CONVERSATION_COUNTERS: &str = r#"
CREATE OR REPLACE FUNCTION public.sync_conversation_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE public.conversations
       SET "messageCount" = "messageCount" + 1,
           "tokenCount" = "tokenCount" + coalesce(NEW."tokensInput", 0) + coalesce(NEW."tokensOutput", 0)
     WHERE id = NEW."conversationId";
    RETURN NEW;
  END IF;
  UPDATE public.conversations
     SET "messageCount" = "messageCount" - 1,
         "tokenCount" = "tokenCount" - coalesce(OLD."tokensInput", 0) - coalesce(OLD."tokensOutput", 0)
   WHERE id = OLD."conversationId";
  RETURN OLD;
END $$"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(SET_UPDATED_AT).await?;
        add_updated_at_triggers(manager, UPDATED_AT_TABLES).await?;
        db.execute_unprepared(SYNC_CONVERSATION_COUNTERS).await?;
        db.execute_unprepared(
            r#"CREATE TRIGGER "messages_sync_conversation_counters"
               AFTER INSERT OR DELETE ON public.messages
               FOR EACH ROW EXECUTE FUNCTION public.sync_conversation_counters()"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS "messages_sync_conversation_counters" ON public.messages"#,
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.sync_conversation_counters()")
            .await?;
        drop_updated_at_triggers(manager, UPDATED_AT_TABLES).await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.set_updated_at()")
            .await?;
        Ok(())
    }
}
