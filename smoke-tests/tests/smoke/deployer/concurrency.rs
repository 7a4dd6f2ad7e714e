//! Migrators started together take turns: each migration is applied exactly once, and a
//! migrator waits for the lock only as long as told.

use dbcheck::catalog::assert_same;
use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, migrator, snapshot, toy};

use super::Snapshot;

#[tokio::test]
async fn eight_migrators_at_once_apply_each_migration_once() {
    let test = TestDb::new("toy_eight_migrators_at_once").await;
    let mut children = Vec::new();
    for _ in 0..8 {
        children.push(
            migrator::toy_command(&test.url, &["up"])
                .spawn()
                .expect("start a migrator"),
        );
    }
    let mut applying = Vec::new();
    for child in children {
        let output = child.wait_with_output().await.expect("migrator output");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "a migrator failed:\n{stderr}");
        applying.extend(stderr.lines().filter_map(|l| {
            l.split_once("applying ")
                .map(|(_, name)| name.trim().to_owned())
        }));
    }
    // Every migration was applied by exactly one of the eight.
    let mut expected = toy::names(&toy::migrations());
    applying.sort();
    expected.sort();
    assert_eq!(applying, expected);
    assert_eq!(super::applied(&test.db).await.len(), expected.len());

    let single = TestDb::new("toy_eight_migrators_single_run").await;
    let output = migrator::run_toy(&single.url, &["up"]).await;
    assert!(
        output.status.success(),
        "{}",
        migrator::last_stderr_line(&output)
    );
    assert_same(
        &snapshot(&test.db).await,
        &snapshot(&single.db).await,
        "eight migrators",
        "one migrator",
    );
}

#[tokio::test]
async fn a_migrator_waits_for_the_lock_only_as_long_as_told() {
    let test = TestDb::new("toy_a_migrator_waits_for_the_lock").await;
    // Another migrator, stuck: it holds the lock (the toy project's keys) and never ends.
    let (key1, key2) = toy::project().lock_key;
    let stuck = test.connect().await;
    stuck
        .execute_unprepared(&format!(
            "SET application_name = 'stuck migrator'; SELECT pg_advisory_lock({key1}, {key2})"
        ))
        .await
        .expect("hold the migration lock");
    let before = Snapshot::read(&test.db).await;
    let output = migrator::run_toy(&test.url, &["up", "--lock-timeout", "1s"]).await;
    assert_eq!(output.status.code(), Some(1));
    let line = migrator::last_stderr_line(&output);
    // The holder, and what frees it: its end, its bound, or ending it by its pid.
    let pid = line
        .strip_prefix("error: another migrator still holds the migration lock after 1s: pid ")
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        line.contains(", application `stuck migrator`, client ")
            && line.contains(", idle for ")
            && line.contains("raise --lock-timeout to wait longer")
            && line.contains("within its --hang-timeout (20s by default)")
            && line.ends_with(&format!("end it with SELECT pg_terminate_backend({pid})")),
        "{line}"
    );
    assert_eq!(Snapshot::read(&test.db).await, before);
    stuck.close().await.expect("the stuck migrator ends");
    let output = migrator::run_toy(&test.url, &["up", "--lock-timeout", "10s"]).await;
    assert!(
        output.status.success(),
        "{}",
        migrator::last_stderr_line(&output)
    );
}
