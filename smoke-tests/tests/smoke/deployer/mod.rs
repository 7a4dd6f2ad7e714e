//! The deployer's guarantees, proven on toy migrators (`smoke_tests::toy`, and the toy
//! example binary, `TOY_BIN`), not on this schema: the lock, checksums, atomicity, migrations
//! outside a transaction, timeouts and retries, the dry run, `fresh`, bad input, and the
//! faults a deploy fears (kills, a hung or reset network). What must be proven on this
//! schema's own migrations stays in `deploy/`.

mod atomicity;
mod checksums;
mod concurrency;
mod dry_run;
mod errors;
mod fresh;
pub mod hang;
mod kill;
mod lock_order;
mod outside_transaction;
mod timeouts;
mod toy;

use std::time::{Duration, Instant};

use deployer::{Settings, Up};
use sea_orm::DatabaseConnection;
use smoke_tests::{snapshot, toy as toys};

use crate::{all_rows, count};

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

/// Applies the toy's migrations through `name` with the toy project's deployer.
pub async fn through(db: &DatabaseConnection, name: &str) {
    let up = Up {
        through: Some(name.into()),
        ..Up::default()
    };
    toys::deployer(Settings::default(), toys::migrations())
        .await
        .up(db, &up)
        .await
        .unwrap_or_else(|err| panic!("the toy through {name}: {err:#}"));
}

/// The versions recorded as applied, in order; none before the ledger exists.
pub async fn applied(db: &DatabaseConnection) -> Vec<String> {
    rows_if_present(db, "seaql_migrations", "version").await
}

/// The catalog after 0, 1, 2 and 3 of the toy's migrations, built one at a time on `db`.
pub async fn toy_steps(db: &DatabaseConnection) -> Vec<dbcheck::catalog::Snapshot> {
    let deployer = toys::deployer(Settings::default(), toys::migrations()).await;
    let mut steps = vec![snapshot(db).await];
    let one = Up {
        steps: Some(1),
        ..Up::default()
    };
    while !deployer.up(db, &one).await.expect("up one").is_empty() {
        steps.push(snapshot(db).await);
    }
    steps
}

/// Polls `sql` (a count) until it is 0, for at most `limit`: the tests' one way of waiting
/// for the server to reach a state (a lock waited for, sessions gone).
pub async fn wait_for_zero(db: &DatabaseConnection, sql: &str, limit: Duration) {
    let start = Instant::now();
    while count(db, sql).await != 0 {
        assert!(
            start.elapsed() < limit,
            "still not 0 after {limit:?}: {sql}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The sessions waiting for a lock on `table`, as a count for [`wait_for_zero`]: 0 once one
/// waits.
pub fn none_waiting_for(table: &str) -> String {
    format!(
        "SELECT CASE WHEN count(*) > 0 THEN 0 ELSE 1 END::int8 FROM pg_locks \
         WHERE relation = 'public.{table}'::regclass AND NOT granted"
    )
}

/// The transaction of the session waiting for a lock on `table`, if one waits: each retry
/// of a migration is a transaction of its own.
pub async fn waiting_transaction(db: &DatabaseConnection, table: &str) -> Option<String> {
    crate::query_strings(
        db,
        &format!(
            "SELECT virtualtransaction FROM pg_locks \
             WHERE relation = 'public.{table}'::regclass AND NOT granted"
        ),
    )
    .await
    .into_iter()
    .next()
}

/// Waits until a migration waits for a lock on `table`, then until that attempt gave up (a
/// later one waits, or none): proof that the deployer met the lock and will retry.
pub async fn wait_for_a_retry_on(db: &DatabaseConnection, table: &str) {
    wait_for_zero(db, &none_waiting_for(table), Duration::from_secs(60)).await;
    let first = waiting_transaction(db, table).await;
    let start = Instant::now();
    while first.is_some() && waiting_transaction(db, table).await == first {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the migration never gave up waiting for {table}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
