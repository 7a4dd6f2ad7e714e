//! Sixteen databases on one server, brought up eight at a time (two waves) by the toy binary,
//! end with the catalog of one migrated alone. How much faster that is than one at a time is
//! a speed figure: `cargo xtask bench` measures it on a quiet machine, not this suite.

use dbcheck::catalog::assert_same;
use smoke_tests::{TestDb, migrator, snapshot, toy};

use super::{Fleet, row_of, toy_total};
use crate::deployer::through;

const SIZE: usize = 16;

#[tokio::test]
async fn a_fleet_of_sixteen_comes_up_eight_at_a_time_identical_to_one_database() {
    if super::skipped_in_a_container() {
        return;
    }
    let reference = TestDb::new("fleet_parallel_reference").await;
    through(&reference.db, toy::INDEX).await;
    let expected = snapshot(&reference.db).await;

    let parallel = Fleet::toy("fleet_parallel", SIZE).await;
    let stdout = up(&parallel, "8").await;
    // The summary has a row per target, each with every migration applied.
    for i in 0..SIZE {
        let row = row_of(&stdout, &Fleet::name(i));
        assert!(
            row.contains(&format!(" {} ", toy_total())) && row.ends_with(" ok"),
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
}

/// Runs `up` on the fleet `parallel` at a time; returns the summary.
async fn up(fleet: &Fleet, parallel: &str) -> String {
    let output = fleet.run(&["up", "--parallel", parallel]).await;
    assert!(
        output.status.success(),
        "--parallel {parallel}: {}",
        migrator::last_stderr_line(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
