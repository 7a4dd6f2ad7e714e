//! Phase 7: a row `app_user` writes may point only at parents of the same user. Foreign-key
//! checks run with the owner's rights and ignore row-level security, so without this a user
//! could attach a row to another user's medication or account, and tell from the error
//! whether that id exists.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A table's references to parents owned by a user: (table, policy condition). Each
/// reference is NULL or names a parent the session can see (a probe of the parent's primary
/// key), and the parent's own policy shows
/// only the user's rows, so another user's id and an id that does not exist fail alike, with
/// the same row-level security error and before any foreign-key check could tell them apart.
/// Children reached only through their parent (messages, chunks...) need nothing here: their
/// owner policy is already that the parent is visible.
const REFERENCES: &[(&str, &str)] = &[
    (
        "health.medications",
        r#"("conditionId" IS NULL OR EXISTS (SELECT 1 FROM health.medical_conditions p WHERE p.id = medications."conditionId"))"#,
    ),
    (
        "health.medication_logs",
        r#"EXISTS (SELECT 1 FROM health.medications p WHERE p.id = medication_logs."medicationId")"#,
    ),
    (
        "finance.recurring_payments",
        r#"("accountId" IS NULL OR EXISTS (SELECT 1 FROM finance.financial_accounts p WHERE p.id = recurring_payments."accountId"))"#,
    ),
    (
        "finance.transactions",
        r#"EXISTS (SELECT 1 FROM finance.financial_accounts p WHERE p.id = transactions."accountId")
           AND ("recurringPaymentId" IS NULL
                OR EXISTS (SELECT 1 FROM finance.recurring_payments p WHERE p.id = transactions."recurringPaymentId"))"#,
    ),
    (
        "finance.debt_payments",
        r#"EXISTS (SELECT 1 FROM finance.debts p WHERE p.id = debt_payments."debtId")
           AND ("transactionId" IS NULL OR EXISTS (SELECT 1 FROM finance.transactions p WHERE p.id = debt_payments."transactionId"))"#,
    ),
    (
        "finance.investments",
        r#"("accountId" IS NULL OR EXISTS (SELECT 1 FROM finance.financial_accounts p WHERE p.id = investments."accountId"))"#,
    ),
    (
        "public.storage_folders",
        r#"("parentId" IS NULL OR public.app_owns_storage_folder("parentId"))"#,
    ),
    (
        "public.storage_files",
        r#"("folderId" IS NULL OR public.app_owns_storage_folder("folderId"))"#,
    ),
    (
        "public.rag_documents",
        r#"("fileId" IS NULL OR EXISTS (SELECT 1 FROM public.storage_files p WHERE p.id = rag_documents."fileId"))"#,
    ),
    (
        "public.artifacts",
        r#"("parentId" IS NULL OR public.app_owns_artifact("parentId"))"#,
    ),
    (
        "public.usage_logs",
        r#"("conversationId" IS NULL OR EXISTS (SELECT 1 FROM public.conversations p WHERE p.id = usage_logs."conversationId"))"#,
    ),
];

/// Ownership tests for self-references: a policy on a table cannot query the same table
/// (PostgreSQL refuses the recursion), so these look the parent up with the owner's rights,
/// on the primary key, and compare its owner with the session's user. The search path is
/// fixed so that no object a caller creates can stand in for the ones named here.
const OWNS_FUNCTIONS: &str = r#"
CREATE FUNCTION public.app_owns_storage_folder(folder uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM public.storage_folders
                  WHERE id = folder AND "userId" = public.app_current_user_id())
$$;
CREATE FUNCTION public.app_owns_artifact(artifact uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM public.artifacts
                  WHERE id = artifact AND "userId" = public.app_current_user_id()::text)
$$;
"#;

/// The policy's name on `table`.
fn policy(table: &str) -> String {
    format!(
        "{}_same_owner_refs",
        table.split('.').nth(1).unwrap_or(table)
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(OWNS_FUNCTIONS).await?;
        // RESTRICTIVE: it narrows what the owner policy allows, on writes only (USING true
        // leaves reads to the owner policy).
        for (table, check) in REFERENCES {
            let name = policy(table);
            db.execute_unprepared(&format!(
                r#"CREATE POLICY "{name}" ON {table} AS RESTRICTIVE FOR ALL TO app_user
                     USING (true) WITH CHECK ({check})"#
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, _) in REFERENCES.iter().rev() {
            let name = policy(table);
            db.execute_unprepared(&format!(r#"DROP POLICY IF EXISTS "{name}" ON {table}"#))
                .await?;
        }
        db.execute_unprepared(
            "DROP FUNCTION public.app_owns_artifact(uuid); DROP FUNCTION public.app_owns_storage_folder(uuid)",
        )
        .await?;
        Ok(())
    }
}
