//! The bookkeeping tables: SeaORM's `seaql_migrations`, and our checksums beside it.
//!
//! `seaql_migrations` keeps SeaORM's shape, so SeaORM's own CLI still reads the database.
//! `seaql_migrations_checksums` holds the SHA-256 of the SQL each applied migration sent. Both
//! are written in the migration's own transaction, so a migration and its record commit or
//! vanish together.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// SeaORM's table of applied versions.
pub const VERSIONS: &str = "seaql_migrations";
/// Our table of their checksums.
pub const CHECKSUMS: &str = "seaql_migrations_checksums";

/// What the database says has been applied: version → recorded checksum, if any.
pub type Applied = BTreeMap<String, Option<String>>;

/// Reads the applied versions and their checksums; a database never migrated has none. It
/// creates nothing, so `status`, `--dry-run` and refusals leave the database as it was.
pub async fn read<C: ConnectionTrait>(db: &C) -> Result<Applied, DbErr> {
    if !exists(db, VERSIONS).await? {
        return Ok(Applied::new());
    }
    let sql = if exists(db, CHECKSUMS).await? {
        format!(
            "SELECT v.version, c.checksum FROM {VERSIONS} v \
             LEFT JOIN {CHECKSUMS} c ON c.version = v.version ORDER BY v.version"
        )
    } else {
        format!("SELECT version, NULL::text AS checksum FROM {VERSIONS} ORDER BY version")
    };
    let rows = db.query_all_raw(stmt(&sql, [])).await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "version")?, row.try_get("", "checksum")?)))
        .collect()
}

/// A migrator with no migrations, for SeaORM's own `install` of `seaql_migrations` (the table
/// name every migrator shares unless it overrides `migration_table_name`).
struct Ledger;

impl sea_orm_migration::MigratorTrait for Ledger {
    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        Vec::new()
    }
}

/// Creates both tables if they are missing.
pub async fn install<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    // SeaORM creates its own table, so its shape stays the one SeaORM's CLI reads.
    <Ledger as sea_orm_migration::MigratorTrait>::install(db).await?;
    db.execute_unprepared(&format!(
        "CREATE TABLE IF NOT EXISTS {CHECKSUMS} (version varchar NOT NULL PRIMARY KEY, \
         checksum char(64) NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())"
    ))
    .await?;
    Ok(())
}

/// The applied versions, oldest first, in the order they were applied: by the time their
/// checksum was recorded (in the migration's own transaction), else the second SeaORM records;
/// a tie (one run within a second, without checksums) keeps the versions' order.
pub async fn applied_order<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    if !exists(db, VERSIONS).await? {
        return Ok(Vec::new());
    }
    let sql = if exists(db, CHECKSUMS).await? {
        format!(
            "SELECT v.version FROM {VERSIONS} v LEFT JOIN {CHECKSUMS} c ON c.version = v.version \
             ORDER BY coalesce(extract(epoch FROM c.recorded_at), v.applied_at), v.version"
        )
    } else {
        format!("SELECT version FROM {VERSIONS} ORDER BY applied_at, version")
    };
    let rows = db.query_all_raw(stmt(&sql, [])).await?;
    rows.iter().map(|row| row.try_get_by_index(0)).collect()
}

/// Records `version` as applied with `checksum`.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    version: &str,
    checksum: &str,
) -> Result<(), DbErr> {
    let applied_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    db.execute_raw(stmt(
        &format!(
            "INSERT INTO {VERSIONS} (version, applied_at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        ),
        [version.into(), applied_at.into()],
    ))
    .await?;
    record_checksum(db, version, checksum).await
}

/// Sets the recorded checksum of `version`, replacing any earlier one.
pub async fn record_checksum<C: ConnectionTrait>(
    db: &C,
    version: &str,
    checksum: &str,
) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        &format!(
            "INSERT INTO {CHECKSUMS} (version, checksum) VALUES ($1, $2) \
             ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, recorded_at = now()"
        ),
        [version.into(), checksum.into()],
    ))
    .await?;
    Ok(())
}

/// Forgets `version`: it counts as not applied from now on.
pub async fn forget<C: ConnectionTrait>(db: &C, version: &str) -> Result<(), DbErr> {
    for table in [VERSIONS, CHECKSUMS] {
        db.execute_raw(stmt(
            &format!("DELETE FROM {table} WHERE version = $1"),
            [version.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Drops both tables, as SeaORM's `reset` drops its own.
pub async fn uninstall<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    db.execute_unprepared(&format!("DROP TABLE IF EXISTS {CHECKSUMS}, {VERSIONS}"))
        .await?;
    Ok(())
}

async fn exists<C: ConnectionTrait>(db: &C, table: &str) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(stmt(
            "SELECT to_regclass($1) IS NOT NULL AS present",
            [table.into()],
        ))
        .await?;
    match row {
        Some(row) => row.try_get("", "present"),
        None => Ok(false),
    }
}

fn stmt<const N: usize>(sql: &str, values: [sea_orm::Value; N]) -> Statement {
    Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
}
