//! Bad input and failures around a run of the deployer's command line (the toy binary): one
//! line that names the fix, exit code 1, no password shown, nothing changed.

use smoke_tests::{TestDb, migrator, toy};

use super::Snapshot;

#[tokio::test]
async fn a_malformed_url_is_one_line_without_the_password() {
    let output = migrator::run_toy("postgres://app:s3cret@db:notaport/agents", &["up"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: malformed database URL postgres://app:***@db:notaport/agents: \
         expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    );
}

#[tokio::test]
async fn an_unknown_database_names_createdb() {
    let test = TestDb::new("toy_an_unknown_database_names_createdb").await;
    let missing = dbconn::url::with_database(&test.url, "smoke_no_such_database").expect("url");
    let output = migrator::run_toy(&missing, &["up"]).await;
    assert_eq!(output.status.code(), Some(1));
    let line = migrator::last_stderr_line(&output);
    assert!(
        line.starts_with("error: database `smoke_no_such_database` does not exist on ")
            && line.ends_with(": create it (createdb smoke_no_such_database) or fix DATABASE_URL"),
        "{line}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_retried_until_the_wait_ends() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("postgres://app:s3cret@127.0.0.1:{port}/agents");
    let output = migrator::run_toy(&url, &["up", "--wait", "1s"]).await;
    assert_eq!(output.status.code(), Some(1));
    let line = migrator::last_stderr_line(&output);
    assert!(
        line.starts_with(&format!(
            "error: cannot reach PostgreSQL at postgres://app:***@127.0.0.1:{port}/agents"
        )),
        "{line}"
    );
    assert!(line.contains("raise --wait to wait longer"), "{line}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("s3cret"));
}

#[tokio::test]
async fn destructive_commands_refuse_production_and_change_nothing() {
    let test = TestDb::new("toy_destructive_commands_refuse_production").await;
    super::through(&test.db, toy::INDEX).await;
    let before = Snapshot::read(&test.db).await;
    for args in [
        &["fresh", "--force"][..],
        &["reset", "--force"],
        &["down", "--all", "--force"],
    ] {
        let output = migrator::toy_command(&test.url, args)
            .env("APP_ENV", "production")
            .output()
            .await
            .expect("run the toy migrator");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let line = migrator::last_stderr_line(&output);
        assert!(
            line.starts_with("error: refusing to ") && line.contains("APP_ENV=production"),
            "{line}"
        );
    }
    assert_eq!(Snapshot::read(&test.db).await, before);
}

#[tokio::test]
async fn destructive_commands_refuse_a_remote_host_without_force() {
    // Refused before connecting: the host need not exist.
    let url = "postgres://app:s3cret@db.prod.internal/agents";
    let output = migrator::run_toy(url, &["fresh"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        migrator::last_stderr_line(&output),
        "error: refusing to drop everything and migrate afresh on non-local host \
         postgres://app:***@db.prod.internal/agents: pass --force if this database is really disposable"
    );
}

#[tokio::test]
async fn a_failed_backup_applies_nothing() {
    let test = TestDb::new("toy_a_failed_backup_applies_nothing").await;
    let before = Snapshot::read(&test.db).await;
    let dir = std::env::temp_dir().join("smoke_toy_failed_backup");
    let output = migrator::run_toy(
        &test.url,
        &[
            "up",
            "--backup",
            dir.to_str().expect("utf-8 path"),
            "--pg-dump",
            "/nonexistent/pg_dump",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let line = migrator::last_stderr_line(&output);
    assert!(
        line.starts_with("error: backup failed, nothing applied: cannot run /nonexistent/pg_dump"),
        "{line}"
    );
    assert_eq!(Snapshot::read(&test.db).await, before);
}

#[tokio::test]
async fn a_backup_is_a_pg_dump_taken_before_anything_is_applied() {
    let test = TestDb::new("toy_a_backup_is_a_pg_dump").await;
    super::through(&test.db, toy::AUTHORS).await;
    let dir = std::env::temp_dir().join("smoke_toy_backup_before_migrate");
    let _ = std::fs::remove_dir_all(&dir);
    let pg_dump = devdb::embedded::tool("pg_dump").expect("pg_dump of the embedded binaries");
    let output = migrator::run_toy(
        &test.url,
        &[
            "up",
            "--backup",
            dir.to_str().expect("utf-8 path"),
            "--pg-dump",
            pg_dump.to_str().expect("utf-8 path"),
        ],
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        migrator::last_stderr_line(&output)
    );
    let dumps: Vec<_> = std::fs::read_dir(&dir)
        .expect("backup dir")
        .flatten()
        .collect();
    assert_eq!(dumps.len(), 1, "one dump per run");
    let dump = std::fs::read(dumps[0].path()).expect("read dump");
    // pg_dump's custom format starts with PGDMP; restoring it must give back the authors only.
    assert!(dump.starts_with(b"PGDMP"), "not a pg_dump archive");
    let restored = TestDb::new("toy_a_backup_is_a_pg_dump_restored").await;
    let pg_restore = devdb::embedded::tool("pg_restore").expect("pg_restore");
    let status = std::process::Command::new(pg_restore)
        .args(["--no-owner", "--dbname", &restored.url])
        .arg(dumps[0].path())
        .status()
        .expect("run pg_restore");
    assert!(status.success());
    let authors_only = TestDb::new("toy_a_backup_is_a_pg_dump_authors").await;
    super::through(&authors_only.db, toy::AUTHORS).await;
    dbcheck::catalog::assert_same(
        &smoke_tests::snapshot(&restored.db).await,
        &smoke_tests::snapshot(&authors_only.db).await,
        "restored backup",
        "the authors only",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
