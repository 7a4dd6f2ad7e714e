//! Phase 5: storage quotas exact under every change of files (insert, resize, owner change,
//! soft delete and undelete, delete, truncate) and of quota rows (insert, owner change).
//!
//! Replaces phase 2's row trigger, declared `UPDATE OF size, "deletedAt"`: changing only a
//! file's owner left both users' quotas wrong, and changing owner and size together locked the
//! old owner's quota row before the new one's, so opposite moves deadlocked.

use sea_orm_migration::prelude::*;

use super::{create_statement_triggers, drop_statement_triggers};

#[derive(DeriveMigrationName)]
pub struct Migration;

// Per statement, one signed delta per user: a file counts while "deletedAt" IS NULL; old rows
// that counted are taken away, new rows that count are added, so a resize, a soft delete, an
// undelete and an owner change are all the same arithmetic, and a user's share that did not
// change cancels out. Every quota row the statement touches is locked first, in one statement
// ordered by "userId", so opposite moves queue instead of deadlocking; one UPDATE per user then
// applies the net delta, so a resize never passes through a negative total. Users without a
// quota row match nothing. TRUNCATE removes every file, so every quota becomes zero.
pub(super) const COUNT_STORAGE_QUOTA_USAGE: &str = r#"
CREATE FUNCTION public.count_storage_quota_usage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  users uuid[];
  sizes bigint[];
  files bigint[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE public.storage_quotas SET "usedStorage" = 0, "fileCount" = 0
     WHERE "usedStorage" <> 0 OR "fileCount" <> 0;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(u ORDER BY u), array_agg(s ORDER BY u), array_agg(n ORDER BY u)
      INTO users, sizes, files
      FROM (SELECT "userId" AS u, sum(size)::bigint AS s, count(*) AS n
              FROM new_rows WHERE "deletedAt" IS NULL GROUP BY 1) d;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(u ORDER BY u), array_agg(-s ORDER BY u), array_agg(-n ORDER BY u)
      INTO users, sizes, files
      FROM (SELECT "userId" AS u, sum(size)::bigint AS s, count(*) AS n
              FROM old_rows WHERE "deletedAt" IS NULL GROUP BY 1) d;
  ELSE
    SELECT array_agg(u ORDER BY u), array_agg(s ORDER BY u), array_agg(n ORDER BY u)
      INTO users, sizes, files
      FROM (SELECT u, sum(s)::bigint AS s, sum(n)::bigint AS n
              FROM (SELECT "userId" AS u, -size AS s, -1 AS n
                      FROM old_rows WHERE "deletedAt" IS NULL
                    UNION ALL
                    SELECT "userId", size, 1
                      FROM new_rows WHERE "deletedAt" IS NULL) c
             GROUP BY u HAVING sum(s) <> 0 OR sum(n) <> 0) d;
  END IF;
  IF users IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM public.storage_quotas WHERE "userId" = ANY (users)
    ORDER BY "userId" FOR NO KEY UPDATE;
  UPDATE public.storage_quotas q
     SET "usedStorage" = q."usedStorage" + d.s, "fileCount" = q."fileCount" + d.n
    FROM unnest(users, sizes, files) AS d(u, s, n)
   WHERE q."userId" = d.u;
  RETURN NULL;
END $$"#;

// A quota row that starts, or moves to another user, takes that user's current usage, since
// their files may predate it. Files being written for the user right now hold KEY SHARE on
// the user's row (their foreign key check) and found no quota row to count into; locking the
// user's row FOR UPDATE waits for them to commit, so the recount sees them, and makes files
// written later wait until this row is committed, so their trigger finds it.
// One exception: when the old user no longer exists, this UPDATE is ON UPDATE CASCADE of a
// changed users.id, and the user's files move in the same statement. Their trigger fires at
// the end of that outer statement, after this one, and counts every file in as it moves, so
// the row starts from zero rather than from a recount that would count them twice.
pub(super) const RECOUNT_STORAGE_QUOTA: &str = r#"
CREATE FUNCTION public.recount_storage_quota() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW."userId" IS NOT DISTINCT FROM OLD."userId" THEN
      RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.users WHERE id = OLD."userId") THEN
      NEW."usedStorage" := 0;
      NEW."fileCount" := 0;
      RETURN NEW;
    END IF;
  END IF;
  PERFORM 1 FROM public.users WHERE id = NEW."userId" FOR UPDATE;
  SELECT coalesce(sum(size), 0), count(*) INTO NEW."usedStorage", NEW."fileCount"
    FROM public.storage_files WHERE "userId" = NEW."userId" AND "deletedAt" IS NULL;
  RETURN NEW;
END $$"#;

/// Phase 2's function, exactly as it was, for `down`.
const PHASE2_SYNC_STORAGE_QUOTA_USAGE: &str = r#"
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

const FILES: &str = "public.storage_files";
const PREFIX: &str = "storage_files_count_storage_quota_usage";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // In the migration's transaction: the old trigger goes and the new ones come at once.
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS "storage_files_sync_storage_quota_usage" ON public.storage_files"#,
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.sync_storage_quota_usage()")
            .await?;
        db.execute_unprepared(COUNT_STORAGE_QUOTA_USAGE).await?;
        create_statement_triggers(manager, FILES, PREFIX, "public.count_storage_quota_usage")
            .await?;
        db.execute_unprepared(RECOUNT_STORAGE_QUOTA).await?;
        db.execute_unprepared(
            r#"CREATE TRIGGER "storage_quotas_recount_usage"
               BEFORE INSERT OR UPDATE OF "userId" ON public.storage_quotas
               FOR EACH ROW EXECUTE FUNCTION public.recount_storage_quota()"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS "storage_quotas_recount_usage" ON public.storage_quotas"#,
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.recount_storage_quota()")
            .await?;
        drop_statement_triggers(manager, FILES, PREFIX).await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS public.count_storage_quota_usage()")
            .await?;
        db.execute_unprepared(PHASE2_SYNC_STORAGE_QUOTA_USAGE)
            .await?;
        db.execute_unprepared(
            r#"CREATE TRIGGER "storage_files_sync_storage_quota_usage"
               AFTER INSERT OR UPDATE OF size, "deletedAt" OR DELETE ON public.storage_files
               FOR EACH ROW EXECUTE FUNCTION public.sync_storage_quota_usage()"#,
        )
        .await?;
        Ok(())
    }
}
