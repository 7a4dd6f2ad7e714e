//! A migrator killed at any moment leaves only whole migrations, and the next run finishes.
//! The one exception is a migration that runs outside a transaction (an online index): killed
//! during it, the catalog may hold part of it, which the next run completes.

use std::time::{Duration, Instant};

use dbcheck::catalog::assert_same;
use smoke_tests::{TestDb, migrator, snapshot};

use super::{assert_whole_or_between, catalog_at_each_step, rows_if_present};
use crate::count;

/// A small deterministic generator, so a failing kill point can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test]
async fn a_migrator_killed_anywhere_leaves_only_whole_migrations() {
    let reference = TestDb::new("killed_migrator_reference").await;
    let steps = catalog_at_each_step(&reference.db).await;
    let total = steps.len() - 1;

    // How long a whole run takes here, so kill points spread over all of it.
    let full_run = time_a_whole_run().await;

    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    let mut partial_runs = 0;
    for round in 0..20 {
        let test = TestDb::new(&format!("killed_migrator_{round}")).await;
        let delay = Duration::from_micros(rng.next() % full_run.as_micros().max(1) as u64);
        let mut child = migrator::command(&test.url, &["up"])
            .spawn()
            .expect("start a migrator");
        tokio::time::sleep(delay).await;
        child.start_kill().ok(); // SIGKILL: no cleanup of any kind runs.
        child.wait().await.expect("reap the migrator");
        sessions_of_the_dead_migrator_end(&test.db).await;

        let applied = rows_if_present(&test.db, "seaql_migrations", "version")
            .await
            .len();
        if (1..total).contains(&applied) {
            partial_runs += 1;
        }
        let name = format!("round {round}: killed after {delay:?} with {applied} applied");
        assert_whole_or_between(&snapshot(&test.db).await, &steps, applied, &name);

        let output = migrator::run(&test.url, &["up"]).await;
        assert!(
            output.status.success(),
            "round {round}: the run after the kill failed: {}",
            migrator::last_stderr_line(&output)
        );
        assert_same(
            &snapshot(&test.db).await,
            &steps[total],
            &format!("round {round}: completed after the kill"),
            "a run never killed",
        );
    }
    // The kills must really land mid-run, or this test proves nothing.
    assert!(
        partial_runs >= 3,
        "only {partial_runs} of 20 kills landed mid-run"
    );
}

/// Checks that a migrator run on a fresh database succeeds, and returns how long it took.
async fn time_a_whole_run() -> Duration {
    let timing = TestDb::new("killed_migrator_timing").await;
    let start = Instant::now();
    let output = migrator::run(&timing.url, &["up"]).await;
    assert!(
        output.status.success(),
        "{}",
        migrator::last_stderr_line(&output)
    );
    start.elapsed()
}

/// PostgreSQL ends a dead client's sessions when it notices the closed socket, and rolls
/// back its open transaction; the database is judged after that, as the next deploy sees it.
async fn sessions_of_the_dead_migrator_end(db: &sea_orm::DatabaseConnection) {
    let sql = "SELECT count(*) FROM pg_stat_activity \
               WHERE datname = current_database() AND application_name = 'agents-db migrator'";
    for _ in 0..200 {
        if count(db, sql).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the killed migrator's sessions were still open after 10 s");
}
