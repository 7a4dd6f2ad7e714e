//! Phase 7: an `audit_logs` entry for every insert, update, delete and truncate of a health or
//! finance row, every change of a user's role and every write of MCP tokens: who (the user
//! the session acted for, the database role), what (table, operation, row id, the names of
//! the changed columns) and when. Never a value: no token, no medical or financial text.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The audited tables of phase 3: every one of them has "id" and "userId".
const TABLES: &[&str] = super::HEALTH_FINANCE;

/// The role that wrote: inside a SECURITY DEFINER function `current_user` is the function's
/// owner, but the `role` setting still holds what the session `SET ROLE` to.
const WRITER: &str = r#"
CREATE FUNCTION public.audit_writer() RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN current_setting('role') = 'none' THEN session_user::text
              ELSE current_setting('role') END
$$"#;

/// One entry per row a statement changed, written in one INSERT. SECURITY DEFINER so that the
/// writer needs no right on `audit_logs` (and `app_user` has none); the search path is fixed
/// so that no object a caller creates can stand in for the ones named here. Updates record
/// the names of the columns that changed, never their values.
const TABLE_CHANGES: &str = r#"
CREATE FUNCTION public.audit_table_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  actor uuid := public.app_current_user_id();
  writer text := public.audit_writer();
  tbl text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
  act text := lower(TG_OP) || ' ' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO public.audit_logs ("action", "details", "actorId", "dbRole")
    VALUES (act, jsonb_build_object('table', tbl, 'op', TG_OP), actor, writer);
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO public.audit_logs ("action", "targetId", "details", "actorId", "dbRole")
    SELECT act, n.id, jsonb_build_object('table', tbl, 'op', TG_OP, 'ownerId', n."userId"),
           actor, writer
      FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO public.audit_logs ("action", "targetId", "details", "actorId", "dbRole")
    SELECT act, o.id, jsonb_build_object('table', tbl, 'op', TG_OP, 'ownerId', o."userId"),
           actor, writer
      FROM old_rows o;
  ELSE
    INSERT INTO public.audit_logs ("action", "targetId", "details", "actorId", "dbRole")
    SELECT act, coalesce(n.id, o.id),
           jsonb_build_object('table', tbl, 'op', TG_OP,
             'ownerId', coalesce(n."userId", o."userId"),
             'columns', (SELECT jsonb_agg(k.key ORDER BY k.key) FROM jsonb_each(to_jsonb(n)) k
                          WHERE k.value IS DISTINCT FROM to_jsonb(o) -> k.key)),
           actor, writer
      FROM new_rows n FULL JOIN old_rows o ON o.id = n.id;
  END IF;
  RETURN NULL;
END $$"#;

/// One entry per row for the rare writes audited row by row: role changes and MCP token
/// writes. The trigger's argument names what was written (`role`, `tokens`); a role change
/// records both roles, which are not secrets.
const ROW_CHANGE: &str = r#"
CREATE FUNCTION public.audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r jsonb;
  details jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
  details := jsonb_build_object('table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'op', TG_OP,
                                'ownerId', coalesce(r -> 'userId', r -> 'id'));
  IF TG_OP = 'UPDATE' THEN
    details := details || jsonb_build_object('columns',
      (SELECT jsonb_agg(k.key ORDER BY k.key) FROM jsonb_each(r) k
        WHERE k.value IS DISTINCT FROM to_jsonb(OLD) -> k.key));
  END IF;
  IF TG_ARGV[0] = 'role' THEN
    details := details || jsonb_build_object('fromRole', to_jsonb(OLD) -> 'role',
                                              'toRole', r -> 'role');
  END IF;
  INSERT INTO public.audit_logs ("action", "targetId", "details", "actorId", "dbRole")
  VALUES (lower(TG_OP) || ' ' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ' ' || TG_ARGV[0],
          (r ->> 'id')::uuid, details, public.app_current_user_id(), public.audit_writer());
  RETURN NULL;
END $$"#;

/// The statement triggers on each audited table: PostgreSQL allows transition tables only on
/// single-event triggers, hence one per event.
const EVENTS: &[(&str, &str)] = &[
    ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
    (
        "UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    ),
    ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ("TRUNCATE", ""),
];

/// The row triggers: role changes and MCP token writes.
const ROW_TRIGGERS: &str = r#"
CREATE TRIGGER users_audit_role AFTER UPDATE OF role ON public.users
  FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role)
  EXECUTE FUNCTION public.audit_row_change('role');
CREATE TRIGGER mcp_integrations_audit_tokens
  AFTER INSERT OR UPDATE OF "accessTokenEncrypted", "refreshTokenEncrypted" OR DELETE
  ON public.mcp_integrations
  FOR EACH ROW EXECUTE FUNCTION public.audit_row_change('tokens');
"#;

/// The trigger's name for `table` and `event`.
fn trigger(table: &str, event: &str) -> String {
    let name = table.split('.').nth(1).unwrap_or(table);
    format!("{name}_audit_{}", event.to_lowercase())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for function in [WRITER, TABLE_CHANGES, ROW_CHANGE] {
            db.execute_unprepared(function).await?;
        }
        for table in TABLES {
            for (event, referencing) in EVENTS {
                let name = trigger(table, event);
                db.execute_unprepared(&format!(
                    r#"CREATE TRIGGER "{name}" AFTER {event} ON {table} {referencing}
                       FOR EACH STATEMENT EXECUTE FUNCTION public.audit_table_changes()"#
                ))
                .await?;
            }
        }
        db.execute_unprepared(ROW_TRIGGERS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"DROP TRIGGER IF EXISTS mcp_integrations_audit_tokens ON public.mcp_integrations;
               DROP TRIGGER IF EXISTS users_audit_role ON public.users;"#,
        )
        .await?;
        for table in TABLES.iter().rev() {
            for (event, _) in EVENTS {
                let name = trigger(table, event);
                db.execute_unprepared(&format!(r#"DROP TRIGGER IF EXISTS "{name}" ON {table}"#))
                    .await?;
            }
        }
        db.execute_unprepared(
            "DROP FUNCTION public.audit_row_change(); DROP FUNCTION public.audit_table_changes(); DROP FUNCTION public.audit_writer()",
        )
        .await?;
        Ok(())
    }
}
