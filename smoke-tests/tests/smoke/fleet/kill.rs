//! A fleet runner killed mid-rollout leaves every target with whole migrations only, and the
//! same command run again finishes every target.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use dbcheck::catalog::assert_same;
use sea_orm::DatabaseConnection;
use smoke_tests::{TestDb, migrator, snapshot, toy};

use super::{Fleet, toy_total};
use crate::deploy::rows_if_present;
use crate::deployer::toy_steps;
use crate::query_strings;

const SIZE: usize = 12;

#[tokio::test]
async fn a_fleet_runner_killed_mid_rollout_is_finished_by_a_rerun() {
    if super::skipped_in_a_container() {
        return;
    }
    let reference = TestDb::new("fleet_kill_reference").await;
    let steps = toy_steps(&reference.db).await;
    let admin = dbconn::connect_waiting(
        &std::env::var("SMOKE_SERVER_URL").expect("smoke server"),
        super::BUSY_SERVER_WAIT,
    )
    .await
    .expect("connect to the smoke server");
    // Killed once five targets have started (the second four under way), then once eight
    // have (four left to start: a margin for targets that finish between two polls).
    for (round, started) in [(0, 5), (1, 8)] {
        let fleet = Fleet::toy(&format!("fleet_kill_{round}"), SIZE).await;
        let mut runner = fleet
            .command(&["up", "--parallel", "4"])
            .spawn()
            .expect("start the fleet runner");
        let seen = wait_for_starts(&admin, &fleet, started).await;
        runner.start_kill().expect("SIGKILL"); // no cleanup of any kind runs
        runner.wait().await.expect("reap the runner");
        migrators_gone(&admin, &fleet).await;

        let applied = only_whole_migrations(&fleet, &steps, &format!("round {round}")).await;
        let untouched = applied.iter().filter(|&&n| n == 0).count();
        let partial = applied
            .iter()
            .filter(|&&n| (1..toy_total()).contains(&n))
            .count();
        println!(
            "round {round}: killed with {untouched} target(s) untouched, {partial} part-way, \
             {} complete",
            SIZE - untouched - partial
        );
        assert!(
            untouched > 0,
            "round {round}: the kill came after the rollout ended ({seen} started)"
        );

        let output = fleet.run(&["up", "--parallel", "4"]).await;
        let error = migrator::last_stderr_line(&output);
        assert!(output.status.success(), "round {round}: {error}");
        let applied = only_whole_migrations(&fleet, &steps, &format!("round {round} rerun")).await;
        assert!(
            applied.iter().all(|&n| n == toy_total()),
            "round {round}: {applied:?}"
        );
        fleet.close().await;
    }
}

/// Checks that each target's catalog is that of its recorded migrations, all whole (the toy's
/// run in transactions), and returns how many each has.
async fn only_whole_migrations(
    fleet: &Fleet,
    steps: &[dbcheck::catalog::Snapshot],
    when: &str,
) -> Vec<usize> {
    let mut counts = Vec::with_capacity(fleet.dbs.len());
    for i in 0..fleet.dbs.len() {
        let db = fleet.connect(i).await;
        let applied = rows_if_present(&db, "seaql_migrations", "version")
            .await
            .len();
        let name = format!("{when}: {}", Fleet::name(i));
        let whole = format!("exactly {applied} whole migration(s)");
        assert_same(&snapshot(&db).await, &steps[applied], &name, &whole);
        db.close().await.ok();
        counts.push(applied);
    }
    counts
}

/// Waits until migrators have been seen on `count` of the fleet's databases (for at most
/// 60 s) and returns how many were seen.
async fn wait_for_starts(admin: &DatabaseConnection, fleet: &Fleet, count: usize) -> usize {
    let names: BTreeSet<String> = fleet.dbs.iter().map(|db| db.name.clone()).collect();
    let mut seen = BTreeSet::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        for datname in query_strings(admin, &migrating()).await {
            if names.contains(&datname) {
                seen.insert(datname);
            }
        }
        if seen.len() >= count {
            return seen.len();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("only {} of {count} targets started within 60 s", seen.len());
}

/// The databases where a toy migrator session is open.
fn migrating() -> String {
    format!(
        "SELECT DISTINCT datname::text FROM pg_stat_activity \
         WHERE application_name = '{}' AND datname IS NOT NULL",
        toy::APPLICATION
    )
}

/// PostgreSQL ends a dead runner's sessions, rolling back their open transactions, once it
/// notices the closed sockets: the fleet is judged after that, as the rerun sees it.
async fn migrators_gone(admin: &DatabaseConnection, fleet: &Fleet) {
    let names: BTreeSet<String> = fleet.dbs.iter().map(|db| db.name.clone()).collect();
    for _ in 0..200 {
        let open = query_strings(admin, &migrating()).await;
        if !open.iter().any(|datname| names.contains(datname)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the killed runner's sessions were still open after 10 s");
}
