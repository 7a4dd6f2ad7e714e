//! A migration never queues behind a long transaction: it gives up within its lock timeout,
//! retries, and succeeds once the lock is gone.

use std::time::Duration;

use migration::deploy::{Settings, Up};
use sea_orm::{ConnectionTrait, TransactionTrait};
use smoke_tests::TestDb;

use super::Snapshot;

fn quick(retries: u32) -> Settings {
    Settings {
        ddl_lock_timeout: Duration::from_millis(200),
        retries,
        ..Settings::default()
    }
}

#[tokio::test]
async fn a_migration_gives_up_on_a_table_locked_by_a_long_transaction() {
    let test = TestDb::new("a_migration_gives_up_on_a_locked_table").await;
    // Through phase 2's enums: the next migration is the first to touch users.
    let enums = Up {
        through: Some("m20261121_000101_create_support_storage_enums".into()),
        ..Up::default()
    };
    let deployer = migration::deployer(quick(2)).await.expect("deployer");
    deployer
        .up(&test.db, &enums)
        .await
        .expect("through the enums");
    let before = Snapshot::read(&test.db).await;

    // The application's long transaction: phase 2 adds foreign keys to users.
    let app = test.connect().await;
    let long = app.begin().await.expect("begin");
    long.execute_unprepared("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock users");

    let err = deployer
        .up(&test.db, &Up::default())
        .await
        .expect_err("the migration must give up")
        .to_string();
    assert!(
        err.contains("stayed locked by another session for more than 200ms, 3 times"),
        "{err}"
    );
    long.rollback().await.expect("end the long transaction");
    assert_eq!(Snapshot::read(&test.db).await, before);
}

#[tokio::test]
async fn a_migration_retries_and_succeeds_once_the_lock_is_gone() {
    let test = TestDb::new("a_migration_retries_and_succeeds").await;
    migration::up_through_phase(&test.db, Some(1))
        .await
        .expect("phase 1");

    let app = test.connect().await;
    let long = app.begin().await.expect("begin");
    long.execute_unprepared("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock users");
    // The lock ends while the migrator is between retries.
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        long.rollback().await.expect("end the long transaction");
    });

    let deployer = migration::deployer(quick(5)).await.expect("deployer");
    let applied = deployer
        .up(&test.db, &Up::default())
        .await
        .expect("up succeeds");
    release.await.expect("release task");
    assert_eq!(
        applied.len(),
        migration::migrations_through_phase(u8::MAX).len()
            - migration::migrations_through_phase(1).len()
    );
}
