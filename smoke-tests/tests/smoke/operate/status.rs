//! `migration status --check` as a readiness probe: exit 0 only when the database is
//! reachable, fully migrated by this build and unedited; one line either way.

use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, migrator};

use super::run_expecting;

#[tokio::test]
async fn status_check_passes_only_a_fully_migrated_unedited_database() {
    let test = TestDb::new("status_check").await;
    let total = migration::migrations_through_phase(migration::last_phase()).len();
    let shown = dbconn::url::redact(&test.url);
    let empty = run_expecting(&test.url, &["status", "--check"], 1).await;
    assert_eq!(
        migrator::last_stderr_line(&empty),
        format!(
            "error: not ready: {total} of {total} migration(s) pending on {shown}: run `migration up`"
        )
    );
    run_expecting(&test.url, &["up"], 0).await;
    let ready = run_expecting(&test.url, &["status", "--check"], 0).await;
    assert_eq!(
        String::from_utf8_lossy(&ready.stdout).trim(),
        format!("ready: all {total} migration(s) of this build applied, none edited, on {shown}")
    );
    test.db
        .execute_unprepared(
            "UPDATE seaql_migrations_checksums SET checksum = repeat('0', 64) \
             WHERE version = (SELECT max(version) FROM seaql_migrations_checksums)",
        )
        .await
        .expect("pretend an edit");
    let edited = run_expecting(&test.url, &["status", "--check"], 1).await;
    let line = migrator::last_stderr_line(&edited);
    assert!(
        line.starts_with("error: not ready: migration ")
            && line.contains("changed after it was applied"),
        "{line}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let nowhere = format!("postgres://app@127.0.0.1:{port}/agents");
    let down = run_expecting(&nowhere, &["status", "--check", "--wait", "1s"], 1).await;
    assert!(migrator::last_stderr_line(&down).starts_with("error: cannot reach PostgreSQL"));
}
