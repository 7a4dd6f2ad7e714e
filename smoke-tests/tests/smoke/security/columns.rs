//! What `app_user` may write, column by column: every column of every table, read from the
//! catalog, against a list that says why each one is writable or not. Columns that triggers,
//! the billing or the system keep (counters, quota usage and limits, monthly usage, user
//! totals) are not the user's to write; the counters still follow every write `app_user`
//! makes, because their triggers run with their owner's rights.
//!
//! A column the list leaves out must have its table's access ([`table_access`]): a new column
//! gets its table's grants by default (what `cargo xtask migrate dev` writes), so adding one
//! needs no edit here. List a column only to narrow it, e.g. a new column of `users` that the
//! user must not edit; a listed column keeps its exact check, and one missing from the
//! database fails.

use sea_orm::ConnectionTrait;

use super::{Seeded, Setting, acting, attempt};
use crate::{count, owned_tables, query_strings};

/// What `app_user` may do with a column's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// INSERT and UPDATE.
    Write,
    /// INSERT only: set once, or appended and never rewritten.
    Insert,
    /// UPDATE only: the row is created by another service.
    Update,
    /// Neither.
    Neither,
}

use Access::{Insert, Neither, Update, Write};

/// (table, access, why, columns separated by spaces): a column at most once. A column left out
/// has its table's access ([`table_access`]).
type Entry = (&'static str, Access, &'static str, &'static str);

const OWN: &str = "the user's own data, written by the application acting as the user";
const LINKS: &str = "a tag link is added or removed, never rewritten";
const LOG: &str = "appended by the application acting as the user, never rewritten";
const HEALTH: &str =
    "the user's own health record; medical free text must be a sealed envelope (CHECK)";
const FINANCE: &str = "the user's own finance record";

const COLUMNS: &[Entry] = &[
    (
        "public.users",
        Update,
        "the user's profile, edited by the user; the row is created by the sign-up service",
        "name displayName avatar dateOfBirth timezone language bio personalityProfile aiProfileLastUpdate lastInteraction",
    ),
    (
        "public.users",
        Neither,
        "identity and sign-in: the sign-up service's",
        "id email emailVerified createdAt updatedAt",
    ),
    (
        "public.users",
        Neither,
        "role, permissions and activity flag: the admins'",
        "role permissions isActive",
    ),
    (
        "public.users",
        Neither,
        "the subscription and the limits it buys: the billing's",
        "subscriptionTier subscriptionId subscriptionStart subscriptionEnd customLimits",
    ),
    (
        "public.users",
        Neither,
        "the user's usage totals: the system's",
        "totalMessages totalTokensUsed monthlyMessages monthlyTokens lastResetAt",
    ),
    (
        "public.accounts",
        Write,
        "the user's linked sign-in account, written by the sign-in flow acting as the user",
        "id userId type provider providerAccountId refresh_token access_token expires_at token_type scope id_token session_state createdAt updatedAt",
    ),
    (
        "public.auth_sessions",
        Write,
        "the user's own sessions, started, extended and ended for the user",
        "id sessionToken userId expires",
    ),
    (
        "public.verification_tokens",
        Neither,
        "the sign-up service's, keyed by email before a user exists",
        "identifier token expires",
    ),
    (
        "public.invitations",
        Neither,
        "the admins' and the sign-up service's",
        "id email token role status invitedBy expiresAt acceptedAt createdAt",
    ),
    (
        "public.agents",
        Neither,
        "the catalogue: every user reads it, only admins change it",
        "id createdBy name slug description category model config endpointUrl systemPrompt isPublic isActive documentationUrl tutorialUrl capabilities totalUses totalMessages averageRating createdAt updatedAt",
    ),
    (
        "public.chat_sessions",
        Write,
        OWN,
        "id userId startedAt lastActivity metadata",
    ),
    (
        "public.conversations",
        Write,
        OWN,
        "id chatSessionId agentId title summary createdAt updatedAt",
    ),
    (
        "public.conversations",
        Neither,
        "counters kept by the messages' triggers, which run as their owner",
        "messageCount tokenCount",
    ),
    (
        "public.counter_deltas",
        Neither,
        "the counters' changes pending until commit: only the counter triggers, as their owner, write them",
        "xact counter key n m",
    ),
    (
        "public.messages",
        Write,
        OWN,
        "id conversationId role content tokensInput tokensOutput metadata timestamp",
    ),
    (
        "public.messages",
        Neither,
        "derived from content by the messages_content_search trigger",
        "contentSearch",
    ),
    (
        "public.messages",
        Neither,
        "the conversation's owner, set by the messages_owner trigger whatever is written",
        "userId",
    ),
    (
        "public.user_agent_permissions",
        Neither,
        "granted by admins",
        "id userId agentId grantedBy grantedAt",
    ),
    (
        "public.artifacts",
        Write,
        OWN,
        "id agentId userId conversationId name type content version parentId metadata tags createdAt updatedAt",
    ),
    (
        "public.usage_logs",
        Insert,
        LOG,
        "id userId agentId conversationId messageId tokensInput tokensOutput totalTokens model costInput costOutput totalCost duration success errorMessage timestamp",
    ),
    (
        "public.monthly_usage",
        Neither,
        "the billing's monthly totals, limits and warnings",
        "id userId year month totalMessages totalTokens totalCost agentUsage limitMessages limitTokens exceededLimit warningsSent createdAt updatedAt",
    ),
    (
        "public.usage_alerts",
        Write,
        "the user's own alert: its kind, threshold and dismissal",
        "id userId type threshold resolvedAt createdAt",
    ),
    (
        "public.usage_alerts",
        Neither,
        "set by the usage system when the threshold is crossed",
        "triggered",
    ),
    (
        "public.audit_logs",
        Neither,
        "the trail: written by SECURITY DEFINER triggers and admins only",
        "id adminId action targetId details ipAddress timestamp actorId dbRole",
    ),
    (
        "public.support_tickets",
        Write,
        "the user's own ticket",
        "id userId category priority status subject description aiSummary metadata closedAt createdAt updatedAt",
    ),
    (
        "public.support_tickets",
        Neither,
        "the support staff's, who work as app_admin",
        "assignedTo resolvedAt",
    ),
    (
        "public.support_messages",
        Insert,
        "appended to the user's ticket, never rewritten (internal notes refused by the policy)",
        "id ticketId authorId isFromAI isInternal content attachments createdAt",
    ),
    (
        "public.storage_folders",
        Write,
        OWN,
        "id userId parentId name path createdAt updatedAt",
    ),
    (
        "public.storage_files",
        Write,
        OWN,
        "id userId folderId name mimeType accessLevel usageContext metadata deletedAt createdAt updatedAt",
    ),
    (
        "public.storage_files",
        Insert,
        "set once by the upload: the stored object's size, hash and place; the size moves the quota",
        "size checksum storageProvider storageKey",
    ),
    (
        "public.storage_quotas",
        Neither,
        "limits and tier are the billing's, usage the files' counter triggers'",
        "id userId maxStorage usedStorage maxFileSize maxFiles fileCount subscriptionTier createdAt updatedAt",
    ),
    (
        "public.file_access_logs",
        Insert,
        LOG,
        "id fileId userId action ipAddress userAgent timestamp",
    ),
    (
        "public.file_shares",
        Write,
        "the owner's share of its file",
        "id fileId sharedBy sharedWith shareType token canDownload expiresAt createdAt",
    ),
    (
        "public.file_shares",
        Neither,
        "counted by the service that serves the share",
        "accessCount",
    ),
    ("public.tags", Write, OWN, "id userId name color createdAt"),
    ("public.artifact_tags", Insert, LINKS, "artifactId tagId"),
    ("public.storage_file_tags", Insert, LINKS, "fileId tagId"),
    (
        "public.conversation_tags",
        Insert,
        LINKS,
        "conversationId tagId",
    ),
    (
        "health.health_profiles",
        Write,
        HEALTH,
        "id userId bloodType heightCm weightKg emergencyContact notes createdAt updatedAt",
    ),
    (
        "health.medical_conditions",
        Write,
        HEALTH,
        "id userId name icd10Code status diagnosedAt notes createdAt updatedAt",
    ),
    (
        "health.medications",
        Write,
        HEALTH,
        "id userId conditionId name dosage frequency startDate endDate isActive instructions createdAt updatedAt",
    ),
    (
        "health.medication_logs",
        Write,
        HEALTH,
        "id userId medicationId status takenAt notes createdAt",
    ),
    (
        "health.allergies",
        Write,
        HEALTH,
        "id userId allergen severity reaction createdAt updatedAt",
    ),
    (
        "health.medical_appointments",
        Write,
        HEALTH,
        "id userId title provider location scheduledAt durationMinutes status reminderSent notes createdAt updatedAt",
    ),
    (
        "health.health_measurements",
        Write,
        HEALTH,
        "id userId type value secondaryValue unit measuredAt source createdAt",
    ),
    (
        "finance.financial_profiles",
        Write,
        FINANCE,
        "id userId currency monthlyIncome riskTolerance goals createdAt updatedAt",
    ),
    (
        "finance.financial_accounts",
        Write,
        FINANCE,
        "id userId name type institution accountNumberMasked currency balance isActive createdAt updatedAt",
    ),
    (
        "finance.transactions",
        Write,
        FINANCE,
        "id userId accountId type amount currency category description occurredAt recurringPaymentId createdAt",
    ),
    (
        "finance.budgets",
        Write,
        FINANCE,
        "id userId name category amount period startDate endDate alertThreshold isActive createdAt updatedAt",
    ),
    (
        "finance.debts",
        Write,
        FINANCE,
        "id userId name type creditor principal balance interestRate minimumPayment dueDay isPaidOff createdAt updatedAt",
    ),
    (
        "finance.debt_payments",
        Write,
        FINANCE,
        "id userId debtId transactionId amount principalPart interestPart paidAt createdAt",
    ),
    (
        "finance.investments",
        Write,
        FINANCE,
        "id userId accountId symbol name type quantity purchasePrice currentPrice purchasedAt createdAt updatedAt",
    ),
    (
        "finance.recurring_payments",
        Write,
        FINANCE,
        "id userId accountId name amount currency frequency nextDueDate category isActive autopay createdAt updatedAt",
    ),
    (
        "public.rag_documents",
        Write,
        "the user's document, written by ingestion acting as the user",
        "id userId agentId fileId title sourceType sourceUrl contentHash status embeddingModel errorMessage metadata createdAt updatedAt",
    ),
    (
        "public.rag_documents",
        Neither,
        "kept by the chunks' counter triggers, which run as their owner",
        "chunkCount",
    ),
    (
        "public.rag_chunks",
        Write,
        "the document's chunks, written by ingestion acting as the user",
        "id documentId chunkIndex content tokenCount embedding metadata createdAt",
    ),
    (
        "public.rag_settings",
        Write,
        OWN,
        "id userId embeddingModel chunkSize chunkOverlap topK similarityThreshold createdAt updatedAt",
    ),
    (
        "public.mcp_integrations",
        Write,
        "the user's integration; the tokens must be sealed envelopes (CHECK)",
        "id userId provider status accessTokenEncrypted refreshTokenEncrypted tokenExpiresAt scopes config lastSyncAt createdAt updatedAt",
    ),
    (
        "public.mcp_sync_logs",
        Write,
        "the sync worker's log of the user's integration, written acting as the user",
        "id integrationId status itemsSynced errorMessage startedAt finishedAt durationMs",
    ),
];

/// Every column of every table of the owned schemas with what `app_user` may do with it,
/// from the catalog's column privileges (a table-wide grant counts for every column).
async fn granted(db: &sea_orm::DatabaseConnection) -> Vec<(String, String, Access)> {
    let mut found = Vec::new();
    for table in owned_tables(db).await {
        let sql = format!(
            "SELECT attname::text || '|' || has_column_privilege('app_user', attrelid, attnum, 'INSERT')::text
                    || '|' || has_column_privilege('app_user', attrelid, attnum, 'UPDATE')::text
               FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attnum > 0
                AND NOT attisdropped ORDER BY attnum"
        );
        for line in query_strings(db, &sql).await {
            let parts: Vec<&str> = line.split('|').collect();
            let access = match (parts[1] == "true", parts[2] == "true") {
                (true, true) => Write,
                (true, false) => Insert,
                (false, true) => Update,
                (false, false) => Neither,
            };
            found.push((table.clone(), parts[0].to_owned(), access));
        }
    }
    found
}

/// The access a column [`COLUMNS`] leaves out must have: its table's, the union of the
/// accesses of the table's entries (`Write` if one is, or if both `Insert` and `Update` are;
/// else `Insert` or `Update` if one is; else `Neither`), and `Write` for a table with no entry
/// at all (a new user-owned table gets SELECT, INSERT, UPDATE, DELETE for `app_user`).
fn table_access(entries: impl IntoIterator<Item = Access>) -> Access {
    let (mut any, mut insert, mut update) = (false, false, false);
    for access in entries {
        any = true;
        insert |= matches!(access, Write | Insert);
        update |= matches!(access, Write | Update);
    }
    match (insert, update) {
        _ if !any => Write,
        (true, true) => Write,
        (true, false) => Insert,
        (false, true) => Update,
        (false, false) => Neither,
    }
}

#[test]
fn a_column_left_out_has_the_union_of_its_tables_accesses() {
    assert_eq!(table_access([]), Write);
    assert_eq!(table_access([Neither]), Neither);
    assert_eq!(table_access([Neither, Update, Neither]), Update);
    assert_eq!(table_access([Insert, Neither]), Insert);
    assert_eq!(table_access([Insert, Update]), Write);
    assert_eq!(table_access([Neither, Write]), Write);
    // The tables of today's list.
    let of = |table: &str| table_access(entries(table).map(|(_, access, _, _)| *access));
    assert_eq!(of("public.users"), Update);
    assert_eq!(of("public.usage_logs"), Insert);
    assert_eq!(of("public.agents"), Neither);
    assert_eq!(of("public.storage_files"), Write);
    assert_eq!(of("public.a_table_not_listed"), Write);
}

/// The entries of `table` in [`COLUMNS`].
fn entries(table: &str) -> impl Iterator<Item = &'static Entry> {
    COLUMNS.iter().filter(move |(t, _, _, _)| *t == table)
}

/// What is wrong with `column` of `table`, which has `access`: a listed column must have its
/// entry's access, one left out its table's.
fn mismatch(table: &str, column: &str, access: Access) -> Option<String> {
    let listed: Vec<_> = entries(table)
        .filter(|(_, _, _, columns)| columns.split_whitespace().any(|c| c == column))
        .collect();
    match listed.as_slice() {
        [] => {
            let expected = table_access(entries(table).map(|(_, access, _, _)| *access));
            (access != expected).then(|| {
                format!(
                    "{table}.{column}: app_user has {access:?}, but a column not in COLUMNS \
                     must have its table's access (the union of the table's entries), here \
                     {expected:?}: add it to COLUMNS with its access and why, or change its \
                     grants in a migration"
                )
            })
        }
        [(_, expected, why, _)] => (expected != &access).then(|| {
            format!("{table}.{column}: app_user has {access:?}, the list says {expected:?} ({why})")
        }),
        _ => Some(format!("{table}.{column}: listed more than once")),
    }
}

#[tokio::test]
async fn every_column_is_writable_by_app_user_exactly_as_listed_and_why() {
    let test = smoke_tests::TestDb::migrated("security_column_grants").await;
    let found = granted(&test.db).await;
    let mut failures: Vec<String> = found
        .iter()
        .filter_map(|(table, column, access)| mismatch(table, column, *access))
        .collect();
    for (table, _, _, columns) in COLUMNS {
        for column in columns.split_whitespace() {
            if !found.iter().any(|(t, c, _)| t == table && c == column) {
                failures.push(format!("{table}.{column}: listed but not in the database"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What a user could write to cheat its quota or its counters, each refused by a grant.
const FALSIFICATIONS: &[&str] = &[
    r#"UPDATE storage_quotas SET "usedStorage" = 0"#,
    r#"UPDATE storage_quotas SET "fileCount" = 0"#,
    r#"UPDATE storage_quotas SET "maxStorage" = 9223372036854775807"#,
    r#"UPDATE storage_files SET size = 0"#,
    r#"UPDATE conversations SET "messageCount" = 0, "tokenCount" = 0"#,
    r#"UPDATE rag_documents SET "chunkCount" = 0"#,
    r#"UPDATE monthly_usage SET "totalTokens" = 0, "totalCost" = 0"#,
    r#"UPDATE users SET "totalTokensUsed" = 0, "monthlyTokens" = 0"#,
    r#"UPDATE users SET "subscriptionTier" = 'ENTERPRISE'"#,
];

/// Each counter with its recount, as one row per parent whose counter differs (none when
/// exact).
const DRIFT: &[(&str, &str)] = &[
    (
        "conversations",
        r#"SELECT c.id::text FROM conversations c
            WHERE c."messageCount" <> (SELECT count(*) FROM messages m WHERE m."conversationId" = c.id)
               OR c."tokenCount" <> (SELECT coalesce(sum(coalesce(m."tokensInput", 0) + coalesce(m."tokensOutput", 0)), 0)
                                       FROM messages m WHERE m."conversationId" = c.id)"#,
    ),
    (
        "storage_quotas",
        r#"SELECT q.id::text FROM storage_quotas q
            WHERE q."usedStorage" <> (SELECT coalesce(sum(size), 0) FROM storage_files f
                                       WHERE f."userId" = q."userId" AND f."deletedAt" IS NULL)
               OR q."fileCount" <> (SELECT count(*) FROM storage_files f
                                     WHERE f."userId" = q."userId" AND f."deletedAt" IS NULL)"#,
    ),
    (
        "rag_documents",
        r#"SELECT d.id::text FROM rag_documents d
            WHERE d."chunkCount" <> (SELECT count(*) FROM rag_chunks c WHERE c."documentId" = d.id)"#,
    ),
];

/// Messages, files and chunks written by `app_user`: added, changed, moved out of the count
/// and deleted, in one transaction as the application would.
fn writes(one: &str) -> String {
    format!(
        r#"
INSERT INTO messages ("conversationId", role, content, "tokensInput", "tokensOutput")
  SELECT id, 'user', 'counted as app_user', 7, 11 FROM conversations;
UPDATE messages SET "tokensOutput" = coalesce("tokensOutput", 0) + 5 WHERE content = 'counted as app_user';
DELETE FROM messages WHERE id = (SELECT id FROM messages ORDER BY id LIMIT 1);
INSERT INTO storage_files ("userId", name, "mimeType", size, "storageProvider", "storageKey")
  SELECT '{one}', 'app-user-' || n, 'text/plain', 1000 * n, 'LOCAL', 'app-user/' || n
    FROM generate_series(1, 3) n;
UPDATE storage_files SET "deletedAt" = CURRENT_TIMESTAMP WHERE name = 'app-user-2';
DELETE FROM storage_files WHERE name = 'app-user-3';
INSERT INTO rag_chunks ("documentId", "chunkIndex", content, "tokenCount", embedding)
  SELECT id, 1000 + n, 'chunk ' || n, 3, array_fill(0.01::real, ARRAY[1536])::vector
    FROM rag_documents, generate_series(1, 4) n;
DELETE FROM rag_chunks WHERE "chunkIndex" = 1004;
"#
    )
}

#[tokio::test]
async fn app_user_cannot_write_counters_yet_its_writes_keep_them_exact() {
    let seeded = Seeded::new("security_counters_as_app_user").await;
    let db = &seeded.test.db;
    let one = Setting::User(seeded.one.clone());
    let mut failures = Vec::new();
    for sql in FALSIFICATIONS {
        let result = attempt(db, "app_user", &one, sql).await;
        if !matches!(&result, Err(e) if e.contains("permission denied")) {
            failures.push(format!("{sql}: {result:?}"));
        }
    }
    let before = count(
        db,
        r#"SELECT sum("usedStorage")::bigint FROM storage_quotas"#,
    )
    .await;
    let txn = acting(db, "app_user", &one).await;
    txn.execute_unprepared(&writes(&seeded.one))
        .await
        .expect("app_user writes messages, files and chunks");
    txn.commit().await.expect("commit");
    for (counter, sql) in DRIFT {
        let wrong = query_strings(db, sql).await;
        if !wrong.is_empty() {
            failures.push(format!("{counter} differ from a recount: {wrong:?}"));
        }
    }
    let after = count(
        db,
        r#"SELECT sum("usedStorage")::bigint FROM storage_quotas"#,
    )
    .await;
    if after != before + 1000 {
        failures.push(format!(
            "usedStorage moved from {before} to {after}, not by 1000"
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
