//! A migration never queues behind a long transaction: it gives up within its lock timeout,
//! retries, and succeeds once the lock is gone; one that loses a deadlock is retried too.
//! Every race here is synchronized on `pg_locks`: the test acts once the migration waits.

use std::time::Duration;

use deployer::{Settings, Up};
use sea_orm::{ConnectionTrait, TransactionTrait};
use smoke_tests::{TestDb, toy};

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
    let test = TestDb::new("toy_a_migration_gives_up_on_a_locked_table").await;
    // The books' foreign key to the authors needs a lock on the authors.
    super::through(&test.db, toy::AUTHORS).await;
    let before = Snapshot::read(&test.db).await;

    // The application's long transaction.
    let app = test.connect().await;
    let long = app.begin().await.expect("begin");
    long.execute_unprepared("LOCK TABLE toy_authors IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock the authors");

    let err = toy::deployer(quick(2), toy::migrations())
        .await
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
    let test = TestDb::new("toy_a_migration_retries_and_succeeds").await;
    super::through(&test.db, toy::AUTHORS).await;

    let app = test.connect().await;
    let long = app.begin().await.expect("begin");
    long.execute_unprepared("LOCK TABLE toy_authors IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock the authors");
    let deployer = toy::deployer(quick(5), toy::migrations()).await;
    let db = test.db.clone();
    let deploy = tokio::spawn(async move { deployer.up(&db, &Up::default()).await });
    // The lock ends once the migration has given up on it at least once.
    super::wait_for_a_retry_on(&test.db, "toy_authors").await;
    long.rollback().await.expect("end the long transaction");

    let applied = deploy.await.expect("deploy task").expect("up succeeds");
    assert_eq!(applied, [toy::BOOKS, toy::INDEX]);
}

#[tokio::test]
async fn a_migration_that_loses_a_deadlock_to_the_application_is_retried_and_applied() {
    let test = TestDb::new("toy_a_migration_that_loses_a_deadlock").await;
    super::through(&test.db, toy::INDEX).await;
    // The server looks for a deadlock once per wait, deadlock_timeout after it began, and
    // aborts the session that looks. The migration's sessions would look after 3 s, but give
    // up waiting after half of that (their lock_timeout stays below deadlock_timeout); the
    // application never looks.
    test.db
        .execute_unprepared(&format!(
            "ALTER DATABASE {} SET deadlock_timeout = '3s'",
            dbconn::url::quote_ident(
                &dbconn::url::database_name(&test.url).expect("database name")
            )
        ))
        .await
        .expect("the migration's deadlock_timeout");
    let app = test.connect().await;
    let write = app.begin().await.expect("begin");
    // The application's write to the books, which will then want the authors the migration
    // holds.
    write
        .execute_unprepared(
            "SET LOCAL deadlock_timeout = '10min'; LOCK TABLE toy_books IN ROW EXCLUSIVE MODE",
        )
        .await
        .expect("hold the books");
    let mut migrations = toy::migrations();
    migrations.push(Box::new(toy::locks_both_tables()));
    let deployer = toy::deployer(Settings::default(), migrations).await;
    let db = test.db.clone();
    let deploy = tokio::spawn(async move { deployer.up(&db, &Up::default()).await });
    // Once the migration waits for the books, holding the authors, the application asks for
    // the authors: a deadlock, and the migration, which waited first, is the one rolled back.
    super::wait_for_zero(
        &test.db,
        &super::none_waiting_for("toy_books"),
        Duration::from_secs(60),
    )
    .await;
    assert!(!deploy.is_finished(), "the deploy ended first");
    write
        .execute_unprepared("LOCK TABLE toy_authors IN ACCESS SHARE MODE")
        .await
        .expect("the application's write must not be the deadlock's victim here");
    write.rollback().await.expect("end the write");
    let applied = deploy
        .await
        .expect("deploy task")
        .expect("the migration is retried after the deadlock and applied");
    assert_eq!(applied, [toy::locks_both_tables().name]);
}

#[tokio::test]
async fn an_online_index_blocked_by_a_long_transaction_is_retried_and_built() {
    let test = TestDb::new("toy_an_online_index_blocked_is_retried").await;
    super::through(&test.db, toy::INDEX).await;
    // A lock that CREATE INDEX CONCURRENTLY waits for, held past its lock timeout.
    let app = test.connect().await;
    let long = app.begin().await.expect("begin");
    long.execute_unprepared("LOCK TABLE toy_books IN SHARE UPDATE EXCLUSIVE MODE")
        .await
        .expect("lock the books");
    let mut migrations = toy::migrations();
    migrations.push(Box::new(toy::IndexBooksByTitle));
    let deployer = toy::deployer(Settings::default(), migrations).await;
    let db = test.db.clone();
    let deploy = tokio::spawn(async move { deployer.up(&db, &Up::default()).await });
    // Released once the build has given up on it at least once.
    super::wait_for_a_retry_on(&test.db, "toy_books").await;
    long.rollback().await.expect("end the long transaction");
    let applied = deploy
        .await
        .expect("deploy task")
        .expect("the online index is retried after its lock timeout and built");
    assert_eq!(applied, [toy::BY_TITLE_MIGRATION]);
}

/// The first column of the one row of `sql`, a number.
async fn number(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .unwrap_or_else(|| panic!("no row: {sql}"))
    .try_get_by_index::<i64>(0)
    .expect("a number")
}

/// An online step sets a lock_timeout of its own and RESETs it after: the migrations after it
/// must still give up before the server's deadlock_timeout, as the session chose, and not
/// wait `--ddl-lock-timeout` (a writer queued behind such a wait waited past the deadlock
/// check, a second in the bench, until PostgreSQL cancelled the autovacuum the migration
/// waited for).
#[tokio::test]
async fn a_migration_after_an_online_index_still_gives_up_before_the_deadlock_timeout() {
    let test = TestDb::new("toy_lock_timeout_after_an_online_index").await;
    let mut migrations = toy::migrations();
    migrations.push(Box::new(toy::IndexBooksByTitle));
    migrations.push(Box::new(toy::SqlMigration::new(
        "m20260101_000005_record_lock_timeout",
        "CREATE TABLE toy_lock_timeouts AS \
         SELECT setting::int8 AS waits_ms FROM pg_settings WHERE name = 'lock_timeout'",
        "DROP TABLE toy_lock_timeouts",
    )));
    let settings = Settings::default();
    let ddl = settings.ddl_lock_timeout.as_millis() as i64;
    toy::deployer(settings, migrations)
        .await
        .up(&test.db, &Up::default())
        .await
        .expect("deploy");
    let deadlock = number(
        &test.db,
        "SELECT setting::int8 FROM pg_settings WHERE name = 'deadlock_timeout'",
    )
    .await;
    assert!(
        deadlock / 2 < ddl,
        "the default --ddl-lock-timeout is the longer"
    );
    let waits = number(&test.db, "SELECT waits_ms FROM toy_lock_timeouts").await;
    assert_eq!(waits, deadlock / 2);
}
