//! Phase 7: `app_user` no longer writes the columns that triggers, the billing or the system
//! keep: the conversation, document and quota counters, the quota's limits, the monthly usage,
//! a message's search vector, a file's stored size and place, a share's access count, an
//! alert's triggered flag and the staff's fields of a ticket.
//!
//! Before, `app_user` could `UPDATE storage_quotas SET "usedStorage" = 0` on its own row (the
//! counter triggers ran with its rights and needed the grant) or shrink a stored file's size,
//! which moves the quota: a quota bypass. The previous migration runs the counter triggers as
//! their owner, so the counters still follow every message, file and chunk `app_user` writes.
//!
//! A table-wide grant covers every column, so the narrowed tables lose it and get the columns
//! the application writes instead; a column added later is not writable by `app_user` until a
//! migration says so. `down` gives the table-wide grants back, exactly as phase 7 left them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A table whose `app_user` writes are narrowed: the table-wide privileges it loses, the
/// columns it may still insert and update (empty: none), and the grant `down` restores.
struct Narrowed {
    table: &'static str,
    revoke: &'static str,
    insert: &'static str,
    update: &'static str,
    restore: &'static str,
}

const NARROWED: &[Narrowed] = &[
    // The counters follow the messages (m20261130_000401); a new conversation starts at zero.
    Narrowed {
        table: "conversations",
        revoke: "INSERT, UPDATE",
        insert: r#"id, "chatSessionId", "agentId", title, summary, "createdAt", "updatedAt""#,
        update: r#"id, "chatSessionId", "agentId", title, summary, "createdAt", "updatedAt""#,
        restore: "INSERT, UPDATE",
    },
    // "contentSearch" is derived from content by the messages_content_search trigger.
    Narrowed {
        table: "messages",
        revoke: "INSERT, UPDATE",
        insert: r#"id, "conversationId", role, content, "tokensInput", "tokensOutput", metadata, "timestamp""#,
        update: r#"id, "conversationId", role, content, "tokensInput", "tokensOutput", metadata, "timestamp""#,
        restore: "INSERT, UPDATE",
    },
    // "chunkCount" follows the chunks (m20261130_000403).
    Narrowed {
        table: "rag_documents",
        revoke: "INSERT, UPDATE",
        insert: r#"id, "userId", "agentId", "fileId", title, "sourceType", "sourceUrl", "contentHash", status, "embeddingModel", "errorMessage", metadata, "createdAt", "updatedAt""#,
        update: r#"id, "userId", "agentId", "fileId", title, "sourceType", "sourceUrl", "contentHash", status, "embeddingModel", "errorMessage", metadata, "createdAt", "updatedAt""#,
        restore: "INSERT, UPDATE",
    },
    // The upload sets the stored object's size, hash and place once; the size moves the quota,
    // so rewriting it afterwards would free quota the object still takes.
    Narrowed {
        table: "storage_files",
        revoke: "UPDATE",
        insert: "",
        update: r#"id, "userId", "folderId", name, "mimeType", "accessLevel", "usageContext", metadata, "deletedAt", "createdAt", "updatedAt""#,
        restore: "UPDATE",
    },
    // Limits and tier are the billing's, usage the files' counter triggers'.
    Narrowed {
        table: "storage_quotas",
        revoke: "UPDATE",
        insert: "",
        update: "",
        restore: r#"UPDATE ("usedStorage", "fileCount")"#,
    },
    // The billing's monthly totals, limits and warnings.
    Narrowed {
        table: "monthly_usage",
        revoke: "INSERT, UPDATE",
        insert: "",
        update: "",
        restore: "INSERT, UPDATE",
    },
    // "triggered" is set by the usage system when the threshold is crossed.
    Narrowed {
        table: "usage_alerts",
        revoke: "INSERT, UPDATE",
        insert: r#"id, "userId", type, threshold, "resolvedAt", "createdAt""#,
        update: r#"id, "userId", type, threshold, "resolvedAt", "createdAt""#,
        restore: "INSERT, UPDATE",
    },
    // Assignment and resolution are the support staff's, who work as app_admin.
    Narrowed {
        table: "support_tickets",
        revoke: "INSERT, UPDATE",
        insert: r#"id, "userId", category, priority, status, subject, description, "aiSummary", metadata, "closedAt", "createdAt", "updatedAt""#,
        update: r#"id, "userId", category, priority, status, subject, description, "aiSummary", metadata, "closedAt", "createdAt", "updatedAt""#,
        restore: "INSERT, UPDATE",
    },
    // "accessCount" is counted by the service that serves the share.
    Narrowed {
        table: "file_shares",
        revoke: "INSERT, UPDATE",
        insert: r#"id, "fileId", "sharedBy", "sharedWith", "shareType", token, "canDownload", "expiresAt", "createdAt""#,
        update: r#"id, "fileId", "sharedBy", "sharedWith", "shareType", token, "canDownload", "expiresAt", "createdAt""#,
        restore: "INSERT, UPDATE",
    },
];

/// The privileges of `narrowed` as a list of `PRIVILEGE (columns)`, for GRANT and REVOKE.
fn column_privileges(narrowed: &Narrowed) -> Vec<String> {
    [("INSERT", narrowed.insert), ("UPDATE", narrowed.update)]
        .into_iter()
        .filter(|(_, columns)| !columns.is_empty())
        .map(|(privilege, columns)| format!("{privilege} ({columns})"))
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for narrowed in NARROWED {
            let table = narrowed.table;
            // Revoking a table-wide privilege also revokes the column grants of that
            // privilege (storage_quotas' two counters).
            db.execute_unprepared(&format!(
                "REVOKE {} ON public.{table} FROM app_user",
                narrowed.revoke
            ))
            .await?;
            let columns = column_privileges(narrowed);
            if !columns.is_empty() {
                db.execute_unprepared(&format!(
                    "GRANT {} ON public.{table} TO app_user",
                    columns.join(", ")
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for narrowed in NARROWED.iter().rev() {
            let table = narrowed.table;
            db.execute_unprepared(&format!(
                "REVOKE {} ON public.{table} FROM app_user",
                narrowed.revoke
            ))
            .await?;
            db.execute_unprepared(&format!(
                "GRANT {} ON public.{table} TO app_user",
                narrowed.restore
            ))
            .await?;
        }
        Ok(())
    }
}
