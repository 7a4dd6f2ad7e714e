//! `fresh` drops everything the project owns, its own schemas included, before migrating.

use dbcheck::catalog::assert_same;
use deployer::{Project, Settings, Up};
use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, snapshot, toy};

use crate::count;

#[tokio::test]
async fn fresh_clears_every_owned_schema_before_migrating() {
    let test = TestDb::new("toy_fresh_clears_owned_schemas").await;
    let project = Project {
        owned_schemas: &["toy_archive"],
        ..toy::project()
    };
    let deployer = toy::deployer(Settings::default(), toy::migrations())
        .await
        .with_project(project);
    deployer.up(&test.db, &Up::default()).await.expect("up");
    let migrated = snapshot(&test.db).await;
    // What a deploy left in an owned schema and in public that no migration knows about.
    test.db
        .execute_unprepared(
            "CREATE SCHEMA toy_archive; CREATE TABLE toy_archive.stray (id int); \
             CREATE TABLE toy_stray (id int)",
        )
        .await
        .expect("stray tables");
    let applied = deployer.fresh(&test.db).await.expect("fresh");
    assert_eq!(applied, toy::names(&toy::migrations()));
    assert_same(
        &snapshot(&test.db).await,
        &migrated,
        "after fresh",
        "first migrate",
    );
    let schema = "SELECT count(*) FROM pg_namespace WHERE nspname = 'toy_archive'";
    assert_eq!(
        count(&test.db, schema).await,
        0,
        "the owned schema survived"
    );
}
