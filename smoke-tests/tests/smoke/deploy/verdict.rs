//! A migrator whose connection fails while a migration commits says what the ledger holds,
//! read again on a new connection, instead of guessing that it was rolled back.

use smoke_tests::proxy::{Fault, Proxy};
use smoke_tests::{TestDb, migrator};

use super::rows_if_present;

#[tokio::test]
async fn a_connection_lost_as_a_migration_commits_is_reported_as_the_ledger_has_it() {
    let test = TestDb::new("verdict_after_commit").await;
    // The first COMMIT on any connection is the first migration's, with its records.
    let proxy = Proxy::start(&test.url, Fault::ResetConnectionAfter(b"COMMIT".to_vec())).await;
    let failed = migrator::run(&proxy.url(&test.url), &["up"]).await;
    assert!(proxy.has_fired(), "no COMMIT went through the proxy");
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        migrator::printed(&failed)
    );
    let first = migration::migrations_through_phase(1).remove(0);
    let recorded = rows_if_present(&test.db, "seaql_migrations", "version").await;
    assert_eq!(
        recorded,
        std::slice::from_ref(&first),
        "the server committed it"
    );
    let line = migrator::last_stderr_line(&failed);
    assert!(
        line.starts_with("error: ")
            && line.contains(&format!("{first} is applied and recorded after all"))
            && !line.contains("rolled back"),
        "{line}"
    );
    let next = migrator::run(&test.url, &["up"]).await;
    assert!(next.status.success(), "{}", migrator::printed(&next));
}
