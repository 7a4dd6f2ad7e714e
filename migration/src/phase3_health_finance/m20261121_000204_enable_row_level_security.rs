//! Phase 3: the `app_user` role, its grants, and row-level security on every health and
//! finance table, so that a row is visible only while `app.current_user_id` names its owner.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table of the two schemas, `(schema, table)`.
const TABLES: &[(&str, &str)] = &[
    ("health", "health_profiles"),
    ("health", "medical_conditions"),
    ("health", "medications"),
    ("health", "medication_logs"),
    ("health", "allergies"),
    ("health", "medical_appointments"),
    ("health", "health_measurements"),
    ("finance", "financial_profiles"),
    ("finance", "financial_accounts"),
    ("finance", "recurring_payments"),
    ("finance", "transactions"),
    ("finance", "budgets"),
    ("finance", "debts"),
    ("finance", "debt_payments"),
    ("finance", "investments"),
];

/// Creates the role unless it exists. Roles are cluster-wide, so another database on the same
/// server may have made it, or be making it right now: the existence check covers the first
/// case and the handler the race (which surfaces as either error code).
const CREATE_ROLE: &str = r#"
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_user') THEN
    CREATE ROLE app_user NOLOGIN NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;
"#;

/// The owner test of every policy. `current_setting(..., true)` is NULL while the setting
/// was never made in the session, and '' after a `set_config(..., true)` of an earlier
/// transaction on the same (pooled) connection ended; NULLIF makes both match no row instead
/// of the second failing with "invalid input syntax for type uuid".
const OWNER_TEST: &str =
    r#""userId" = NULLIF(current_setting('app.current_user_id', true), '')::uuid"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(CREATE_ROLE).await?;
        db.execute_unprepared("GRANT USAGE ON SCHEMA public, health, finance TO app_user")
            .await?;
        // SELECT on users is all the application needs from public for its own rows; the
        // foreign-key checks themselves run with the table owner's rights.
        db.execute_unprepared("GRANT SELECT ON public.users TO app_user")
            .await?;
        for (schema, table) in TABLES {
            let sql = format!(
                r#"GRANT SELECT, INSERT, UPDATE, DELETE ON "{schema}"."{table}" TO app_user;
                   ALTER TABLE "{schema}"."{table}" ENABLE ROW LEVEL SECURITY;
                   ALTER TABLE "{schema}"."{table}" FORCE ROW LEVEL SECURITY;
                   CREATE POLICY "{table}_owner" ON "{schema}"."{table}" FOR ALL TO app_user
                     USING ({OWNER_TEST}) WITH CHECK ({OWNER_TEST});"#
            );
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The role itself stays: it is cluster-wide and other databases on the server use it.
        // Only this database's policies and grants go.
        let db = manager.get_connection();
        for (schema, table) in TABLES.iter().rev() {
            let sql = format!(
                r#"DROP POLICY IF EXISTS "{table}_owner" ON "{schema}"."{table}";
                   ALTER TABLE "{schema}"."{table}" NO FORCE ROW LEVEL SECURITY;
                   ALTER TABLE "{schema}"."{table}" DISABLE ROW LEVEL SECURITY;
                   REVOKE ALL ON "{schema}"."{table}" FROM app_user;"#
            );
            db.execute_unprepared(&sql).await?;
        }
        db.execute_unprepared("REVOKE ALL ON public.users FROM app_user")
            .await?;
        db.execute_unprepared("REVOKE USAGE ON SCHEMA public, health, finance FROM app_user")
            .await?;
        Ok(())
    }
}
