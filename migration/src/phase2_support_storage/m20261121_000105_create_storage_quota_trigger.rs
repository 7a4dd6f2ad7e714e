//! Phase 2: the `storage_files` trigger that keeps each user's `storage_quotas."usedStorage"`
//! and `"fileCount"` equal to the size and number of their files that are not soft-deleted.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

// Adjusting by deltas (not recounting) keeps the counters exact under concurrent writes: each
// UPDATE takes the quota row's lock, so adjustments serialise, while a recount would read a
// snapshot that misses the other transaction's file. A row counts when "deletedAt" IS NULL;
// the old row's share is taken away and the new row's added, in one UPDATE when the user is
// the same so a resize never passes through a negative total. Users without a quota row match
// nothing and are left alone.
const SYNC_STORAGE_QUOTA_USAGE: &str = r#"
CREATE OR REPLACE FUNCTION public.sync_storage_quota_usage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_size bigint := 0;
  old_files integer := 0;
  new_size bigint := 0;
  new_files integer := 0;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF OLD."deletedAt" IS NULL THEN
      old_size := OLD.size;
      old_files := 1;
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW."deletedAt" IS NULL THEN
      new_size := NEW.size;
      new_files := 1;
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD."userId" = NEW."userId" THEN
    IF new_size <> old_size OR new_files <> old_files THEN
      UPDATE public.storage_quotas
         SET "usedStorage" = "usedStorage" + new_size - old_size,
             "fileCount" = "fileCount" + new_files - old_files
       WHERE "userId" = NEW."userId";
    END IF;
    RETURN NULL;
  END IF;
  IF old_files = 1 THEN
    UPDATE public.storage_quotas
       SET "usedStorage" = "usedStorage" - old_size, "fileCount" = "fileCount" - 1
     WHERE "userId" = OLD."userId";
  END IF;
  IF new_files = 1 THEN
    UPDATE public.storage_quotas
       SET "usedStorage" = "usedStorage" + new_size, "fileCount" = "fileCount" + 1
     WHERE "userId" = NEW."userId";
  END IF;
  RETURN NULL;
END $$"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(SYNC_STORAGE_QUOTA_USAGE).await?;
        db.execute_unprepared(
            r#"CREATE TRIGGER "storage_files_sync_storage_quota_usage"
               AFTER INSERT OR UPDATE OF size, "deletedAt" OR DELETE ON public.storage_files
               FOR EACH ROW EXECUTE FUNCTION public.sync_storage_quota_usage()"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS "storage_files_sync_storage_quota_usage" ON public.storage_files"#,
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.sync_storage_quota_usage()")
            .await?;
        Ok(())
    }
}
