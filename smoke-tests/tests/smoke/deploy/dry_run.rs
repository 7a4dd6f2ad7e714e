//! `--dry-run` prints the SQL of each pending migration and changes nothing.

use smoke_tests::{TestDb, migrator};

use super::Snapshot;

#[tokio::test]
async fn a_dry_run_prints_each_pending_migration_and_changes_nothing() {
    let test = TestDb::new("a_dry_run_changes_nothing").await;
    migration::up_through_phase(&test.db, Some(3))
        .await
        .expect("phases 1 to 3");
    let before = Snapshot::read(&test.db).await;
    let output = migrator::run(&test.url, &["up", "--dry-run"]).await;
    assert!(
        output.status.success(),
        "{}",
        migrator::last_stderr_line(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let headers: Vec<&str> = stdout.lines().filter(|l| l.starts_with("-- m")).collect();
    // Phases 4 and on are pending.
    let pending: Vec<_> = migration::PHASES[3..]
        .iter()
        .flat_map(|p| (p.migrations)())
        .collect();
    assert_eq!(headers.len(), pending.len(), "{stdout}");
    for (header, migration) in headers.iter().zip(&pending) {
        // Phase 6's online steps opt out of the transaction, and the dry run says so.
        let how = if migration.use_transaction() == Some(false) {
            "outside a transaction"
        } else {
            "in one transaction"
        };
        assert_eq!(*header, format!("-- {} ({how})", migration.name()));
    }
    assert!(
        stdout.contains("vector(1536)"),
        "phase 4's SQL is missing:\n{stdout}"
    );
    assert!(
        stdout.contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS"),
        "phase 6's online index SQL is missing:\n{stdout}"
    );
    assert_eq!(Snapshot::read(&test.db).await, before);
}
