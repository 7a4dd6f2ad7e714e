//! A migrator killed at any moment leaves only whole migrations, and the next run finishes.

use std::time::{Duration, Instant};

use smoke_tests::{Catalog, TestDb, assert_same, migrator};

use super::catalog_at_each_step;
use crate::applied_versions;

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
    let timing = TestDb::new("killed_migrator_timing").await;
    let start = Instant::now();
    let output = migrator::run(&timing.url, &["up"]).await;
    assert!(
        output.status.success(),
        "{}",
        migrator::last_stderr_line(&output)
    );
    let full_run = start.elapsed();
    drop(timing);

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

        let applied = applied_versions(&test.db).await.len();
        if (1..total).contains(&applied) {
            partial_runs += 1;
        }
        assert_same(
            &Catalog::read(&test.db).await,
            &steps[applied],
            &format!("round {round}: killed after {delay:?} with {applied} applied"),
            &format!("exactly {applied} whole migration(s)"),
        );

        let output = migrator::run(&test.url, &["up"]).await;
        assert!(
            output.status.success(),
            "round {round}: the run after the kill failed: {}",
            migrator::last_stderr_line(&output)
        );
        assert_same(
            &Catalog::read(&test.db).await,
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
