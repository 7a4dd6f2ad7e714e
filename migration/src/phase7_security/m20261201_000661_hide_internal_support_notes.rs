//! Phase 7: a ticket's internal notes (`support_messages."isInternal"`) are the support
//! staff's, not the customer's: `app_user` neither reads them on its own tickets nor writes
//! one. Staff work as `app_admin`, whose policy is unchanged.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The ticket belongs to the session's user, as in `m20261201_000602`.
const OWN_TICKET: &str =
    r#"EXISTS (SELECT 1 FROM public.support_tickets p WHERE p.id = support_messages."ticketId")"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // ALTER POLICY takes a brief lock on the table and rewrites nothing.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"ALTER POLICY "support_messages_owner" ON public.support_messages
                     USING ({OWN_TICKET} AND NOT "isInternal")
                     WITH CHECK ({OWN_TICKET} AND NOT "isInternal")"#
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"ALTER POLICY "support_messages_owner" ON public.support_messages
                     USING ({OWN_TICKET}) WITH CHECK ({OWN_TICKET})"#
            ))
            .await?;
        Ok(())
    }
}
