//! The smoke suite: every test gets its own database on the server `cargo xtask smoke` chose.

mod big_tenants;
mod catalog;
mod counters;
mod deploy;
mod deployer;
mod diff;
mod drift;
mod entities;
mod erd;
mod fleet;
mod hot_paths;
mod load;
mod migrate;
mod online;
mod operate;
mod phase1;
mod phase2;
mod phase3;
mod phase4;
mod reset;
mod sealed;
mod security;
mod seed;
mod signals;
mod tls;
mod verify;
mod verify_plans;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// Applies every migration, as `cargo xtask migrate` does.
pub async fn migrate_all(db: &DatabaseConnection) {
    migration::up_through_phase(db, None)
        .await
        .expect("migrate");
}

/// A throwaway database named `name`, fully migrated and seeded with the dev profile.
pub async fn seeded(name: &str) -> smoke_tests::TestDb {
    let test = smoke_tests::TestDb::migrated(name).await;
    ::seed::run(&test.db, &::seed::Profile::Dev)
        .await
        .expect("seed");
    test
}

/// The URL of `test`'s database for the login role `role`, created here with every
/// privilege on the data model's tables but neither superuser nor BYPASSRLS: a production
/// owner that forced row-level security binds. Roles are the server's, so each test names its
/// own; one a killed run left behind is replaced.
pub async fn bound_role_url(test: &smoke_tests::TestDb, role: &str) -> String {
    const PASSWORD: &str = "bound-role-password";
    test.db
        .execute_unprepared(&format!(
            r#"DROP ROLE IF EXISTS {role};
               CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}' NOSUPERUSER NOBYPASSRLS;
               GRANT USAGE ON SCHEMA public, health, finance TO {role};
               GRANT ALL ON ALL TABLES IN SCHEMA public, health, finance TO {role}"#
        ))
        .await
        .expect("create the bound role");
    let mut url = dbconn::url::parse(&test.url).expect("parse the test url");
    url.set_username(role).expect("set the user");
    url.set_password(Some(PASSWORD)).expect("set the password");
    url.to_string()
}

/// Drops the role [`bound_role_url`] made, once its sessions are closed.
pub async fn drop_bound_role(test: &smoke_tests::TestDb, role: &str) {
    test.db
        .execute_unprepared(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .expect("drop the bound role");
}

/// The versions recorded as applied, in order.
pub async fn applied_versions(db: &DatabaseConnection) -> Vec<String> {
    Migrator::get_applied_migrations(db)
        .await
        .expect("read applied")
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// Every table of the data model (the owned schemas, the migrator's tables left out), as
/// quoted `schema.table`, sorted.
pub async fn owned_tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ({}) AND c.relkind = 'r' AND relname NOT IN ({})
         ORDER BY 1",
        schema_facts::sql_list(schema_facts::SCHEMAS),
        schema_facts::sql_list(schema_facts::BOOKKEEPING_TABLES)
    );
    query_strings(db, &sql).await
}

/// Every row of every table the project owns, as JSON, ordered: the data a user would see.
pub async fn all_rows(db: &DatabaseConnection) -> Vec<String> {
    let tables = owned_tables(db).await;
    let mut rows = Vec::new();
    for table in tables {
        let sql = format!(
            "SELECT '{table} ' || to_jsonb(t)::text FROM {table} t ORDER BY to_jsonb(t)::text"
        );
        rows.extend(query_strings(db, &sql).await);
    }
    rows
}

/// The first column of every row of `sql`, as text.
pub async fn query_strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("text column"))
        .collect()
}

/// verify's line for index `name` of `table` dropped from a database that had every index of
/// the manifest, with the totals read from the manifest (they change with every migration).
pub fn missing_index_line(name: &str, table: &str) -> String {
    let expected = dbcheck::verify::EXPECTED
        .lines()
        .filter(|line| line.starts_with("index "))
        .count();
    let present = expected - 1;
    format!(
        "indexes: missing {name} on {table} ({present} of {expected} expected present, {present} in all)"
    )
}

/// A single count.
pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
        .expect("one row");
    row.try_get_by_index::<i64>(0).expect("count")
}
