//! Helpers wait while a standby lags: a streaming standby with its replay paused holds the
//! online index build and a backfill, which say so, and both finish once replay resumes.
//!
//! The primary is a throwaway cluster of this test's own, not the smoke server: a lagging
//! standby of the smoke server would hold every other test's helpers too.

use std::time::{Duration, Instant};

use deployer::online::ReplicaLag;
use devdb::embedded::{Standby, Throwaway};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr};

use super::child;
use crate::count;

/// The bound the helpers run with: short, so the test is quick.
const MAX_LAG: Duration = Duration::from_secs(1);

#[tokio::test]
async fn helpers_pause_while_a_standby_lags_and_finish_when_it_catches_up() {
    let (primary, standby) = tokio::task::spawn_blocking(|| {
        let primary = Throwaway::start("replica-primary")?;
        let standby = Standby::start(&primary, "replica-standby")?;
        anyhow::Ok((primary, standby))
    })
    .await
    .expect("start the servers")
    .expect("a primary and its standby");
    let db = dbconn::connect(primary.admin_url()).await.expect("primary");
    let replica = dbconn::connect(standby.admin_url()).await.expect("standby");
    db.execute_unprepared(
        "CREATE TABLE items (id bigint PRIMARY KEY, code text NOT NULL, fills integer);
         INSERT INTO items SELECT i, 'code-' || i FROM generate_series(1, 5000) i",
    )
    .await
    .expect("a table to work on");
    wait_until(&db, "the standby catches up", async |db| {
        lag(db).await < MAX_LAG
    })
    .await;
    fall_behind(&db, &replica).await;

    let index = child::command(child::JOB_ITEMS_INDEX, primary.admin_url(), MAX_LAG);
    let backfill = child::command(child::JOB_ITEMS_BACKFILL, primary.admin_url(), MAX_LAG);
    let mut helpers = Vec::new();
    for mut command in [index, backfill] {
        let mut helper = Helper::start(&mut command);
        let said = helper.line_with("pausing: replica").await;
        assert!(said.contains("behind the primary"), "{said}");
        println!("{said}");
        helpers.push(helper);
    }
    // Still waiting a while later, with nothing done.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for helper in &mut helpers {
        let running = helper.child.try_wait().expect("poll").is_none();
        assert!(running, "a helper went on while the standby lagged");
    }
    let filled = "SELECT count(*) FROM items WHERE fills IS NOT NULL";
    assert_eq!(count(&db, filled).await, 0);
    assert_eq!(count(&db, INDEX).await, 0);

    replica
        .execute_unprepared("SELECT pg_wal_replay_resume()")
        .await
        .expect("resume replay");
    for helper in helpers {
        helper.finishes().await;
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM items WHERE fills = 1").await,
        5000
    );
    assert_eq!(count(&db, INDEX).await, 1);
    drop((replica, db, standby, primary));
}

/// Pauses the standby's replay and writes WAL it will not replay, until the primary sees it
/// more than twice the bound behind.
async fn fall_behind(db: &DatabaseConnection, replica: &DatabaseConnection) {
    replica
        .execute_unprepared("SELECT pg_wal_replay_pause()")
        .await
        .expect("pause replay");
    db.execute_unprepared("UPDATE items SET code = code || '-v2'")
        .await
        .expect("WAL the standby will not replay");
    wait_until(db, "the standby falls behind", async |db| {
        lag(db).await > MAX_LAG * 2
    })
    .await;
}

const INDEX: &str = "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relname = 'items_code_idx' AND i.indisvalid";

/// The lag of the standby furthest behind, as a helper starting now would see it.
async fn lag(db: &DatabaseConnection) -> Duration {
    let replicas = ReplicaLag::new(MAX_LAG)
        .replicas(db)
        .await
        .expect("read the standbys");
    assert_eq!(
        replicas.len(),
        1,
        "one standby streams from the primary: {replicas:?}"
    );
    replicas[0].lag
}

/// Polls `holds` every 200 ms for at most 30 s.
async fn wait_until(
    db: &DatabaseConnection,
    what: &str,
    holds: impl AsyncFn(&DatabaseConnection) -> bool,
) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if holds(db).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what}: not within 30 s");
}

/// A helper in a process of its own, and its log.
struct Helper {
    child: Child,
    log: Lines<BufReader<ChildStderr>>,
}

impl Helper {
    fn start(command: &mut tokio::process::Command) -> Helper {
        let mut child = command.spawn().expect("start a helper");
        let stderr = child.stderr.take().expect("piped stderr");
        Helper {
            child,
            log: BufReader::new(stderr).lines(),
        }
    }

    /// Says it continues, and ends well within 60 s.
    async fn finishes(mut self) {
        let said = self.line_with("replicas caught up").await;
        assert!(said.contains("continuing"), "{said}");
        println!("{said}");
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("the helper finishes within 60 s")
            .expect("reap");
        assert!(
            status.success(),
            "the helper failed after the standby caught up"
        );
    }

    /// The next line of the helper's log containing `needle`, read for at most 30 s.
    async fn line_with(&mut self, needle: &str) -> String {
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = self.log.next_line().await.expect("read the helper's log") {
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            Ok(None) => panic!("the helper ended without saying `{needle}`"),
            Err(_) => panic!("the helper did not say `{needle}` within 30 s"),
        }
    }
}
