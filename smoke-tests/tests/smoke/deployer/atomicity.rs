//! A migration that fails half-way leaves no trace of itself, not even its record.

use deployer::{Settings, Up};
use smoke_tests::TestDb;
use smoke_tests::toy;

use super::Snapshot;

#[tokio::test]
async fn a_migration_that_fails_half_way_leaves_no_trace() {
    let test = TestDb::new("toy_a_migration_that_fails_half_way").await;
    let mut migrations = toy::migrations();
    migrations.push(Box::new(toy::fails_half_way()));
    let deployer = toy::deployer(Settings::default(), migrations).await;
    super::through(&test.db, toy::INDEX).await;
    let before = Snapshot::read(&test.db).await;

    let err = deployer
        .up(&test.db, &Up::default())
        .await
        .expect_err("the failing migration must fail")
        .to_string();
    assert!(
        err.starts_with("could not apply m20260101_000004_fails_half_way, so it was rolled back"),
        "{err}"
    );
    assert_eq!(Snapshot::read(&test.db).await, before);
    let status = deployer.status(&test.db).await.expect("status");
    assert_eq!(
        status.pending(),
        1,
        "the failed migration must stay pending"
    );
}
