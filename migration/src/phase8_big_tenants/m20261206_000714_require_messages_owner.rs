//! Phase 8: `messages."userId"` NOT NULL, without scanning the table under an exclusive lock.
//!
//! VALIDATE CONSTRAINT scans the messages under a SHARE UPDATE EXCLUSIVE lock, which reads and
//! writes go on beside; a NULL left by an unfinished backfill stops it here. SET NOT NULL then
//! finds the valid check that proves it and skips its own scan, so the exclusive lock it takes
//! lasts a catalog change; the check, redundant with the column's NOT NULL, goes.

use sea_orm_migration::prelude::*;

use super::m20261206_000713_add_messages_owner_check::CHECK;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            r#"ALTER TABLE public.messages VALIDATE CONSTRAINT "{CHECK}""#
        ))
        .await?;
        db.execute_unprepared(r#"ALTER TABLE public.messages ALTER COLUMN "userId" SET NOT NULL"#)
            .await?;
        db.execute_unprepared(&format!(
            r#"ALTER TABLE public.messages DROP CONSTRAINT "{CHECK}""#
        ))
        .await?;
        Ok(())
    }

    // PostgreSQL cannot mark a constraint not valid again: it is added back NOT VALID, as
    // the previous migration left it, and the column nullable again.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            r#"ALTER TABLE public.messages ADD CONSTRAINT "{CHECK}"
               CHECK ("userId" IS NOT NULL) NOT VALID"#
        ))
        .await?;
        db.execute_unprepared(r#"ALTER TABLE public.messages ALTER COLUMN "userId" DROP NOT NULL"#)
            .await?;
        Ok(())
    }
}
