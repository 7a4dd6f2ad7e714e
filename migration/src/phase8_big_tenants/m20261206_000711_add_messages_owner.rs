//! Phase 8: `messages."userId"`, the owner of the message's conversation's session, kept by
//! triggers so that search can find one user's messages without reading the others'.
//!
//! A message reaches its user through its conversation and session; full-text search of a
//! large tenant had to read every message of the user that way. With the owner on the row, a
//! GIN index can hold it beside the words (m20261206_000715) and the policy can read it
//! (m20261206_000716). The column is added nullable and without a default, a catalog change
//! only; the next migration fills the rows already there, and m20261206_000713/714 make it
//! NOT NULL without a scan under an exclusive lock.
//!
//! The value is never the writer's: `messages_owner` sets it from the conversation on insert
//! and on any update of `"conversationId"` or `"userId"`, whatever the writer supplied. Owners
//! can change above the message (phase 7's policies keep `app_user` from moving its rows to
//! another user, but the owner role and `app_admin` can): a conversation moved to another
//! session, or a session given to another user, carries its messages' owner along.
//!
//! `messages_owner` runs with the writer's rights: `app_user` sees its own conversations, so a
//! message written into another user's conversation gets no owner from it and is refused by
//! the policy before any constraint is checked; `app_admin`'s policies show every row. The
//! two that carry the owner along run as their owner (`SECURITY DEFINER`, as the counter
//! triggers do): `app_user` may move its conversation to another of its sessions but has no
//! grant on `messages."userId"`, and they only touch the messages of the row the writer's own
//! policies let it change. No
//! foreign key to `users`: the owner is derived from rows whose own keys are checked, and a
//! key would cost a probe of `users` on every message written.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The owner of `conversation`, through its session.
const OWNER_OF: &str = r#"(SELECT s."userId" FROM public.conversations c
     JOIN public.chat_sessions s ON s."id" = c."chatSessionId"
    WHERE c."id" = {conversation})"#;

/// The scalar subquery giving the owner of the conversation named by the SQL `conversation`.
pub(super) fn owner_of(conversation: &str) -> String {
    OWNER_OF.replace("{conversation}", conversation)
}

fn functions() -> String {
    format!(
        r#"
CREATE FUNCTION public.messages_owner() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  NEW."userId" := {};
  RETURN NEW;
END
$fn$;
CREATE FUNCTION public.conversations_move_messages() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE owner uuid := (SELECT s."userId" FROM public.chat_sessions s WHERE s."id" = NEW."chatSessionId");
BEGIN
  UPDATE public.messages m SET "userId" = owner
   WHERE m."conversationId" = NEW."id" AND m."userId" IS DISTINCT FROM owner;
  RETURN NULL;
END
$fn$;
CREATE FUNCTION public.chat_sessions_move_messages() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  UPDATE public.messages m SET "userId" = NEW."userId"
    FROM public.conversations c
   WHERE c."chatSessionId" = NEW."id" AND m."conversationId" = c."id"
     AND m."userId" IS DISTINCT FROM NEW."userId";
  RETURN NULL;
END
$fn$;
"#,
        owner_of(r#"NEW."conversationId""#)
    )
}

/// The triggers. The messages' own fires on `"userId"` too, so a writer cannot set another
/// owner by updating the column; the two above it fire only when the owner really moved.
const TRIGGERS: &str = r#"
CREATE TRIGGER "messages_owner"
  BEFORE INSERT OR UPDATE OF "conversationId", "userId" ON public.messages
  FOR EACH ROW EXECUTE FUNCTION public.messages_owner();
CREATE TRIGGER "conversations_move_messages"
  AFTER UPDATE OF "chatSessionId" ON public.conversations
  FOR EACH ROW WHEN (OLD."chatSessionId" IS DISTINCT FROM NEW."chatSessionId")
  EXECUTE FUNCTION public.conversations_move_messages();
CREATE TRIGGER "chat_sessions_move_messages"
  AFTER UPDATE OF "userId" ON public.chat_sessions
  FOR EACH ROW WHEN (OLD."userId" IS DISTINCT FROM NEW."userId")
  EXECUTE FUNCTION public.chat_sessions_move_messages();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(r#"ALTER TABLE public.messages ADD COLUMN "userId" uuid"#)
            .await?;
        db.execute_unprepared(&functions()).await?;
        db.execute_unprepared(TRIGGERS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS "chat_sessions_move_messages" ON public.chat_sessions;
               DROP TRIGGER IF EXISTS "conversations_move_messages" ON public.conversations;
               DROP TRIGGER IF EXISTS "messages_owner" ON public.messages;
               DROP FUNCTION IF EXISTS public.chat_sessions_move_messages();
               DROP FUNCTION IF EXISTS public.conversations_move_messages();
               DROP FUNCTION IF EXISTS public.messages_owner();"#,
        )
        .await?;
        db.execute_unprepared(r#"ALTER TABLE public.messages DROP COLUMN IF EXISTS "userId""#)
            .await?;
        Ok(())
    }
}
