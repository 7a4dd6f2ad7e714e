//! Everything a project owns in a database, and dropping all of it (`fresh`, `restore --clean`).
//!
//! SeaORM's `fresh` drops only the tables of the current schema; a project may also own
//! schemas of its own, enum types and trigger functions, which a reset must clear too.
//! Extensions stay: they may be shared, and creating them can need a superuser.

use sea_orm::{ConnectionTrait, DbErr};

/// Drops `schemas` and every table, type and function in `public` that no extension owns. It
/// is one statement, so it is atomic: a failure leaves the database as it was.
pub async fn drop_all<C: ConnectionTrait>(db: &C, schemas: &[&str]) -> Result<(), DbErr> {
    let schemas = if schemas.is_empty() {
        "NULL".to_owned()
    } else {
        schemas
            .iter()
            .map(|s| format!("'{}'", s.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    db.execute_unprepared(&DROP_ALL.replace("{schemas}", &schemas))
        .await?;
    Ok(())
}

const DROP_ALL: &str = r#"
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT nspname FROM pg_namespace WHERE nspname IN ({schemas}) LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  FOR r IN
    SELECT c.relname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.relname);
  END LOOP;
  FOR r IN
    SELECT t.typname FROM pg_type t
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', r.typname);
  END LOOP;
  FOR r IN
    SELECT p.oid::regprocedure AS signature FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.signature);
  END LOOP;
END $$;
"#;
