//! Phase 2 (support, storage, tags) has exactly SCHEMA.md's tables, enums, indexes, keys and
//! trigger, the quota trigger keeps usage exact, and the dev seed fills every table.

use std::collections::BTreeSet;

use dbcheck::catalog::Snapshot;
use entity::prelude::*;
use entity::{support_tickets, users};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType, ModelTrait,
    PaginatorTrait, QueryFilter, QuerySelect, RelationTrait,
};
use smoke_tests::{TestDb, snapshot};

use crate::{all_rows, count, query_strings};

const TABLES: &[&str] = &[
    "support_tickets",
    "support_messages",
    "storage_folders",
    "storage_files",
    "storage_quotas",
    "file_access_logs",
    "file_shares",
    "tags",
    "artifact_tags",
    "storage_file_tags",
    "conversation_tags",
];

/// SCHEMA.md's Phase-2 columns as `table.column type nullability [DEFAULT ...]`; `ts3` stands
/// for `timestamp(3) without time zone` and `vc` for `character varying`.
const COLUMNS: &[&str] = &[
    "support_tickets.id uuid NOT NULL DEFAULT gen_random_uuid()",
    "support_tickets.userId uuid NOT NULL",
    "support_tickets.assignedTo uuid NULL",
    r#"support_tickets.category "TicketCategory" NOT NULL"#,
    r#"support_tickets.priority "TicketPriority" NOT NULL DEFAULT 'MEDIUM'::"TicketPriority""#,
    r#"support_tickets.status "TicketStatus" NOT NULL DEFAULT 'OPEN'::"TicketStatus""#,
    "support_tickets.subject vc(500) NOT NULL",
    "support_tickets.description text NOT NULL",
    "support_tickets.aiSummary text NULL",
    "support_tickets.metadata jsonb NULL",
    "support_tickets.resolvedAt ts3 NULL",
    "support_tickets.closedAt ts3 NULL",
    "support_tickets.createdAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "support_tickets.updatedAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "support_messages.id uuid NOT NULL DEFAULT gen_random_uuid()",
    "support_messages.ticketId uuid NOT NULL",
    "support_messages.authorId uuid NULL",
    "support_messages.isFromAI boolean NOT NULL DEFAULT false",
    "support_messages.isInternal boolean NOT NULL DEFAULT false",
    "support_messages.content text NOT NULL",
    "support_messages.attachments jsonb NULL",
    "support_messages.createdAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "storage_folders.id uuid NOT NULL DEFAULT gen_random_uuid()",
    "storage_folders.userId uuid NOT NULL",
    "storage_folders.parentId uuid NULL",
    "storage_folders.name vc(255) NOT NULL",
    "storage_folders.path vc(1000) NOT NULL",
    "storage_folders.createdAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "storage_folders.updatedAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "storage_files.id uuid NOT NULL DEFAULT gen_random_uuid()",
    "storage_files.userId uuid NOT NULL",
    "storage_files.folderId uuid NULL",
    "storage_files.name vc(500) NOT NULL",
    "storage_files.mimeType vc(255) NOT NULL",
    "storage_files.size bigint NOT NULL",
    "storage_files.checksum vc(128) NULL",
    r#"storage_files.storageProvider "StorageProvider" NOT NULL DEFAULT 'LOCAL'::"StorageProvider""#,
    "storage_files.storageKey vc(1000) NOT NULL",
    r#"storage_files.accessLevel "FileAccessLevel" NOT NULL DEFAULT 'PRIVATE'::"FileAccessLevel""#,
    r#"storage_files.usageContext "FileUsageContext" NOT NULL DEFAULT 'OTHER'::"FileUsageContext""#,
    "storage_files.metadata jsonb NULL",
    "storage_files.deletedAt ts3 NULL",
    "storage_files.createdAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "storage_files.updatedAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "storage_quotas.id uuid NOT NULL DEFAULT gen_random_uuid()",
    "storage_quotas.userId uuid NOT NULL",
    "storage_quotas.maxStorage bigint NOT NULL",
    "storage_quotas.usedStorage bigint NOT NULL DEFAULT 0",
    "storage_quotas.maxFileSize bigint NOT NULL",
    "storage_quotas.maxFiles integer NOT NULL",
    "storage_quotas.fileCount integer NOT NULL DEFAULT 0",
    r#"storage_quotas.subscriptionTier "SubscriptionTier" NOT NULL"#,
    "storage_quotas.createdAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "storage_quotas.updatedAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "file_access_logs.id uuid NOT NULL DEFAULT gen_random_uuid()",
    "file_access_logs.fileId uuid NOT NULL",
    "file_access_logs.userId uuid NULL",
    r#"file_access_logs.action "FileAction" NOT NULL"#,
    "file_access_logs.ipAddress inet NULL",
    "file_access_logs.userAgent vc(500) NULL",
    "file_access_logs.timestamp ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "file_shares.id uuid NOT NULL DEFAULT gen_random_uuid()",
    "file_shares.fileId uuid NOT NULL",
    "file_shares.sharedBy uuid NOT NULL",
    "file_shares.sharedWith uuid NULL",
    r#"file_shares.shareType "ShareType" NOT NULL"#,
    "file_shares.token vc(255) NULL",
    "file_shares.canDownload boolean NOT NULL DEFAULT true",
    "file_shares.expiresAt ts3 NULL",
    "file_shares.accessCount integer NOT NULL DEFAULT 0",
    "file_shares.createdAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "tags.id uuid NOT NULL DEFAULT gen_random_uuid()",
    "tags.userId uuid NOT NULL",
    "tags.name vc(100) NOT NULL",
    "tags.color vc(20) NULL",
    "tags.createdAt ts3 NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "artifact_tags.artifactId uuid NOT NULL",
    "artifact_tags.tagId uuid NOT NULL",
    "storage_file_tags.fileId uuid NOT NULL",
    "storage_file_tags.tagId uuid NOT NULL",
    "conversation_tags.conversationId uuid NOT NULL",
    "conversation_tags.tagId uuid NOT NULL",
];

/// The seed's eight Phase-2 enum types, labels in order.
const ENUMS: &[&str] = &[
    "TicketCategory BUG,FEATURE,QUESTION,ACCOUNT,BILLING,PERFORMANCE,OTHER",
    "TicketPriority LOW,MEDIUM,HIGH,URGENT",
    "TicketStatus OPEN,IN_PROGRESS,WAITING_USER,RESOLVED,CLOSED,CANCELLED",
    "StorageProvider VERCEL_BLOB,LOCAL,AWS_S3,CLOUDFLARE_R2",
    "FileAccessLevel PRIVATE,INTERNAL,PUBLIC,SHARED",
    "FileUsageContext THEME,AVATAR,TICKET,ARTIFACT,HEALTH,FINANCE,BACKUP,TEMP,OTHER",
    "FileAction UPLOAD,DOWNLOAD,VIEW,DELETE,SHARE,UPDATE",
    "ShareType LINK,EMAIL,USER",
];

/// Every index: name, table, unique, and its column list as PostgreSQL prints it. The
/// primary keys are here too, as unique indexes named `<table>_pkey`.
const INDEXES: &[(&str, &str, bool, &str)] = &[
    ("support_tickets_pkey", "support_tickets", true, "id"),
    (
        "support_tickets_status_createdAt_idx",
        "support_tickets",
        false,
        r#"status, "createdAt" DESC"#,
    ),
    (
        "support_tickets_userId_idx",
        "support_tickets",
        false,
        r#""userId""#,
    ),
    (
        "support_tickets_assignedTo_idx",
        "support_tickets",
        false,
        r#""assignedTo""#,
    ),
    ("support_messages_pkey", "support_messages", true, "id"),
    (
        "support_messages_ticketId_createdAt_idx",
        "support_messages",
        false,
        r#""ticketId", "createdAt""#,
    ),
    (
        "support_messages_authorId_idx",
        "support_messages",
        false,
        r#""authorId""#,
    ),
    ("storage_folders_pkey", "storage_folders", true, "id"),
    (
        "storage_folders_userId_path_key",
        "storage_folders",
        true,
        r#""userId", path"#,
    ),
    (
        "storage_folders_parentId_idx",
        "storage_folders",
        false,
        r#""parentId""#,
    ),
    ("storage_files_pkey", "storage_files", true, "id"),
    (
        "storage_files_storageProvider_storageKey_key",
        "storage_files",
        true,
        r#""storageProvider", "storageKey""#,
    ),
    (
        "storage_files_userId_createdAt_idx",
        "storage_files",
        false,
        r#""userId", "createdAt" DESC"#,
    ),
    (
        "storage_files_folderId_idx",
        "storage_files",
        false,
        r#""folderId""#,
    ),
    ("storage_quotas_pkey", "storage_quotas", true, "id"),
    (
        "storage_quotas_userId_key",
        "storage_quotas",
        true,
        r#""userId""#,
    ),
    ("file_access_logs_pkey", "file_access_logs", true, "id"),
    (
        "file_access_logs_fileId_timestamp_idx",
        "file_access_logs",
        false,
        r#""fileId", "timestamp" DESC"#,
    ),
    (
        "file_access_logs_userId_timestamp_idx",
        "file_access_logs",
        false,
        r#""userId", "timestamp" DESC"#,
    ),
    ("file_shares_pkey", "file_shares", true, "id"),
    ("file_shares_token_key", "file_shares", true, "token"),
    (
        "file_shares_fileId_idx",
        "file_shares",
        false,
        r#""fileId""#,
    ),
    (
        "file_shares_sharedWith_idx",
        "file_shares",
        false,
        r#""sharedWith""#,
    ),
    (
        "file_shares_sharedBy_idx",
        "file_shares",
        false,
        r#""sharedBy""#,
    ),
    ("tags_pkey", "tags", true, "id"),
    ("tags_userId_name_key", "tags", true, r#""userId", name"#),
    (
        "artifact_tags_pkey",
        "artifact_tags",
        true,
        r#""artifactId", "tagId""#,
    ),
    (
        "artifact_tags_tagId_idx",
        "artifact_tags",
        false,
        r#""tagId""#,
    ),
    (
        "storage_file_tags_pkey",
        "storage_file_tags",
        true,
        r#""fileId", "tagId""#,
    ),
    (
        "storage_file_tags_tagId_idx",
        "storage_file_tags",
        false,
        r#""tagId""#,
    ),
    (
        "conversation_tags_pkey",
        "conversation_tags",
        true,
        r#""conversationId", "tagId""#,
    ),
    (
        "conversation_tags_tagId_idx",
        "conversation_tags",
        false,
        r#""tagId""#,
    ),
];

/// Every foreign key: table, column, referenced table, and whether deleting the parent sets
/// the column to NULL (otherwise it cascades).
const FOREIGN_KEYS: &[(&str, &str, &str, bool)] = &[
    ("support_tickets", "userId", "users", false),
    ("support_tickets", "assignedTo", "users", true),
    ("support_messages", "ticketId", "support_tickets", false),
    ("support_messages", "authorId", "users", true),
    ("storage_folders", "userId", "users", false),
    ("storage_folders", "parentId", "storage_folders", false),
    ("storage_files", "userId", "users", false),
    ("storage_files", "folderId", "storage_folders", true),
    ("storage_quotas", "userId", "users", false),
    ("file_access_logs", "fileId", "storage_files", false),
    ("file_access_logs", "userId", "users", true),
    ("file_shares", "fileId", "storage_files", false),
    ("file_shares", "sharedBy", "users", false),
    ("file_shares", "sharedWith", "users", false),
    ("tags", "userId", "users", false),
    ("artifact_tags", "artifactId", "artifacts", false),
    ("artifact_tags", "tagId", "tags", false),
    ("storage_file_tags", "fileId", "storage_files", false),
    ("storage_file_tags", "tagId", "tags", false),
    (
        "conversation_tags",
        "conversationId",
        "conversations",
        false,
    ),
    ("conversation_tags", "tagId", "tags", false),
];

/// The CHECK constraints, named by PostgreSQL after their column.
const CHECKS: &[(&str, &str, &str)] = &[
    (
        "storage_files",
        "storage_files_size_check",
        "CHECK ((size >= 0))",
    ),
    (
        "storage_quotas",
        "storage_quotas_usedStorage_check",
        r#"CHECK (("usedStorage" >= 0))"#,
    ),
    (
        "storage_quotas",
        "storage_quotas_fileCount_check",
        r#"CHECK (("fileCount" >= 0))"#,
    ),
];

/// The tables with `"updatedAt"`, each with its `set_updated_at` trigger.
const UPDATED_AT_TABLES: &[&str] = &[
    "support_tickets",
    "storage_folders",
    "storage_files",
    "storage_quotas",
];

/// PostgreSQL's spelling of an identifier: quoted unless plain lower case.
fn ident(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        name.to_owned()
    } else {
        format!("\"{name}\"")
    }
}

fn is_phase2_table(table: &str) -> bool {
    TABLES.contains(&table)
}

fn set<'a>(lines: impl Iterator<Item = &'a String>) -> BTreeSet<String> {
    lines.cloned().collect()
}

#[tokio::test]
async fn phase2_catalog_has_every_table_enum_index_fk_and_trigger() {
    let test = TestDb::new("phase2_catalog").await;
    migration::up_through_phase(&test.db, Some(2))
        .await
        .expect("migrate --phase 2");
    let catalog = snapshot(&test.db).await;
    assert_tables_and_columns(&catalog);
    assert_enums(&catalog);
    assert_indexes(&catalog);
    assert_constraints(&catalog);
    assert_triggers(&catalog);
}

/// Checks that the 11 tables have exactly SCHEMA.md's columns, types and defaults included.
fn assert_tables_and_columns(catalog: &Snapshot) {
    // Columns, without the ordinal: `column public.t.c #n type ...` becomes `t.c type ...`.
    let columns: BTreeSet<String> = catalog
        .of_kind("column")
        .filter_map(|l| {
            let rest = l.strip_prefix("column public.")?;
            let (name, tail) = rest.split_once(" #")?;
            let (_, def) = tail.split_once(' ')?;
            is_phase2_table(name.split('.').next()?).then(|| format!("{name} {def}"))
        })
        .collect();
    let expected: BTreeSet<String> = COLUMNS
        .iter()
        .map(|c| {
            c.replace(" ts3 ", " timestamp(3) without time zone ")
                .replace(" vc(", " character varying(")
        })
        .collect();
    assert_eq!(columns, expected);
    let tables: BTreeSet<_> = columns.iter().filter_map(|c| c.split('.').next()).collect();
    assert_eq!(tables.len(), 11);
}

/// Checks that the eight Phase-2 enum types exist, labels in order.
fn assert_enums(catalog: &Snapshot) {
    let enums: BTreeSet<String> = ENUMS.iter().map(|e| format!("enum public.{e}")).collect();
    let found = set(catalog.of_kind("enum").filter(|l| enums.contains(*l)));
    assert_eq!(found, enums);
}

/// Checks that the Phase-2 tables have exactly the listed indexes, primary keys included.
fn assert_indexes(catalog: &Snapshot) {
    let indexes = set(catalog.of_kind("index").filter(|l| {
        TABLES
            .iter()
            .any(|t| l.contains(&format!(" ON public.{t} USING ")))
    }));
    let expected: BTreeSet<String> = INDEXES
        .iter()
        .map(|(name, table, unique, cols)| {
            let unique = if *unique { "UNIQUE " } else { "" };
            format!(
                "index CREATE {unique}INDEX {} ON public.{table} USING btree ({cols})",
                ident(name)
            )
        })
        .collect();
    assert_eq!(indexes, expected);
}

/// Checks that the Phase-2 tables have exactly the listed foreign keys, checks and primary keys.
fn assert_constraints(catalog: &Snapshot) {
    // PostgreSQL 18 lists NOT NULL as constraints too; the column lines already cover them.
    let constraints = set(catalog.of_kind("constraint").filter(|l| {
        !l.contains("_not_null NOT NULL ")
            && l.strip_prefix("constraint public.")
                .and_then(|r| r.split(' ').next())
                .is_some_and(is_phase2_table)
    }));
    let mut expected = BTreeSet::new();
    for (table, column, parent, set_null) in FOREIGN_KEYS {
        let on_delete = if *set_null { "SET NULL" } else { "CASCADE" };
        expected.insert(format!(
            "constraint public.{table} {table}_{column}_fkey FOREIGN KEY ({}) REFERENCES {parent}(id) ON UPDATE CASCADE ON DELETE {on_delete}",
            ident(column)
        ));
    }
    for (table, name, def) in CHECKS {
        expected.insert(format!("constraint public.{table} {name} {def}"));
    }
    for (name, table, _, cols) in INDEXES.iter().filter(|i| i.0.ends_with("_pkey")) {
        expected.insert(format!(
            "constraint public.{table} {name} PRIMARY KEY ({cols})"
        ));
    }
    assert_eq!(constraints, expected);
}

/// Checks the `updatedAt` triggers, the quota trigger, and the quota trigger's one function.
fn assert_triggers(catalog: &Snapshot) {
    let triggers = set(catalog.of_kind("trigger").filter(|l| {
        TABLES
            .iter()
            .any(|t| l.contains(&format!(" ON public.{t} ")))
    }));
    let mut expected: BTreeSet<String> = UPDATED_AT_TABLES
        .iter()
        .map(|t| format!("trigger CREATE TRIGGER {t}_set_updated_at BEFORE UPDATE ON public.{t} FOR EACH ROW EXECUTE FUNCTION set_updated_at()"))
        .collect();
    expected.insert(r#"trigger CREATE TRIGGER storage_files_sync_storage_quota_usage AFTER INSERT OR DELETE OR UPDATE OF size, "deletedAt" ON public.storage_files FOR EACH ROW EXECUTE FUNCTION sync_storage_quota_usage()"#.to_owned());
    assert_eq!(triggers, expected);
    assert_eq!(
        catalog
            .of_kind("function")
            .filter(|l| l.starts_with("function public.sync_storage_quota_usage() "))
            .count(),
        1
    );
}

#[tokio::test]
async fn every_foreign_key_column_of_every_schema_leads_some_index() {
    let test = TestDb::migrated("phase2_fk_columns_indexed").await;
    let sql = format!(
        r#"SELECT k.conrelid::regclass::text || '.' || a.attname
             FROM pg_constraint k
             JOIN pg_namespace n ON n.oid = k.connamespace
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
            WHERE k.contype = 'f' AND n.nspname IN ({})
              AND NOT EXISTS (SELECT 1 FROM pg_index i
                               WHERE i.indrelid = k.conrelid AND i.indkey[0] = k.conkey[1])
            ORDER BY 1"#,
        schema_facts::sql_list(schema_facts::SCHEMAS)
    );
    let unindexed = query_strings(&test.db, &sql).await;
    assert_eq!(unindexed, Vec::<String>::new());
    // The check must have had keys to look at: phase 2 alone adds 21.
    let phase2_fks = count(
        &test.db,
        r#"SELECT count(*) FROM pg_constraint WHERE contype = 'f'
            AND conrelid::regclass::text IN ('support_tickets', 'support_messages', 'storage_folders',
              'storage_files', 'storage_quotas', 'file_access_logs', 'file_shares', 'tags',
              'artifact_tags', 'storage_file_tags', 'conversation_tags')"#,
    )
    .await;
    assert_eq!(phase2_fks, 21);
}

/// Rows of `storage_quotas` whose usage differs from a recount of the live files.
const QUOTA_DRIFT: &str = r#"SELECT count(*) FROM storage_quotas q
    WHERE q."usedStorage" <> (SELECT coalesce(sum(size), 0) FROM storage_files f
                               WHERE f."userId" = q."userId" AND f."deletedAt" IS NULL)
       OR q."fileCount" <> (SELECT count(*) FROM storage_files f
                             WHERE f."userId" = q."userId" AND f."deletedAt" IS NULL)"#;

#[tokio::test]
async fn storage_quota_usage_equals_a_recount_after_file_changes() {
    let test = TestDb::migrated("storage_quota_recount").await;
    let db = &test.db;
    db.execute_unprepared(
        r#"INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com'), ('noquota@example.com');
           INSERT INTO storage_quotas ("userId", "maxStorage", "maxFileSize", "maxFiles", "subscriptionTier")
             SELECT id, 1000000, 100000, 100, 'FREE' FROM users WHERE email IN ('a@example.com', 'b@example.com');
           INSERT INTO storage_files ("userId", name, "mimeType", size, "storageKey")
             SELECT u.id, 'f' || n, 'text/plain', n * 100, u.email || '/f' || n
               FROM users u, generate_series(1, 10) n;
           -- A file born soft-deleted never counts.
           INSERT INTO storage_files ("userId", name, "mimeType", size, "storageKey", "deletedAt")
             SELECT id, 'gone', 'text/plain', 5000, email || '/gone', now() FROM users;"#,
    )
    .await
    .expect("insert files");
    assert_eq!(count(db, QUOTA_DRIFT).await, 0);

    db.execute_unprepared(
        r#"-- Resize live files, and a soft-deleted one (which must stay uncounted).
           UPDATE storage_files SET size = size + 7 WHERE name IN ('f1', 'f2', 'gone');
           -- Soft-delete several at once, then restore one of them.
           UPDATE storage_files SET "deletedAt" = now() WHERE name IN ('f3', 'f4', 'f5');
           UPDATE storage_files SET "deletedAt" = NULL WHERE name = 'f4';
           -- Restore with a new size in the same statement.
           UPDATE storage_files SET "deletedAt" = NULL, size = 1 WHERE name = 'gone';
           -- Hard-delete a live file and a soft-deleted one.
           DELETE FROM storage_files WHERE name IN ('f6', 'f5');
           -- Renaming touches neither size, "deletedAt" nor the owner: no quota changes.
           UPDATE storage_files SET name = 'renamed' WHERE name = 'f7';"#,
    )
    .await
    .expect("change files");
    assert_eq!(count(db, QUOTA_DRIFT).await, 0);

    // Per user: f1 and f2 grown by 7, f4, f7..f10, and 'gone' restored at size 1:
    // 107 + 207 + 400 + 700 + 800 + 900 + 1000 + 1 = 4115 bytes in 8 files.
    let a = r#"SELECT q."usedStorage" * 1000 + q."fileCount" FROM storage_quotas q
               JOIN users u ON u.id = q."userId" WHERE u.email = 'a@example.com'"#;
    assert_eq!(count(db, a).await, 4115 * 1000 + 8);
    // The user without a quota row kept their files (11 inserted, f5 and f6 deleted) and
    // got no quota row.
    assert_eq!(
        count(db, "SELECT count(*) FROM storage_quotas").await,
        2,
        "quota rows"
    );
    assert_eq!(
        count(db, r#"SELECT count(*) FROM storage_files f JOIN users u ON u.id = f."userId" WHERE u.email = 'noquota@example.com'"#).await,
        9
    );
}

#[tokio::test]
async fn dev_seed_fills_every_phase2_table_and_counts_quota_usage() {
    let test = TestDb::new("phase2_dev_seed").await;
    // Through phase 2 only: the seeder then skips later phases' parts, so this checks that
    // phase 2 seeds on its own.
    migration::up_through_phase(&test.db, Some(2))
        .await
        .expect("migrate --phase 2");
    let first = seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let db = &test.db;
    let rows = all_rows(db).await;
    // Later runs insert nothing and change nothing, the quota counters included.
    for _ in 0..2 {
        let again = seed::run(db, &seed::Profile::Dev)
            .await
            .expect("seed again");
        assert_eq!((again.inserted, again.present), (0, first.inserted));
    }
    assert_eq!(rows, all_rows(db).await);
    for table in TABLES {
        let rows = count(db, &format!("SELECT count(*) FROM {table}")).await;
        assert!(rows > 0, "{table} is empty");
    }
    let quotas = query_strings(
        db,
        r#"SELECT u.email || ' ' || q."maxStorage" || ' ' || q."maxFileSize" || ' ' || q."maxFiles"
                  || ' ' || q."subscriptionTier" || ' ' || q."usedStorage" || ' ' || q."fileCount"
             FROM storage_quotas q JOIN users u ON u.id = q."userId" ORDER BY u.email"#,
    )
    .await;
    // User one's soft-deleted file does not count; the live one (4096 bytes) does.
    assert_eq!(
        quotas,
        [
            "cjhirashi@gmail.com 10737418240 104857600 10000 UNLIMITED 0 0",
            "user1@example.com 1073741824 10485760 100 FREE 4096 1",
        ]
    );
    assert_eq!(count(db, QUOTA_DRIFT).await, 0);
}

#[tokio::test]
async fn phase2_entities_read_the_seed_and_relations_resolve() {
    let test = TestDb::new("phase2_entities").await;
    // Seeded through phase 2 only: the seeder then skips later phases' parts, so this checks
    // that phase 2 seeds on its own. Then the rest of the migrations, as a deploy would: the
    // entities describe the latest schema (a column a later migration added to `users` or to
    // a phase-2 table is in them), so they read the tables as later phases left them.
    migration::up_through_phase(&test.db, Some(2))
        .await
        .expect("migrate --phase 2");
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    migration::up_through_phase(&test.db, None)
        .await
        .expect("migrate the later phases over the phase-2 seed");
    let db = &test.db;
    assert_every_entity_reads_its_table(db).await;
    assert_ticket_relations(db).await;
    assert_user_one_relations(db).await;
}

/// Checks that each Phase-2 entity reads every row of its table.
async fn assert_every_entity_reads_its_table(db: &DatabaseConnection) {
    macro_rules! reads_all {
        ($($entity:ty => $table:literal),+ $(,)?) => {$(
            let rows = <$entity>::find().all(db).await.unwrap_or_else(|e| panic!("{}: {e}", $table));
            let expected = count(db, concat!("SELECT count(*) FROM ", $table)).await;
            assert_eq!(i64::try_from(rows.len()).unwrap(), expected, $table);
        )+};
    }
    reads_all!(
        SupportTickets => "support_tickets", SupportMessages => "support_messages",
        StorageFolders => "storage_folders", StorageFiles => "storage_files",
        StorageQuotas => "storage_quotas", FileAccessLogs => "file_access_logs",
        FileShares => "file_shares", Tags => "tags", ArtifactTags => "artifact_tags",
        StorageFileTags => "storage_file_tags", ConversationTags => "conversation_tags",
    );
}

/// Checks that a ticket reaches its two messages, its requester and its assignee.
async fn assert_ticket_relations(db: &DatabaseConnection) {
    let ticket = SupportTickets::find()
        .one(db)
        .await
        .unwrap()
        .expect("ticket");
    assert_eq!(
        ticket
            .find_related(SupportMessages)
            .count(db)
            .await
            .unwrap(),
        2
    );
    // The two relations to users reach different users: the requester and the assignee.
    let via = |rel: support_tickets::Relation| {
        SupportTickets::find()
            .join(JoinType::InnerJoin, rel.def())
            .select_only()
            .column(users::Column::Email)
            .into_tuple::<String>()
            .one(db)
    };
    assert_eq!(
        via(support_tickets::Relation::Requester)
            .await
            .unwrap()
            .as_deref(),
        Some("user1@example.com")
    );
    assert_eq!(
        via(support_tickets::Relation::Assignee)
            .await
            .unwrap()
            .as_deref(),
        Some("admin@cjhirashi.com")
    );
}

/// Checks that user one reaches their files and tags, and a tag leads back to user one.
async fn assert_user_one_relations(db: &DatabaseConnection) {
    let user_one = Users::find()
        .filter(users::Column::Email.eq("user1@example.com"))
        .one(db)
        .await
        .unwrap()
        .expect("user one");
    assert_eq!(
        user_one.find_related(StorageFiles).count(db).await.unwrap(),
        2
    );
    assert_eq!(user_one.find_related(Tags).count(db).await.unwrap(), 2);
    let tag = Tags::find().one(db).await.unwrap().expect("tag");
    assert_eq!(
        tag.find_related(Users).one(db).await.unwrap().map(|u| u.id),
        Some(user_one.id)
    );
}
