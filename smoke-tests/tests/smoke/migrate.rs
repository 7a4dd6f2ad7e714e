//! Migrating is repeatable, keeps data, and every migration's `down` undoes its `up`.

use dbcheck::catalog::assert_same;
use migration::{Migrator, MigratorTrait};
use smoke_tests::{TestDb, snapshot};

use crate::{all_rows, applied_versions, migrate_all};

#[tokio::test]
async fn migrating_twice_is_a_no_op() {
    // The copy of the migrated template is a database `up` left complete.
    let test = TestDb::migrated("migrating_twice_is_a_no_op").await;
    let catalog = snapshot(&test.db).await;
    let versions = applied_versions(&test.db).await;
    let again = migration::up_through_phase(&test.db, None)
        .await
        .expect("migrate again");
    assert_eq!(again, 0, "a second run applied migrations");
    assert_same(
        &catalog,
        &snapshot(&test.db).await,
        "first run",
        "second run",
    );
    assert_eq!(versions, applied_versions(&test.db).await);
}

#[tokio::test]
async fn data_survives_running_migrate_again() {
    let test = TestDb::migrated("data_survives_migrate_again").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let before = all_rows(&test.db).await;
    assert!(!before.is_empty());
    migrate_all(&test.db).await;
    assert_eq!(before, all_rows(&test.db).await);
}

#[tokio::test]
async fn every_migration_down_then_up_restores_the_catalog() {
    let test = TestDb::new("every_migration_down_then_up").await;
    let total = Migrator::migrations().len();
    // The catalog after 0, 1, ..., total migrations, built one step at a time.
    let mut steps = vec![snapshot(&test.db).await];
    for _ in 0..total {
        Migrator::up(&test.db, Some(1)).await.expect("up one");
        steps.push(snapshot(&test.db).await);
    }
    for applied in (1..=total).rev() {
        Migrator::down(&test.db, Some(1)).await.expect("down one");
        let name = format!("after rolling back to {} migration(s)", applied - 1);
        assert_same(
            &snapshot(&test.db).await,
            &steps[applied - 1],
            &name,
            "the same point going up",
        );
    }
    Migrator::up(&test.db, None).await.expect("up again");
    assert_same(
        &snapshot(&test.db).await,
        &steps[total],
        "re-applied",
        "first applied",
    );
}
