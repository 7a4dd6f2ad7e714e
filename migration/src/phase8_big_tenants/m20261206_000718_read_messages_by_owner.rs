//! Phase 8: `app_user` reads a message when its `"userId"` is the session's user, instead of
//! probing its conversation and session for each row.
//!
//! The trigger of m20261206_000711 makes `"userId"` the conversation's owner on every write,
//! whatever the writer supplied, and carries it along when a conversation or a session changes
//! hands, so the two tests agree on every row; the column test costs nothing per row and lets
//! the planner find the user's messages by their index. Writes keep testing the conversation:
//! a new or moved message must go into a conversation the user sees, as before. `app_admin`'s
//! policy (`USING (true)`) is not touched.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Phase 7's owner test (m20261201_000602), which writes keep and `down` restores for reads.
const CONVERSATION_VISIBLE: &str =
    r#"EXISTS (SELECT 1 FROM public.conversations p WHERE p.id = messages."conversationId")"#;

const OWN: &str = r#""userId" = public.app_current_user_id()"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"ALTER POLICY "messages_owner" ON public.messages
                     USING ({OWN}) WITH CHECK ({CONVERSATION_VISIBLE})"#
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"ALTER POLICY "messages_owner" ON public.messages
                     USING ({CONVERSATION_VISIBLE}) WITH CHECK ({CONVERSATION_VISIBLE})"#
            ))
            .await?;
        Ok(())
    }
}
