//! A share is a way in: the user a file is shared with (`"sharedWith"`), as `app_user`, reads
//! the file and the share addressed to it while the share is live, and nothing more: no write
//! (no share column grants one), none of the file's other shares, logs or tags, nothing once
//! the share expired, was revoked or the file went to the trash. The owner keeps every right;
//! a stranger gets nothing.

use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{Seeded, Setting, acting, attempt, read_as};
use crate::query_strings;

/// The dev seed with a third user and the seed's share: user one's live file, shared with user
/// two (a `USER` share, no expiry, downloadable).
struct Shared {
    seeded: Seeded,
    /// User one's shared file.
    file: String,
    /// The share of `file` addressed to user two.
    share: String,
    /// A user no file is shared with.
    stranger: String,
}

impl Shared {
    async fn new(name: &str) -> Shared {
        let seeded = Seeded::new(name).await;
        let db = &seeded.test.db;
        let sql = format!(
            r#"SELECT s.id::text || '|' || s."fileId"::text FROM file_shares s
                 JOIN storage_files f ON f.id = s."fileId"
                WHERE f."userId" = '{}' AND s."sharedWith" = '{}'"#,
            seeded.one, seeded.two
        );
        let found = query_strings(db, &sql).await;
        assert_eq!(
            found.len(),
            1,
            "the seed's share of user one's file: {found:?}"
        );
        let (share, file) = found[0].split_once('|').expect("share|file");
        let (share, file) = (share.to_owned(), file.to_owned());
        let stranger = query_strings(
            db,
            "INSERT INTO users (email, name) VALUES ('stranger@example.com', 'Stranger')
             RETURNING id::text",
        )
        .await
        .remove(0);
        Shared {
            seeded,
            file,
            share,
            stranger,
        }
    }

    fn db(&self) -> &DatabaseConnection {
        &self.seeded.test.db
    }

    fn owner(&self) -> Setting {
        Setting::User(self.seeded.one.clone())
    }

    fn recipient(&self) -> Setting {
        Setting::User(self.seeded.two.clone())
    }

    /// A new file of user one, made as the database owner.
    async fn new_file(&self, name: &str) -> String {
        let sql = format!(
            r#"INSERT INTO storage_files ("userId", name, "mimeType", size, "storageKey")
               VALUES ('{}', '{name}', 'text/plain', 10, 'shares/{name}') RETURNING id::text"#,
            self.seeded.one
        );
        query_strings(self.db(), &sql).await.remove(0)
    }

    /// A `USER` share of `file` from user one to user two, expiring at `expires` (SQL), made
    /// as the database owner.
    async fn share_with_two(&self, file: &str, expires: &str) -> String {
        let (one, two) = (&self.seeded.one, &self.seeded.two);
        let sql = format!(
            r#"INSERT INTO file_shares ("fileId", "sharedBy", "sharedWith", "shareType", "expiresAt")
               VALUES ('{file}', '{one}', '{two}', 'USER', {expires}) RETURNING id::text"#
        );
        query_strings(self.db(), &sql).await.remove(0)
    }

    /// The first column of `sql`'s rows as `app_user` for `setting`; a refusal fails the test.
    async fn read(&self, setting: &Setting, sql: &str) -> Vec<String> {
        read_as(self.db(), "app_user", setting, sql)
            .await
            .unwrap_or_else(|e| panic!("{setting:?}: {sql}: {e}"))
    }

    /// Whether `setting`'s user sees `file` and the share `share` (`storage_files`,
    /// `file_shares`).
    async fn sees(&self, setting: &Setting, file: &str, share: &str) -> (bool, bool) {
        let file = format!("SELECT id::text FROM storage_files WHERE id = '{file}'");
        let share = format!("SELECT id::text FROM file_shares WHERE id = '{share}'");
        (
            !self.read(setting, &file).await.is_empty(),
            !self.read(setting, &share).await.is_empty(),
        )
    }

    /// Runs `sql` as `app_user` for user one and commits it: the owner's own change.
    async fn as_owner_commit(&self, sql: &str) -> u64 {
        let txn = acting(self.db(), "app_user", &self.owner()).await;
        let done = txn
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .rows_affected();
        txn.commit().await.expect("commit");
        done
    }
}

#[tokio::test]
async fn the_recipient_of_a_live_share_reads_the_file_and_the_share_addressed_to_it() {
    let shared = Shared::new("security_shares_recipient_reads").await;
    let (file, share, two) = (&shared.file, &shared.share, &shared.recipient());
    let name = format!("SELECT name FROM storage_files WHERE id = '{file}'");
    let owners_view = shared.read(&shared.owner(), &name).await;
    assert_eq!(owners_view.len(), 1, "the owner reads its file");
    assert_eq!(shared.read(two, &name).await, owners_view);
    // Of the files of others, the recipient sees exactly the one shared with it.
    let others = format!(
        r#"SELECT id::text FROM storage_files WHERE "userId" <> '{}'"#,
        shared.seeded.two
    );
    assert_eq!(shared.read(two, &others).await, std::slice::from_ref(file));
    // The share addressed to it, with what it allows.
    let shares = format!(
        r#"SELECT id::text || ' ' || "canDownload"::text FROM file_shares
            WHERE "fileId" = '{file}'"#
    );
    assert_eq!(shared.read(two, &shares).await, [format!("{share} true")]);
}

#[tokio::test]
async fn a_recipient_reads_none_of_the_files_other_shares_logs_or_tags() {
    let shared = Shared::new("security_shares_nothing_else").await;
    let db = shared.db();
    let (file, share) = (&shared.file, &shared.share);
    // Another share of the same file, a link with its token: the owner's, not the recipient's.
    db.execute_unprepared(&format!(
        r#"INSERT INTO file_shares ("fileId", "sharedBy", "shareType", token)
           VALUES ('{file}', '{}', 'LINK', 'link-token-of-user-one')"#,
        shared.seeded.one
    ))
    .await
    .expect("a link share");
    // What the owner has on the file besides the share, so that hiding it means something.
    for (table, least) in [
        ("file_access_logs", 1),
        ("storage_file_tags", 1),
        ("file_shares", 2),
    ] {
        let sql = format!(r#"SELECT count(*) FROM {table} WHERE "fileId" = '{file}'"#);
        assert!(
            crate::count(db, &sql).await >= least,
            "too few {table} rows of the file"
        );
    }
    let mut failures = Vec::new();
    for (what, sql) in [
        (
            "the file's other shares",
            format!(
                r#"SELECT id::text FROM file_shares WHERE "fileId" = '{file}' AND id <> '{share}'"#
            ),
        ),
        (
            "the file's access log",
            format!(r#"SELECT id::text FROM file_access_logs WHERE "fileId" = '{file}'"#),
        ),
        (
            "the file's tags",
            format!(r#"SELECT "tagId"::text FROM storage_file_tags WHERE "fileId" = '{file}'"#),
        ),
    ] {
        let seen = shared.read(&shared.recipient(), &sql).await;
        if !seen.is_empty() {
            failures.push(format!("the recipient reads {what}: {seen:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_share_grants_reading_only_so_every_write_of_the_recipient_is_refused_or_touches_nothing()
{
    let shared = Shared::new("security_shares_read_only").await;
    let (db, two) = (shared.db(), &shared.recipient());
    let mut failures = Vec::new();
    for sql in writes_touching_nothing(&shared) {
        let result = attempt(db, "app_user", two, &sql).await;
        if result != Ok(0) {
            failures.push(format!("{sql}: {result:?}"));
        }
    }
    for (refusal, sql) in writes_refused(&shared).await {
        let result = attempt(db, "app_user", two, &sql).await;
        if !matches!(&result, Err(e) if e.contains(refusal)) {
            failures.push(format!("{sql}: {result:?}, not {refusal}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The recipient's writes of rows that are not its to write: they affect no row.
fn writes_touching_nothing(shared: &Shared) -> Vec<String> {
    let (file, share) = (&shared.file, &shared.share);
    vec![
        format!("UPDATE storage_files SET name = 'renamed' WHERE id = '{file}'"),
        format!(r#"UPDATE storage_files SET "deletedAt" = CURRENT_TIMESTAMP WHERE id = '{file}'"#),
        format!("DELETE FROM storage_files WHERE id = '{file}'"),
        format!(r#"UPDATE file_shares SET "expiresAt" = NULL WHERE id = '{share}'"#),
        format!(r#"UPDATE file_shares SET "canDownload" = true WHERE id = '{share}'"#),
        format!("DELETE FROM file_shares WHERE id = '{share}'"),
    ]
}

/// The recipient's writes refused outright, with the error's words: the system's columns by
/// their grant (000672), the rest by the policies, which admit no row pointing at a file that
/// is not the writer's.
async fn writes_refused(shared: &Shared) -> Vec<(&'static str, String)> {
    let (file, two) = (&shared.file, &shared.seeded.two);
    let sql = format!(r#"SELECT id::text FROM tags WHERE "userId" = '{two}' LIMIT 1"#);
    let tag = query_strings(shared.db(), &sql).await.remove(0);
    let policy = "row-level security";
    vec![
        (
            "permission denied",
            format!("UPDATE storage_files SET size = 0 WHERE id = '{file}'"),
        ),
        (
            "permission denied",
            format!(r#"UPDATE storage_files SET "storageKey" = 'elsewhere' WHERE id = '{file}'"#),
        ),
        (
            policy,
            format!(
                r#"INSERT INTO file_shares ("fileId", "sharedBy", "sharedWith", "shareType")
                   VALUES ('{file}', '{two}', '{}', 'USER')"#,
                shared.stranger
            ),
        ),
        (
            policy,
            format!(
                r#"INSERT INTO file_access_logs ("fileId", "userId", action)
                   VALUES ('{file}', '{two}', 'VIEW')"#
            ),
        ),
        (
            policy,
            format!(
                r#"INSERT INTO storage_file_tags ("fileId", "tagId") VALUES ('{file}', '{tag}')"#
            ),
        ),
        (
            policy,
            format!(
                r#"INSERT INTO rag_documents ("userId", "fileId", title, "sourceType", "contentHash", "embeddingModel")
                   VALUES ('{two}', '{file}', 'shared', 'file', 'shared-hash', 'text-embedding-3-small')"#
            ),
        ),
    ]
}

#[tokio::test]
async fn an_expired_share_or_one_its_owner_revoked_gives_the_recipient_nothing() {
    let shared = Shared::new("security_shares_not_live").await;
    let two = &shared.recipient();
    // Expired before it is ever read.
    let expired_file = shared.new_file("expired.txt").await;
    let expired = shared
        .share_with_two(&expired_file, "CURRENT_TIMESTAMP - interval '1 day'")
        .await;
    assert_eq!(
        shared.sees(two, &expired_file, &expired).await,
        (false, false),
        "an expired share"
    );
    // Revoked by its owner, as app_user: deleted, or an expiry still ahead cut short.
    let revoked_file = shared.new_file("revoked.txt").await;
    let revoked = shared.share_with_two(&revoked_file, "NULL").await;
    let later_file = shared.new_file("later.txt").await;
    let later = shared
        .share_with_two(&later_file, "CURRENT_TIMESTAMP + interval '1 day'")
        .await;
    assert_eq!(
        shared.sees(two, &revoked_file, &revoked).await,
        (true, true)
    );
    assert_eq!(shared.sees(two, &later_file, &later).await, (true, true));
    let sql = format!("DELETE FROM file_shares WHERE id = '{revoked}'");
    assert_eq!(shared.as_owner_commit(&sql).await, 1);
    let sql = format!(
        r#"UPDATE file_shares SET "expiresAt" = CURRENT_TIMESTAMP - interval '1 second'
            WHERE id = '{later}'"#
    );
    assert_eq!(shared.as_owner_commit(&sql).await, 1);
    assert_eq!(
        shared.sees(two, &revoked_file, &revoked).await,
        (false, false),
        "a deleted share"
    );
    assert_eq!(
        shared.sees(two, &later_file, &later).await,
        (false, false),
        "a share cut short"
    );
    // The owner still sees the files and the shares left.
    for (file, share) in [(&expired_file, &expired), (&later_file, &later)] {
        assert_eq!(
            shared.sees(&shared.owner(), file, share).await,
            (true, true)
        );
    }
}

#[tokio::test]
async fn a_share_of_a_file_in_the_trash_gives_the_recipient_nothing() {
    let shared = Shared::new("security_shares_trashed").await;
    let (file, share, two) = (&shared.file, &shared.share, &shared.recipient());
    assert_eq!(shared.sees(two, file, share).await, (true, true));
    let sql =
        format!(r#"UPDATE storage_files SET "deletedAt" = CURRENT_TIMESTAMP WHERE id = '{file}'"#);
    assert_eq!(shared.as_owner_commit(&sql).await, 1);
    assert_eq!(shared.sees(two, file, share).await, (false, false));
    assert_eq!(
        shared.sees(&shared.owner(), file, share).await,
        (true, true)
    );
}

#[tokio::test]
async fn a_stranger_sees_nothing_of_a_shared_file_and_its_owner_keeps_every_right() {
    let shared = Shared::new("security_shares_stranger_owner").await;
    let db = shared.db();
    let (file, share) = (&shared.file, &shared.share);
    let stranger = Setting::User(shared.stranger.clone());
    for table in [
        "storage_files",
        "file_shares",
        "file_access_logs",
        "storage_file_tags",
    ] {
        let seen = shared
            .read(&stranger, &format!("SELECT ctid::text FROM {table}"))
            .await;
        assert!(seen.is_empty(), "the stranger reads {table}: {seen:?}");
    }
    let rename = format!("UPDATE storage_files SET name = 'renamed' WHERE id = '{file}'");
    assert_eq!(attempt(db, "app_user", &stranger, &rename).await, Ok(0));
    // The owner reads, renames and extends as before.
    let owner = shared.owner();
    assert_eq!(shared.sees(&owner, file, share).await, (true, true));
    assert_eq!(attempt(db, "app_user", &owner, &rename).await, Ok(1));
    let extend = format!(
        r#"UPDATE file_shares SET "expiresAt" = CURRENT_TIMESTAMP + interval '7 days'
            WHERE id = '{share}'"#
    );
    assert_eq!(attempt(db, "app_user", &owner, &extend).await, Ok(1));
    // app_admin sees the file and the share whatever the session's user.
    let admin = read_as(
        db,
        "app_admin",
        &Setting::Unset,
        &format!(r#"SELECT id::text FROM file_shares WHERE "fileId" = '{file}'"#),
    )
    .await;
    assert_eq!(admin, Ok(vec![share.clone()]));
}

#[tokio::test]
async fn the_share_lookup_runs_as_its_owner_with_a_pinned_search_path_for_app_user_only() {
    let test = smoke_tests::TestDb::migrated("security_shares_lookup").await;
    let sql = r#"SELECT p.prosecdef::text || ' ' || p.provolatile::text || ' '
                 || array_to_string(p.proconfig, ';') || ' '
                 || has_function_privilege('app_user', p.oid, 'EXECUTE')::text || ' '
                 || (SELECT count(*) FROM aclexplode(p.proacl) a
                      WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')::text
                 FROM pg_proc p
                WHERE p.oid = to_regprocedure('public.app_shared_file_ids()')"#;
    assert_eq!(
        query_strings(&test.db, sql).await,
        ["true s search_path=pg_catalog, pg_temp true 0"],
        "public.app_shared_file_ids(): SECURITY DEFINER, STABLE, search_path pinned, \
         executable by app_user and not by PUBLIC"
    );
}

#[tokio::test]
async fn listing_the_visible_files_probes_the_indexes_not_the_table() {
    let shared = Shared::new("security_shares_plan").await;
    let txn = acting(shared.db(), "app_user", &shared.recipient()).await;
    txn.execute_unprepared("SET LOCAL enable_seqscan = off")
        .await
        .expect("enable_seqscan");
    let plan: Vec<String> = txn
        .query_all_raw(sea_orm::Statement::from_string(
            txn.get_database_backend(),
            "EXPLAIN SELECT id FROM storage_files",
        ))
        .await
        .expect("explain")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("plan line"))
        .collect();
    txn.rollback().await.expect("rollback");
    let plan = plan.join("\n");
    assert!(!plan.contains("Seq Scan"), "{plan}");
    assert!(plan.contains("storage_files_pkey"), "{plan}");
}
