//! Phase 5: conversation counters exact under every change of messages (insert, token edits,
//! moves to another conversation, delete, truncate) and of conversations (insert, key change).
//!
//! Replaces phase 1's row trigger, which fired on INSERT and DELETE only, so an UPDATE of a
//! message's tokens or conversation left both conversations' counters stale.

use sea_orm_migration::prelude::*;

use super::{create_statement_triggers, drop_statement_triggers};

#[derive(DeriveMigrationName)]
pub struct Migration;

// Per statement, the changed rows give one signed delta per conversation (old rows count
// negative, new rows positive, unchanged ones cancel out). Every conversation the statement
// touches is locked first, all in one statement ordered by id, so two statements moving
// messages in opposite directions queue behind each other instead of deadlocking; then one
// UPDATE applies the deltas. Deltas, not recounts: a recount's snapshot would miss another
// transaction's uncommitted messages, a delta applied under the row lock cannot. TRUNCATE
// removes every message, so every counter becomes zero.
pub(super) const COUNT_CONVERSATION_MESSAGES: &str = r#"
CREATE FUNCTION public.count_conversation_messages() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
  messages bigint[];
  tokens bigint[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE public.conversations SET "messageCount" = 0, "tokenCount" = 0
     WHERE "messageCount" <> 0 OR "tokenCount" <> 0;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(c ORDER BY c), array_agg(n ORDER BY c), array_agg(t ORDER BY c)
      INTO ids, messages, tokens
      FROM (SELECT "conversationId" AS c, count(*) AS n,
                   sum(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0))::bigint AS t
              FROM new_rows GROUP BY 1) d;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(c ORDER BY c), array_agg(-n ORDER BY c), array_agg(-t ORDER BY c)
      INTO ids, messages, tokens
      FROM (SELECT "conversationId" AS c, count(*) AS n,
                   sum(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0))::bigint AS t
              FROM old_rows GROUP BY 1) d;
  ELSE
    SELECT array_agg(c ORDER BY c), array_agg(n ORDER BY c), array_agg(t ORDER BY c)
      INTO ids, messages, tokens
      FROM (SELECT c, sum(n)::bigint AS n, sum(t)::bigint AS t
              FROM (SELECT "conversationId" AS c, -1 AS n,
                           -(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0)) AS t
                      FROM old_rows
                    UNION ALL
                    SELECT "conversationId", 1,
                           coalesce("tokensInput", 0) + coalesce("tokensOutput", 0)
                      FROM new_rows) s
             GROUP BY c HAVING sum(n) <> 0 OR sum(t) <> 0) d;
  END IF;
  IF ids IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM public.conversations WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
  UPDATE public.conversations c
     SET "messageCount" = c."messageCount" + d.n, "tokenCount" = c."tokenCount" + d.t
    FROM unnest(ids, messages, tokens) AS d(id, n, t)
   WHERE c.id = d.id;
  RETURN NULL;
END $$"#;

// A new conversation has no messages yet, whatever counters the INSERT wrote. When its key
// changes, ON UPDATE CASCADE moves its messages to the new key in the same statement, and
// the messages trigger, which for cascaded changes fires at the end of that statement, counts
// each one back in; starting from zero keeps them from being counted twice.
const RESET_CONVERSATION_COUNTERS: &str = r#"
CREATE FUNCTION public.reset_conversation_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.id IS NOT DISTINCT FROM OLD.id THEN
      RETURN NEW;
    END IF;
  END IF;
  NEW."messageCount" := 0;
  NEW."tokenCount" := 0;
  RETURN NEW;
END $$"#;

/// Phase 1's function, exactly as it was, for `down`.
const PHASE1_SYNC_CONVERSATION_COUNTERS: &str = r#"
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

const MESSAGES: &str = "public.messages";
const PREFIX: &str = "messages_count_conversation_messages";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // In the migration's transaction: the old trigger goes and the new ones come at once,
        // so no message is ever written with neither in place.
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS "messages_sync_conversation_counters" ON public.messages"#,
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.sync_conversation_counters()")
            .await?;
        db.execute_unprepared(COUNT_CONVERSATION_MESSAGES).await?;
        create_statement_triggers(
            manager,
            MESSAGES,
            PREFIX,
            "public.count_conversation_messages",
        )
        .await?;
        db.execute_unprepared(RESET_CONVERSATION_COUNTERS).await?;
        db.execute_unprepared(
            r#"CREATE TRIGGER "conversations_reset_counters"
               BEFORE INSERT OR UPDATE OF id ON public.conversations
               FOR EACH ROW EXECUTE FUNCTION public.reset_conversation_counters()"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS "conversations_reset_counters" ON public.conversations"#,
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.reset_conversation_counters()")
            .await?;
        drop_statement_triggers(manager, MESSAGES, PREFIX).await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.count_conversation_messages()")
            .await?;
        db.execute_unprepared(PHASE1_SYNC_CONVERSATION_COUNTERS)
            .await?;
        db.execute_unprepared(
            r#"CREATE TRIGGER "messages_sync_conversation_counters"
               AFTER INSERT OR DELETE ON public.messages
               FOR EACH ROW EXECUTE FUNCTION public.sync_conversation_counters()"#,
        )
        .await?;
        Ok(())
    }
}
