//! Phase 6: `messages."contentSearch"`, the message's words as a `tsvector` in the Spanish
//! text-search configuration, kept by a trigger on insert and on a change of `content`.
//!
//! A stored generated column would say the same in one line, but adding one rewrites the
//! whole table under an exclusive lock; a nullable column without a default is a catalog
//! change only. New rows get their value from the trigger from this migration on; the rows
//! already there are filled by the next migration's batched backfill.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// 'spanish': `users.language` defaults to 'es', so most text is Spanish; its stemmer folds
/// "búsquedas" and "búsqueda" together and its stop words drop "de", "la", "que" (see
/// docs/search.md for the choice and its limits).
pub(super) const VECTOR: &str = r#"to_tsvector('spanish'::regconfig, coalesce("content", ''))"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"ALTER TABLE public.messages ADD COLUMN IF NOT EXISTS "contentSearch" tsvector"#,
        )
        .await?;
        db.execute_unprepared(&format!(
            r#"CREATE OR REPLACE FUNCTION public.messages_content_search() RETURNS trigger
               LANGUAGE plpgsql AS $$
               BEGIN
                 NEW."contentSearch" := {};
                 RETURN NEW;
               END $$"#,
            VECTOR.replace(r#""content""#, r#"NEW."content""#)
        ))
        .await?;
        db.execute_unprepared(
            r#"CREATE TRIGGER "messages_content_search"
               BEFORE INSERT OR UPDATE OF "content" ON public.messages
               FOR EACH ROW EXECUTE FUNCTION public.messages_content_search()"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS "messages_content_search" ON public.messages"#,
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.messages_content_search()")
            .await?;
        db.execute_unprepared(
            r#"ALTER TABLE public.messages DROP COLUMN IF EXISTS "contentSearch""#,
        )
        .await?;
        Ok(())
    }
}
