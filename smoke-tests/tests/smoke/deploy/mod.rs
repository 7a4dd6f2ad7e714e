//! Safe deploys, proven by injecting the faults: racing migrators, kills, failures, edits,
//! locked tables and bad input.

mod atomicity;
mod checksums;
mod concurrency;
mod dry_run;
mod errors;
mod kill;
mod outside_transaction;
mod post_deploy;
mod timeouts;

use migration::deploy::{Deployer, Settings, Up};
use sea_orm::DatabaseConnection;
use smoke_tests::Catalog;

use crate::all_rows;

/// Everything a user could see changing: the catalog, the data, and the migration records.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    catalog: Catalog,
    rows: Vec<String>,
    versions: Vec<String>,
    checksums: Vec<String>,
}

impl Snapshot {
    pub async fn read(db: &DatabaseConnection) -> Snapshot {
        Snapshot {
            catalog: Catalog::read(db).await,
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
pub async fn catalog_at_each_step(db: &DatabaseConnection) -> Vec<Catalog> {
    let deployer = Deployer::new(Settings::default()).await.expect("deployer");
    let mut steps = vec![Catalog::read(db).await];
    loop {
        let up = Up {
            steps: Some(1),
            ..Up::default()
        };
        if deployer.up(db, &up).await.expect("up one").is_empty() {
            return steps;
        }
        steps.push(Catalog::read(db).await);
    }
}
