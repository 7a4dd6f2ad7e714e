//! Migrators started together take turns: each migration is applied exactly once.

use smoke_tests::{Catalog, TestDb, assert_same, migrator};

use crate::applied_versions;

#[tokio::test]
async fn eight_migrators_at_once_apply_each_migration_once() {
    let test = TestDb::new("eight_migrators_at_once").await;
    let mut children = Vec::new();
    for _ in 0..8 {
        children.push(
            migrator::command(&test.url, &["up"])
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
    let mut expected = migration::migrations_through_phase(u8::MAX);
    applying.sort();
    expected.sort();
    assert_eq!(applying, expected);
    assert_eq!(applied_versions(&test.db).await.len(), expected.len());

    let single = TestDb::new("eight_migrators_single_run").await;
    let output = migrator::run(&single.url, &["up"]).await;
    assert!(
        output.status.success(),
        "{}",
        migrator::last_stderr_line(&output)
    );
    assert_same(
        &Catalog::read(&test.db).await,
        &Catalog::read(&single.db).await,
        "eight migrators",
        "one migrator",
    );
}
