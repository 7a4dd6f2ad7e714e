//! Dropping everything this project owns leaves nothing behind, not even its other schemas.
//! That the deployer's `fresh` drops a project's owned schemas is proven on the toy, in
//! `deployer/fresh.rs`.

use dbcheck::catalog::assert_same;
use smoke_tests::{TestDb, snapshot};

use crate::{count, migrate_all};
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn drop_all_leaves_nothing_the_project_owns() {
    let test = TestDb::new("drop_all_leaves_nothing").await;
    let empty = snapshot(&test.db).await;
    migrate_all(&test.db).await;
    let migrated = snapshot(&test.db).await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    // Later phases own the health and finance schemas, with tables, enums and functions.
    test.db
        .execute_unprepared(
            r#"CREATE SCHEMA IF NOT EXISTS health; CREATE TYPE health."StrayStatus" AS ENUM ('ACTIVE');
               CREATE TABLE health.stray (id uuid PRIMARY KEY);
               CREATE FUNCTION stray_function() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;"#,
        )
        .await
        .expect("objects of later phases");
    migration::owned::drop_all(&test.db)
        .await
        .expect("drop all");
    assert_eq!(snapshot(&test.db).await, empty);
    assert_eq!(
        count(
            &test.db,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'seaql_migrations'"
        )
        .await,
        0
    );
    // The database is usable again at once, and migrates to the same catalog.
    migrate_all(&test.db).await;
    assert_same(
        &snapshot(&test.db).await,
        &migrated,
        "after reset",
        "first migrate",
    );
}
