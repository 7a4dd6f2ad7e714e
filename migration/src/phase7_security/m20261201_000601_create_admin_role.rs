//! Phase 7: the `app_admin` role (elevated access, granted by membership only) and
//! `app_current_user_id()`, the one reading of the session's user that every policy shares.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Creates the role unless it exists, as phase 3 creates `app_user`: roles are cluster-wide,
/// so another database on the server may have made it or be making it right now; the
/// existence check covers the first case and the handler the race. NOLOGIN: people and
/// services get it by membership (`GRANT app_admin TO <login>`), never by a setting, and
/// `app_user` is not a member, so a hijacked application connection cannot `SET ROLE` to it.
const CREATE_ROLE: &str = r#"
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_admin') THEN
    CREATE ROLE app_admin NOLOGIN NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;
"#;

/// The user the session acts for, or NULL when the setting is unset, empty (what a pooled
/// connection reads after an earlier transaction's `set_config(..., true)`) or not a UUID.
/// NULL matches no row, so garbage gives nothing instead of an error. A plain SQL expression
/// without FROM, so the planner inlines it and, being STABLE, uses it as an index key.
const CURRENT_USER_ID: &str = r#"
CREATE FUNCTION public.app_current_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN current_setting('app.current_user_id', true)
         ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    THEN current_setting('app.current_user_id', true)::uuid
  END
$$"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(CREATE_ROLE).await?;
        db.execute_unprepared(CURRENT_USER_ID).await?;
        db.execute_unprepared("GRANT USAGE ON SCHEMA public, health, finance TO app_admin")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The role stays: it is cluster-wide and other databases on the server may use it.
        let db = manager.get_connection();
        db.execute_unprepared("REVOKE USAGE ON SCHEMA public, health, finance FROM app_admin")
            .await?;
        db.execute_unprepared("DROP FUNCTION public.app_current_user_id()")
            .await?;
        Ok(())
    }
}
