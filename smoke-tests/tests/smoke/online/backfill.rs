//! Batched backfills: killed twice and resumed, every row is filled exactly once; and the
//! expand/backfill/contract sequence of docs/online-changes.md runs through the deployer.

use std::time::{Duration, Instant};

use deployer::online::{self, Backfill};
use deployer::{Deployer, Settings, Up};
use migration::{MigrationName, MigrationTrait, Migrator, MigratorTrait, SchemaManager};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use smoke_tests::TestDb;

use super::child;
use crate::count;
use crate::deploy::SqlMigration;

const PROGRESS: &str = "SELECT coalesce(max(batches), 0) FROM seaql_backfills \
                        WHERE name = 'messages_char_count'";
const FINISHED: &str = "SELECT count(*) FROM seaql_backfills \
                        WHERE name = 'messages_char_count' AND finished_at IS NOT NULL";

/// A migrated database with the load profile's messages (over 10,000) and the two columns
/// the backfill fills.
async fn loaded(name: &str) -> TestDb {
    let test = TestDb::migrated(name).await;
    seed::load::run(&test.db, 6, false).await.expect("load");
    test
}

#[tokio::test]
async fn a_backfill_killed_twice_fills_every_row_exactly_once() {
    let test = loaded("backfill_killed").await;
    let db = &test.db;
    db.execute_unprepared(
        r#"ALTER TABLE messages ADD COLUMN "charCount" integer, ADD COLUMN fills integer"#,
    )
    .await
    .expect("expand");
    let rows = count(db, "SELECT count(*) FROM messages").await;
    // Kill it after 20, then after 120 batches (of 50 rows): well inside its ~200 batches.
    for at_batches in [20, 120] {
        let mut backfill = child::command(child::JOB_MESSAGES_BACKFILL, &test.url, Duration::ZERO)
            .spawn()
            .expect("start the backfill");
        wait_for(
            db,
            &format!("({PROGRESS}) >= {at_batches}"),
            "the backfill's batches",
        )
        .await;
        backfill.start_kill().expect("SIGKILL"); // no cleanup of any kind runs
        backfill.wait().await.expect("reap the backfill");
        sessions_end(db).await;
        assert_eq!(
            count(db, FINISHED).await,
            0,
            "killed after {at_batches} batches, mid-run"
        );
    }
    let filled = online::backfill(db, &child::messages_backfill())
        .await
        .expect("resume");
    assert!(filled.resumed_after.is_some(), "{filled:?}");
    assert_eq!(filled.total_rows as i64, rows, "{filled:?}");
    let wrong = r#"SELECT count(*) FROM messages
                    WHERE fills IS DISTINCT FROM 1 OR "charCount" IS DISTINCT FROM length(content)"#;
    assert_eq!(count(db, wrong).await, 0, "every row filled exactly once");
    assert_eq!(count(db, FINISHED).await, 1);
    // Finished means finished: another run changes nothing.
    let again = online::backfill(db, &child::messages_backfill())
        .await
        .expect("again");
    assert!(again.already_done && again.rows == 0, "{again:?}");
    assert_eq!(count(db, wrong).await, 0);
}

/// Polls `condition` (a SQL boolean) until it holds, for at most 60 s; an error (the child
/// has not created its table yet) counts as not yet.
async fn wait_for(db: &DatabaseConnection, condition: &str, what: &str) {
    let sql = format!("SELECT ({condition}) AS holds");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), &sql))
            .await;
        if let Ok(Some(row)) = row
            && row.try_get::<bool>("", "holds") == Ok(true)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: `{condition}` did not hold within 60 s");
}

/// PostgreSQL ends a killed client's sessions, rolling back its open batch, once it notices
/// the closed socket; the next run is judged after that.
async fn sessions_end(db: &DatabaseConnection) {
    let sessions = format!(
        "(SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = '{}')",
        child::APPLICATION
    );
    wait_for(db, &sessions, "the killed child's sessions").await;
}

/// The backfill step of an expand/backfill/contract change, as docs/online-changes.md writes
/// it: outside a transaction (each batch commits on its own), forgotten by its `down`.
struct FillCharCount;

impl MigrationName for FillCharCount {
    fn name(&self) -> &str {
        "m20990101_000002_fill_messages_char_count"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FillCharCount {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let job = Backfill {
            only: Some(r#""charCount" IS NULL"#),
            ..Backfill::new(
                "messages_char_count",
                "public",
                "messages",
                r#""charCount" = length("content")"#,
            )
        };
        online::backfill(manager.get_connection(), &job)
            .await
            .map(|_| ())
            .map_err(|err| DbErr::Custom(format!("{err:#}")))
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        online::backfill::forget(manager.get_connection(), "messages_char_count").await
    }
}

/// The four steps: add the column, fill it, add a NOT VALID check, validate it and make the
/// column NOT NULL (the valid check spares that a scan under an exclusive lock).
fn expand_backfill_contract() -> Vec<Box<dyn MigrationTrait>> {
    let step = |name, up: &[&str], down| -> Box<dyn MigrationTrait> {
        Box::new(SqlMigration {
            name,
            up: up.iter().map(|s| s.to_string()).collect(),
            down,
            transactional: true,
        })
    };
    vec![
        step(
            "m20990101_000001_add_messages_char_count",
            &[r#"ALTER TABLE messages ADD COLUMN "charCount" integer"#],
            r#"ALTER TABLE messages DROP COLUMN "charCount""#,
        ),
        Box::new(FillCharCount),
        step(
            "m20990101_000003_check_messages_char_count",
            &[
                r#"ALTER TABLE messages ADD CONSTRAINT "messages_charCount_not_null"
                 CHECK ("charCount" IS NOT NULL) NOT VALID"#,
            ],
            r#"ALTER TABLE messages DROP CONSTRAINT "messages_charCount_not_null""#,
        ),
        step(
            "m20990101_000004_require_messages_char_count",
            &[
                r#"ALTER TABLE messages VALIDATE CONSTRAINT "messages_charCount_not_null""#,
                r#"ALTER TABLE messages ALTER COLUMN "charCount" SET NOT NULL"#,
                r#"ALTER TABLE messages DROP CONSTRAINT "messages_charCount_not_null""#,
            ],
            r#"ALTER TABLE messages ALTER COLUMN "charCount" DROP NOT NULL,
               ADD CONSTRAINT "messages_charCount_not_null" CHECK ("charCount" IS NOT NULL)"#,
        ),
    ]
}

#[tokio::test]
async fn expand_backfill_contract_runs_through_the_deployer_and_back() {
    let test = loaded("backfill_expand_contract").await;
    let db = &test.db;
    let mut migrations = Migrator::migrations();
    migrations.extend(expand_backfill_contract());
    let deployer = Deployer::with_migrations(Settings::default(), migrations)
        .await
        .expect("deployer");
    let applied = deployer.up(db, &Up::default()).await.expect("up");
    assert_eq!(applied.len(), 4, "{applied:?}");
    let not_null = r#"SELECT count(*) FROM information_schema.columns
        WHERE table_name = 'messages' AND column_name = 'charCount' AND is_nullable = 'NO'"#;
    assert_eq!(count(db, not_null).await, 1);
    let wrong = r#"SELECT count(*) FROM messages WHERE "charCount" <> length(content)"#;
    assert_eq!(count(db, wrong).await, 0);
    // Rolled back, the progress goes with the column, so a new `up` fills it again.
    let undone = deployer.down(db, Some(4)).await.expect("down");
    assert_eq!(undone.len(), 4);
    // Phase 6's own backfill keeps its record; this change's is gone.
    let progress = "SELECT count(*) FROM seaql_backfills WHERE name = 'messages_char_count'";
    assert_eq!(count(db, progress).await, 0);
    deployer.up(db, &Up::default()).await.expect("up again");
    assert_eq!(count(db, wrong).await, 0);
    assert_eq!(count(db, not_null).await, 1);
}
