//! Safe deploys, proven by injecting the faults: racing migrators, kills, a hung or reset
//! network, failures, edits, locked tables, bad input and awkward credentials.

mod atomicity;
mod checksums;
mod concurrency;
mod credentials;
mod dry_run;
mod errors;
mod hang;
mod history;
mod input;
mod kill;
mod outside_transaction;
mod post_deploy;
mod timeouts;
mod unknown_database;
mod verdict;

use deployer::{Settings, Up};
use migration::{MigrationName, MigrationTrait, SchemaManager};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use smoke_tests::snapshot;

use crate::all_rows;

/// Everything a user could see changing: the catalog, the data, and the migration records.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    catalog: dbcheck::catalog::Snapshot,
    rows: Vec<String>,
    versions: Vec<String>,
    checksums: Vec<String>,
}

impl Snapshot {
    pub async fn read(db: &DatabaseConnection) -> Snapshot {
        Snapshot {
            catalog: snapshot(db).await,
            rows: all_rows(db).await,
            versions: rows_if_present(db, "seaql_migrations", "version").await,
            checksums: rows_if_present(
                db,
                "seaql_migrations_checksums",
                "version || ' ' || checksum",
            )
            .await,
        }
    }
}

/// `expression` of every row of a bookkeeping table, in order; none when the table is missing.
pub async fn rows_if_present(
    db: &DatabaseConnection,
    table: &str,
    expression: &str,
) -> Vec<String> {
    let present = crate::count(
        db,
        &format!(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '{table}'"
        ),
    )
    .await
        > 0;
    if !present {
        return Vec::new();
    }
    crate::query_strings(db, &format!("SELECT {expression} FROM {table} ORDER BY 1")).await
}

/// The catalog after 0, 1, ..., all migrations, built one migration at a time on `db`.
pub async fn catalog_at_each_step(db: &DatabaseConnection) -> Vec<dbcheck::catalog::Snapshot> {
    let deployer = migration::deployer(Settings::default())
        .await
        .expect("deployer");
    let mut steps = vec![snapshot(db).await];
    loop {
        let up = Up {
            steps: Some(1),
            ..Up::default()
        };
        if deployer.up(db, &up).await.expect("up one").is_empty() {
            return steps;
        }
        steps.push(snapshot(db).await);
    }
}

/// A migration given as SQL, for tests that need one the code does not have: an edited one, a
/// failing one, one outside a transaction.
pub struct SqlMigration {
    pub name: &'static str,
    /// Statements `up` runs, in order.
    pub up: Vec<String>,
    pub down: &'static str,
    /// `false` opts out of the transaction, as `CREATE INDEX CONCURRENTLY` must.
    pub transactional: bool,
}

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    fn use_transaction(&self) -> Option<bool> {
        (!self.transactional).then_some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for statement in &self.up {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(self.down)
            .await?;
        Ok(())
    }
}

/// Checks that `found`, the catalog of a database on which a migrator died with `applied`
/// migrations recorded, is `steps[applied]`: whole migrations only. The one exception is a
/// next migration that runs outside a transaction (an online index), which cannot be all or
/// nothing: then `found` must lie between `steps[applied]` and `steps[applied + 1]`,
/// everything both have there and nothing neither has, new indexes possibly left INVALID.
pub fn assert_whole_or_between(
    found: &dbcheck::catalog::Snapshot,
    steps: &[dbcheck::catalog::Snapshot],
    applied: usize,
    name: &str,
) {
    use migration::MigratorTrait;
    let outside = migration::Migrator::migrations()
        .get(applied)
        .is_some_and(|m| m.use_transaction() == Some(false));
    if !outside || found.lines == steps[applied].lines {
        let whole = format!("exactly {applied} whole migration(s)");
        return dbcheck::catalog::assert_same(found, &steps[applied], name, &whole);
    }
    let (before, after) = (&steps[applied], &steps[applied + 1]);
    let missing: Vec<_> = before
        .lines
        .intersection(&after.lines)
        .filter(|l| !found.lines.contains(*l))
        .collect();
    let extra: Vec<_> = found
        .lines
        .iter()
        .filter(|l| {
            let valid = l.strip_suffix(" INVALID").unwrap_or(l);
            !before.lines.contains(*l) && !after.lines.contains(valid)
        })
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: not between two steps: missing {missing:?}, extra {extra:?}"
    );
}
