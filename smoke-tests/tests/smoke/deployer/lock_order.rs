//! A writer is never the victim of a deadlock with a migration: the migration's lock wait ends
//! before the writer's deadlock check, rolls the migration back and it is retried.
//!
//! The cycle is the one phase 7 made under the bench's writer: the writer holds one table
//! (a message insert holds `messages`) and asks for a table the migration holds (its trigger
//! updates `conversations`), and the migration then asks for the writer's table. The writer
//! waits first, so with default settings its deadlock check fires first: before the deployer
//! kept its `lock_timeout` below `deadlock_timeout`, the writer's transaction was aborted
//! (SQLSTATE 40P01). Synchronized on `pg_locks` and on a gate the migration awaits, never on
//! sleeps.

use std::time::Duration;

use deployer::{Settings, Up};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use sea_orm_migration::prelude::*;
use smoke_tests::{TestDb, toy};
use tokio::sync::watch;

/// Locks the authors, waits for the test's gate (in the migrator, not in the database, so
/// that no lock timeout applies), then locks the books: a migration that holds one table
/// while it works, then needs another.
struct AuthorsThenBooks {
    gate: watch::Receiver<bool>,
}

const NAME: &str = "m20260101_000004_authors_then_books";

impl MigrationName for AuthorsThenBooks {
    fn name(&self) -> &str {
        NAME
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AuthorsThenBooks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE toy_authors ADD COLUMN born date")
            .await?;
        let mut gate = self.gate.clone();
        gate.wait_for(|open| *open)
            .await
            .map_err(|_| DbErr::Custom("the test dropped the gate".into()))?;
        db.execute_unprepared("ALTER TABLE toy_books ADD COLUMN published date")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE toy_books DROP COLUMN published; \
                 ALTER TABLE toy_authors DROP COLUMN born",
            )
            .await
            .map(|_| ())
    }
}

/// 0 once a session holds `mode` on `table`, as a count for `wait_for_zero`.
fn none_holding(table: &str, mode: &str) -> String {
    format!(
        "SELECT CASE WHEN count(*) > 0 THEN 0 ELSE 1 END::int8 FROM pg_locks \
         WHERE relation = 'public.{table}'::regclass AND granted AND mode = '{mode}'"
    )
}

#[tokio::test]
async fn a_writer_in_a_lock_cycle_with_a_migration_commits_and_the_migration_is_retried() {
    let test = TestDb::new("toy_a_writer_in_a_lock_cycle_commits").await;
    super::through(&test.db, toy::INDEX).await;
    // Open while the deployer renders the migration for its checksum, shut for its first run.
    let (gate, closed) = watch::channel(true);
    let mut migrations = toy::migrations();
    migrations.push(Box::new(AuthorsThenBooks { gate: closed }));
    let deployer = toy::deployer(Settings::default(), migrations).await;
    gate.send_replace(false);

    // The writer holds the books, as a message insert holds `messages`.
    let app = test.connect().await;
    let write = app.begin().await.expect("begin");
    write
        .execute_unprepared("LOCK TABLE toy_books IN ROW EXCLUSIVE MODE")
        .await
        .expect("hold the books");
    let db = test.db.clone();
    let deploy = tokio::spawn(async move { deployer.up(&db, &Up::default()).await });
    let limit = Duration::from_secs(60);
    super::wait_for_zero(
        &test.db,
        &none_holding("toy_authors", "AccessExclusiveLock"),
        limit,
    )
    .await;
    // Then it asks for the authors the migration holds, as its trigger updates the
    // conversation, and waits: first.
    let writer = tokio::spawn(async move {
        write
            .execute_unprepared("LOCK TABLE toy_authors IN ROW EXCLUSIVE MODE")
            .await?;
        write.commit().await
    });
    super::wait_for_zero(&test.db, &super::none_waiting_for("toy_authors"), limit).await;
    // Now the migration asks for the books: a lock cycle.
    gate.send_replace(true);

    let committed = writer.await.expect("writer task");
    assert!(
        committed.is_ok(),
        "the writer must never be the deadlock's victim: {committed:?}"
    );
    let applied = deploy
        .await
        .expect("deploy task")
        .expect("the migration is rolled back, retried and applied");
    assert_eq!(applied, [NAME]);
    assert_eq!(
        super::applied(&test.db).await.last().map(String::as_str),
        Some(NAME)
    );
}
