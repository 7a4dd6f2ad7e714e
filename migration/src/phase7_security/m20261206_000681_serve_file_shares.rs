//! Phase 7: a file shared with a user is that user's to read while the share is live.
//!
//! Until now a `file_shares` row gave its recipient (`"sharedWith"`) nothing: only the file's
//! owner and `app_admin` saw the share and the file, so serving a share needed the admin role.
//! Now `app_user`, acting for the recipient, reads the file and the share addressed to it while
//! the share has not expired (`"expiresAt"` NULL or later than now), has not been revoked (the
//! owner deletes it, or moves its expiry to now) and the file is not in the trash.
//!
//! A share grants reading only: its one permission column, `"canDownload"`, says whether the
//! serving service hands out the bytes, and no column grants writing, so the recipient's
//! policies are `FOR SELECT` and every write stays the owner's (or `app_admin`'s). A link share
//! (`"sharedWith"` NULL, a token) is still the serving service's, not `app_user`'s.
//!
//! The cycle: `storage_files` cannot read `file_shares` under row-level security, since the
//! share's own policy reads `storage_files` (PostgreSQL refuses the recursion). The file ids
//! shared with the session's user are read by `app_shared_file_ids()` with its owner's rights
//! (which row-level security does not apply to), the search path pinned as for the other
//! owner-rights functions. It answers for the session's user only, once per statement (the
//! policy calls it in a scalar subquery), as an array the planner probes the primary key with,
//! so a listing of the visible files still reads indexes, not the whole table.
//!
//! The file's children reached it through `EXISTS (SELECT 1 FROM storage_files ...)`, which
//! meant "the file is the user's" only while a user saw no other file: with shares it would
//! give a recipient the file's access log, its tags, every other share of it (link tokens
//! included) and the right to reshare it or point a document at it. Those tests now name the
//! owner, `p."userId" = public.app_current_user_id()`, which is what they meant.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The share has neither expired nor been cut short, over `file_shares`' columns.
const LIVE: &str = r#"("expiresAt" IS NULL OR "expiresAt" > CURRENT_TIMESTAMP)"#;

/// The ids of the files with a live share addressed to the session's user, read with the
/// owner's rights (through `file_shares_sharedWith_idx`). An array, not a set, so that
/// `id = ANY (...)` is an index condition on the primary key.
fn shared_file_ids() -> String {
    format!(
        r#"
CREATE FUNCTION public.app_shared_file_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(array_agg(s."fileId"), '{{}}') FROM public.file_shares s
   WHERE s."sharedWith" = public.app_current_user_id() AND {LIVE}
$$"#
    )
}

const FUNCTION: &str = "public.app_shared_file_ids()";

/// The recipient's read of a shared file: live share, file not in the trash. The scalar
/// subquery makes the lookup an init plan, run once per statement; the cast makes it an array
/// expression (`ANY ((SELECT ...))` alone would read as `ANY` over the subquery's rows).
const FILE_RECIPIENT: &str =
    r#""deletedAt" IS NULL AND id = ANY ((SELECT public.app_shared_file_ids())::uuid[])"#;

/// The recipient's read of the share addressed to it: live, and its file visible and not in the
/// trash (through the policy above, which reads no share under row-level security).
fn share_recipient() -> String {
    format!(
        r#""sharedWith" = public.app_current_user_id() AND {LIVE}
           AND EXISTS (SELECT 1 FROM public.storage_files p
                        WHERE p.id = file_shares."fileId" AND p."deletedAt" IS NULL)"#
    )
}

/// The new policies: (name, table, condition), all `FOR SELECT TO app_user`.
fn recipient_policies() -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "storage_files_recipient",
            "public.storage_files",
            FILE_RECIPIENT.to_owned(),
        ),
        (
            "file_shares_recipient",
            "public.file_shares",
            share_recipient(),
        ),
    ]
}

/// The policies over the file's children whose "the file is visible" test becomes "the file is
/// the user's": (policy, table, whether it is the owner policy (USING and WITH CHECK) or the
/// restrictive reference check (WITH CHECK only), the test before, the test after).
struct Narrowed {
    policy: &'static str,
    table: &'static str,
    owner_policy: bool,
    before: &'static str,
    after: &'static str,
}

const NARROWED: &[Narrowed] = &[
    Narrowed {
        policy: "file_access_logs_owner",
        table: "public.file_access_logs",
        owner_policy: true,
        before: r#"EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = file_access_logs."fileId")"#,
        after: r#"EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = file_access_logs."fileId"
                    AND p."userId" = public.app_current_user_id())"#,
    },
    Narrowed {
        policy: "file_shares_owner",
        table: "public.file_shares",
        owner_policy: true,
        before: r#"EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = file_shares."fileId")"#,
        after: r#"EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = file_shares."fileId"
                    AND p."userId" = public.app_current_user_id())"#,
    },
    Narrowed {
        policy: "storage_file_tags_owner",
        table: "public.storage_file_tags",
        owner_policy: true,
        before: r#"EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = storage_file_tags."fileId")
           AND EXISTS (SELECT 1 FROM public.tags p WHERE p.id = storage_file_tags."tagId")"#,
        after: r#"EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = storage_file_tags."fileId"
                    AND p."userId" = public.app_current_user_id())
           AND EXISTS (SELECT 1 FROM public.tags p WHERE p.id = storage_file_tags."tagId")"#,
    },
    Narrowed {
        policy: "rag_documents_same_owner_refs",
        table: "public.rag_documents",
        owner_policy: false,
        before: r#"("fileId" IS NULL OR EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = rag_documents."fileId"))"#,
        after: r#"("fileId" IS NULL OR EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = rag_documents."fileId"
                    AND p."userId" = public.app_current_user_id()))"#,
    },
];

/// `ALTER POLICY` of `narrowed` to `test`.
fn alter(narrowed: &Narrowed, test: &str) -> String {
    let (policy, table) = (narrowed.policy, narrowed.table);
    if narrowed.owner_policy {
        format!(r#"ALTER POLICY "{policy}" ON {table} USING ({test}) WITH CHECK ({test})"#)
    } else {
        format!(r#"ALTER POLICY "{policy}" ON {table} WITH CHECK ({test})"#)
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The children first: once the recipient sees a file, "visible" no longer means "own".
        for narrowed in NARROWED {
            db.execute_unprepared(&alter(narrowed, narrowed.after))
                .await?;
        }
        db.execute_unprepared(&shared_file_ids()).await?;
        db.execute_unprepared(&format!(
            "REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC;
             GRANT EXECUTE ON FUNCTION {FUNCTION} TO app_user"
        ))
        .await?;
        for (name, table, condition) in recipient_policies() {
            db.execute_unprepared(&format!(
                r#"CREATE POLICY "{name}" ON {table} FOR SELECT TO app_user USING ({condition})"#
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, table, _) in recipient_policies().into_iter().rev() {
            db.execute_unprepared(&format!(r#"DROP POLICY IF EXISTS "{name}" ON {table}"#))
                .await?;
        }
        db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {FUNCTION}"))
            .await?;
        for narrowed in NARROWED.iter().rev() {
            db.execute_unprepared(&alter(narrowed, narrowed.before))
                .await?;
        }
        Ok(())
    }
}
