//! A migration never queues behind a long transaction: it gives up within its lock timeout,
//! retries, and succeeds once the lock is gone; one that loses a deadlock is retried too.

use std::time::Duration;

use deployer::{Settings, Up};
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

#[tokio::test]
async fn a_migration_that_loses_a_deadlock_to_the_application_is_retried_and_applied() {
    let test = TestDb::new("a_migration_that_loses_a_deadlock").await;
    // Through phase 6: phase 7's second migration locks every user table in one
    // transaction, users first and messages near the end.
    migration::up_through_phase(&test.db, Some(6))
        .await
        .expect("through phase 6");
    migration_finds_the_deadlock(&test.db).await;
    let app = test.connect().await;
    let write = app.begin().await.expect("begin");
    write
        .execute_unprepared("SET LOCAL deadlock_timeout = '1h'")
        .await
        .expect("the application's deadlock_timeout");
    // The application's insert into messages, which will then want a table the migration
    // holds: the order a message insert and its counter trigger take.
    write
        .execute_unprepared("LOCK TABLE messages IN ROW EXCLUSIVE MODE")
        .await
        .expect("hold messages");
    let deployer = migration::deployer(Settings::default())
        .await
        .expect("deployer");
    let db = test.db.clone();
    let deploy = tokio::spawn(async move { deployer.up(&db, &Up::default()).await });
    // Once the migration waits for messages, holding users, the application asks for users:
    // a deadlock, and the migration, which waited first, is the one the server aborts.
    let waiting = "SELECT count(*) FROM pg_locks WHERE relation = 'public.messages'::regclass AND NOT granted";
    let mut waited = Duration::ZERO;
    while crate::count(&test.db, waiting).await == 0 {
        if deploy.is_finished() {
            panic!("the deploy ended first: {:?}", deploy.await);
        }
        assert!(
            waited < Duration::from_secs(60),
            "the migration never waited for messages"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    write
        .execute_unprepared("LOCK TABLE users IN ACCESS SHARE MODE")
        .await
        .expect("the application's write must not be the deadlock's victim here");
    write.rollback().await.expect("end the write");
    let applied = deploy
        .await
        .expect("deploy task")
        .expect("the migration is retried after the deadlock and applied");
    assert_eq!(
        applied.len(),
        migration::migrations_through_phase(u8::MAX).len()
            - migration::migrations_through_phase(6).len()
    );
}

#[tokio::test]
async fn an_online_index_blocked_by_a_long_transaction_is_retried_and_built() {
    let test = TestDb::new("an_online_index_blocked_is_retried").await;
    migration::up_through_phase(&test.db, Some(5))
        .await
        .expect("through phase 5");
    // A lock that CREATE INDEX CONCURRENTLY (phase 6's first migration) waits for, held past
    // its 5 s lock timeout and released before the retry's ends.
    let app = test.connect().await;
    let long = app.begin().await.expect("begin");
    long.execute_unprepared("LOCK TABLE messages IN SHARE UPDATE EXCLUSIVE MODE")
        .await
        .expect("lock messages");
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(7)).await;
        long.rollback().await.expect("end the long transaction");
    });
    let deployer = migration::deployer(Settings::default())
        .await
        .expect("deployer");
    let applied = deployer
        .up(&test.db, &Up::default())
        .await
        .expect("the online index is retried after its lock timeout and built");
    release.await.expect("release task");
    assert_eq!(
        applied.len(),
        migration::migrations_through_phase(u8::MAX).len()
            - migration::migrations_through_phase(5).len()
    );
}

/// PostgreSQL looks for a deadlock once, deadlock_timeout after a session starts waiting, and
/// aborts the session that finds it. The migration waits first; with the default 1 s, a
/// loaded machine could let its one check pass before the application's request closes the
/// cycle, and the application would find it instead. So the migration's sessions check after
/// 3 s (the application's transaction sets its own far later).
async fn migration_finds_the_deadlock(db: &sea_orm::DatabaseConnection) {
    db.execute_unprepared(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET deadlock_timeout = %L', \
         current_database(), '3s'); END $$",
    )
    .await
    .expect("set the database's deadlock_timeout");
}
