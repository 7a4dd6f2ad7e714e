//! Migrating through PgBouncer in transaction mode is refused with the fix; the direct URL
//! (DIRECT_URL or MIGRATION_DATABASE_URL) wins over the pooled DATABASE_URL and migrates.

use devdb::pgbouncer::{self, PgBouncer};
use smoke_tests::{TestDb, migrator};

use crate::owned_tables;

#[tokio::test]
async fn a_transaction_pooler_is_refused_and_the_direct_url_migrates() {
    if let Err(why) = pgbouncer::binary() {
        eprintln!("skipped: {why}");
        return;
    }
    let test = TestDb::new("pooler_transaction_mode").await;
    let admin = std::env::var("SMOKE_SERVER_URL").expect("SMOKE_SERVER_URL");
    let database = dbconn::url::database_name(&test.url).expect("name");
    let bouncer = PgBouncer::start(&admin, &database, "transaction").expect("start PgBouncer");
    let password = dbconn::url::password(&bouncer.url)
        .expect("url")
        .expect("a password");

    assert_refused(&bouncer.url, &password).await;
    assert!(
        owned_tables(&test.db).await.is_empty(),
        "a refusal migrated"
    );

    let direct = migrator::command(&bouncer.url, &["up"])
        .env("DIRECT_URL", &test.url)
        .output()
        .await
        .expect("run");
    assert!(
        direct.status.success(),
        "{}",
        migrator::last_stderr_line(&direct)
    );
    assert!(!owned_tables(&test.db).await.is_empty());
    // MIGRATION_DATABASE_URL wins over DIRECT_URL too.
    let check = migrator::command(&bouncer.url, &["status", "--check"])
        .env("DIRECT_URL", "postgres://nobody@127.0.0.1:1/nowhere")
        .env("MIGRATION_DATABASE_URL", &test.url)
        .output()
        .await
        .expect("run");
    assert!(
        check.status.success(),
        "{}",
        migrator::last_stderr_line(&check)
    );
    drop(bouncer);
}

/// Every command that takes the migration lock is refused through the pooler, naming the fix
/// and not the password.
async fn assert_refused(pooled: &str, password: &str) {
    for args in [&["up"][..], &["down"], &["fresh", "--force"]] {
        let output = migrator::run(pooled, args).await;
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let line = migrator::last_stderr_line(&output);
        // Refused by the session probe, or before it when the pooler refuses the startup
        // parameters that carry the session's timeouts (PgBouncer does).
        let shown = dbconn::url::redact(pooled);
        assert!(
            ["migrate", "connect"]
                .iter()
                .any(|verb| line.starts_with(&format!(
                    "error: refusing to {verb} through a connection pooler: {shown} does not keep \
                 its session ("
                )))
                && line.ends_with(
                    "so the migration lock cannot be held: set DIRECT_URL or \
                 MIGRATION_DATABASE_URL to the PostgreSQL server itself, not the pooler"
                ),
            "{line}"
        );
        assert!(!String::from_utf8_lossy(&output.stderr).contains(password));
    }
}
