//! Phase 7: row-level security, enabled and forced, on every table of `public` that holds a
//! user's rows, with the grants `app_user` needs to read and write its own; `users` narrowed
//! to the user's own row; `app_admin` given every row of every user table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What `app_user` may do on a table whose rows it owns.
const ALL: &str = "SELECT, INSERT, UPDATE, DELETE";

/// The row belongs to the session's user.
const OWN: &str = r#""userId" = public.app_current_user_id()"#;

/// A user-owned table of `public`: its name, the test that a row is the session user's, and
/// what `app_user` may do there. Tables without "userId" reach their owner through their
/// parent: the subquery reads the parent under the parent's own policy, so it sees only the
/// user's rows. It is a correlated EXISTS on the parent's primary key, not an IN over all
/// the user's parents: the planner probes the key for the rows the query's own index found,
/// where an IN list would read every conversation of the user for each page of messages.
struct Owned {
    table: &'static str,
    owner: &'static str,
    grants: &'static str,
}

const fn owned(table: &'static str, owner: &'static str, grants: &'static str) -> Owned {
    Owned {
        table,
        owner,
        grants,
    }
}

/// Every table of `public` holding a user's data. `users` may read its own row and change
/// only its profile (not its role, permissions, activity flag, subscription, limits or
/// counters); accounts are created by the sign-up service, which is not `app_user`. Logs,
/// permissions and quotas are append-only or read-only for the user: what the application
/// writes there for a user, nothing a user should rewrite. `storage_quotas` keeps UPDATE of
/// its two counters because the counter triggers run as the writer of `storage_files`.
const OWNED: &[Owned] = &[
    owned(
        "users",
        "id = public.app_current_user_id()",
        r#"SELECT, UPDATE (name, "displayName", avatar, "dateOfBirth", timezone, language, bio,
           "personalityProfile", "aiProfileLastUpdate", "lastInteraction")"#,
    ),
    owned("accounts", OWN, ALL),
    owned("auth_sessions", OWN, ALL),
    owned("chat_sessions", OWN, ALL),
    owned(
        "conversations",
        r#"EXISTS (SELECT 1 FROM public.chat_sessions p WHERE p.id = conversations."chatSessionId")"#,
        ALL,
    ),
    owned(
        "messages",
        r#"EXISTS (SELECT 1 FROM public.conversations p WHERE p.id = messages."conversationId")"#,
        ALL,
    ),
    owned("user_agent_permissions", OWN, "SELECT"),
    owned(
        "artifacts",
        r#""userId" = public.app_current_user_id()::text"#,
        ALL,
    ),
    owned("usage_logs", OWN, "SELECT, INSERT"),
    owned("monthly_usage", OWN, "SELECT, INSERT, UPDATE"),
    owned("usage_alerts", OWN, "SELECT, INSERT, UPDATE"),
    owned("support_tickets", OWN, "SELECT, INSERT, UPDATE"),
    owned(
        "support_messages",
        r#"EXISTS (SELECT 1 FROM public.support_tickets p WHERE p.id = support_messages."ticketId")"#,
        "SELECT, INSERT",
    ),
    owned("storage_folders", OWN, ALL),
    owned("storage_files", OWN, ALL),
    owned(
        "storage_quotas",
        OWN,
        r#"SELECT, UPDATE ("usedStorage", "fileCount")"#,
    ),
    owned(
        "file_access_logs",
        r#"EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = file_access_logs."fileId")"#,
        "SELECT, INSERT",
    ),
    owned(
        "file_shares",
        r#"EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = file_shares."fileId")"#,
        ALL,
    ),
    owned("tags", OWN, ALL),
    owned(
        "artifact_tags",
        r#"EXISTS (SELECT 1 FROM public.artifacts p WHERE p.id = artifact_tags."artifactId")
           AND EXISTS (SELECT 1 FROM public.tags p WHERE p.id = artifact_tags."tagId")"#,
        "SELECT, INSERT, DELETE",
    ),
    owned(
        "storage_file_tags",
        r#"EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = storage_file_tags."fileId")
           AND EXISTS (SELECT 1 FROM public.tags p WHERE p.id = storage_file_tags."tagId")"#,
        "SELECT, INSERT, DELETE",
    ),
    owned(
        "conversation_tags",
        r#"EXISTS (SELECT 1 FROM public.conversations p WHERE p.id = conversation_tags."conversationId")
           AND EXISTS (SELECT 1 FROM public.tags p WHERE p.id = conversation_tags."tagId")"#,
        "SELECT, INSERT, DELETE",
    ),
    owned("rag_documents", OWN, ALL),
    owned(
        "rag_chunks",
        r#"EXISTS (SELECT 1 FROM public.rag_documents p WHERE p.id = rag_chunks."documentId")"#,
        ALL,
    ),
    owned("rag_settings", OWN, "SELECT, INSERT, UPDATE"),
    owned("mcp_integrations", OWN, ALL),
    owned(
        "mcp_sync_logs",
        r#"EXISTS (SELECT 1 FROM public.mcp_integrations p WHERE p.id = mcp_sync_logs."integrationId")"#,
        "SELECT, INSERT, UPDATE",
    ),
];

/// Phase 3's owner test, restored by `down`.
const PHASE3_OWNER: &str =
    r#""userId" = NULLIF(current_setting('app.current_user_id', true), '')::uuid"#;

/// Tables that hold no user's rows: the agent catalogue (every user may read it; only
/// admins change it), sign-in tokens keyed by email and invitations (the sign-up and admin
/// services' business, not a signed-in user's). `app_user` gets SELECT on `agents` only.
const SHARED: &[&str] = &["agents", "verification_tokens", "invitations"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The blanket read of every user's row goes; the policy below gives back the own one.
        db.execute_unprepared("REVOKE SELECT ON public.users FROM app_user")
            .await?;
        for t in OWNED {
            let (table, owner, grants) = (t.table, t.owner, t.grants);
            db.execute_unprepared(&format!(
                r#"GRANT {grants} ON public."{table}" TO app_user;
                   ALTER TABLE public."{table}" ENABLE ROW LEVEL SECURITY;
                   ALTER TABLE public."{table}" FORCE ROW LEVEL SECURITY;
                   CREATE POLICY "{table}_owner" ON public."{table}" FOR ALL TO app_user
                     USING ({owner}) WITH CHECK ({owner});"#
            ))
            .await?;
        }
        let admin = OWNED
            .iter()
            .map(|t| format!("public.{}", t.table))
            .chain(super::HEALTH_FINANCE.iter().map(|t| (*t).to_owned()));
        for table in admin {
            let name = table.split('.').nth(1).unwrap_or(&table).to_owned();
            db.execute_unprepared(&format!(
                r#"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO app_admin;
                   CREATE POLICY "{name}_admin" ON {table} FOR ALL TO app_admin
                     USING (true) WITH CHECK (true);"#
            ))
            .await?;
        }
        for table in super::HEALTH_FINANCE {
            let name = table.split('.').nth(1).unwrap_or(table);
            db.execute_unprepared(&format!(
                r#"ALTER POLICY "{name}_owner" ON {table} USING ({OWN}) WITH CHECK ({OWN})"#
            ))
            .await?;
        }
        for table in SHARED {
            db.execute_unprepared(&format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON public.{table} TO app_admin"
            ))
            .await?;
        }
        db.execute_unprepared("GRANT SELECT ON public.agents TO app_user")
            .await?;
        // Admins read the audit trail and add their own entries; nobody rewrites it.
        db.execute_unprepared("GRANT SELECT, INSERT ON public.audit_logs TO app_admin")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "REVOKE ALL ON public.audit_logs, public.agents FROM app_user, app_admin",
        )
        .await?;
        for table in SHARED {
            db.execute_unprepared(&format!("REVOKE ALL ON public.{table} FROM app_admin"))
                .await?;
        }
        for table in super::HEALTH_FINANCE.iter().rev() {
            let name = table.split('.').nth(1).unwrap_or(table);
            db.execute_unprepared(&format!(
                r#"DROP POLICY IF EXISTS "{name}_admin" ON {table};
                   REVOKE ALL ON {table} FROM app_admin;
                   ALTER POLICY "{name}_owner" ON {table}
                     USING ({PHASE3_OWNER}) WITH CHECK ({PHASE3_OWNER});"#
            ))
            .await?;
        }
        for t in OWNED.iter().rev() {
            let table = t.table;
            db.execute_unprepared(&format!(
                r#"DROP POLICY IF EXISTS "{table}_admin" ON public."{table}";
                   DROP POLICY IF EXISTS "{table}_owner" ON public."{table}";
                   ALTER TABLE public."{table}" NO FORCE ROW LEVEL SECURITY;
                   ALTER TABLE public."{table}" DISABLE ROW LEVEL SECURITY;
                   REVOKE ALL ON public."{table}" FROM app_user, app_admin;"#
            ))
            .await?;
        }
        // Phase 3's grant comes back as it was.
        db.execute_unprepared("GRANT SELECT ON public.users TO app_user")
            .await?;
        Ok(())
    }
}
