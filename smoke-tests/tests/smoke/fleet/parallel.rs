//! Forty databases on one server, brought up eight at a time, end with the catalog of one
//! migrated alone; the same rollout one at a time is timed beside it.

use std::io::Write;
use std::time::{Duration, Instant};

use dbcheck::catalog::assert_same;
use smoke_tests::{TestDb, migrator, snapshot};

use super::{Fleet, row_of, total};

const SIZE: usize = 40;

#[tokio::test]
async fn a_fleet_of_forty_comes_up_eight_at_a_time_identical_to_one_database() {
    if super::skipped_in_a_container() {
        return;
    }
    let reference = TestDb::migrated("fleet_parallel_reference").await;
    let expected = snapshot(&reference.db).await;

    let parallel = Fleet::new("fleet_parallel", SIZE).await;
    let (took_parallel, stdout) = timed_up(&parallel, "8").await;
    // The summary has a row per target, each with every migration applied.
    for i in 0..SIZE {
        let row = row_of(&stdout, &Fleet::name(i));
        assert!(
            row.contains(&format!(" {} ", total())) && row.ends_with(" ok"),
            "{row}"
        );
    }
    for i in 0..SIZE {
        let db = parallel.connect(i).await;
        assert_same(
            &snapshot(&db).await,
            &expected,
            &format!("fleet target {}", Fleet::name(i)),
            "one database migrated alone",
        );
        db.close().await.ok();
    }
    parallel.close().await;

    let sequential = Fleet::new("fleet_sequential", SIZE).await;
    let (took_sequential, _) = timed_up(&sequential, "1").await;
    // Printed, not asserted: the ratio depends on the machine and on the tests beside it.
    // Written to stderr itself, which the test harness does not capture, so every smoke run
    // shows it.
    let figure = format!(
        "fleet of {SIZE} on one server, beside the other smoke tests (the bench has the quiet \
         figure): --parallel 8 took {:.1}s, --parallel 1 took {:.1}s ({:.2}x)\n",
        took_parallel.as_secs_f64(),
        took_sequential.as_secs_f64(),
        took_sequential.as_secs_f64() / took_parallel.as_secs_f64().max(0.001)
    );
    std::io::stderr().write_all(figure.as_bytes()).ok();
    sequential.close().await;
}

/// Runs `up` on the fleet `parallel` at a time; returns how long it took and the summary.
async fn timed_up(fleet: &Fleet, parallel: &str) -> (Duration, String) {
    let started = Instant::now();
    let output = fleet.run(&["up", "--parallel", parallel]).await;
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "--parallel {parallel}: {}",
        migrator::last_stderr_line(&output)
    );
    (took, String::from_utf8_lossy(&output.stdout).into_owned())
}
