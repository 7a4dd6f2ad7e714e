//! A migrator whose network fails mid-migration (a proxy that stops forwarding, connections
//! reset at any byte) exits within its bound, the server frees everything within the same
//! bound, and the next migrator finishes. The migrator is the toy binary; the fault comes
//! while the books' foreign key holds a lock on the authors.

use std::process::Output;
use std::time::{Duration, Instant};

use dbcheck::catalog::{Snapshot, assert_same};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use smoke_tests::proxy::{Fault, Proxy};
use smoke_tests::{TestDb, migrator, snapshot, toy};

use super::{applied, through, toy_steps, wait_for_zero};

/// The test's --hang-timeout: short, so the test is quick.
pub const BOUND: Duration = Duration::from_secs(3);
/// What the measurements may exceed the bound by: polling, process exit, a loaded machine.
pub const SLACK: Duration = Duration::from_secs(3);

/// The toy migration's statement the faults wait for: it locks the authors.
const NEEDLE: &[u8] = b"REFERENCES toy_authors";

#[tokio::test]
async fn a_migrator_behind_a_hung_proxy_exits_and_frees_the_server_within_its_bound() {
    // Longer than the other tests' bound: the next migrator, started once the fault fires,
    // must reach the lock while the hung one still holds it, even on a loaded machine.
    let bound = Duration::from_secs(8);
    let clean = a_clean_run("toy_hung_proxy_reference").await;
    let test = TestDb::new("toy_hung_proxy").await;
    through(&test.db, toy::AUTHORS).await;

    let proxy = Proxy::start(&test.url, Fault::BlackholeAfter(NEEDLE.to_vec())).await;
    let hung = bounded_by(
        bound,
        migrator::toy_command(&faulty(&proxy, &test.url), &["up"]),
    )
    .spawn()
    .expect("start the migrator");
    assert!(
        proxy.fired_within(Duration::from_secs(60)).await,
        "the migrator never sent the foreign key to the authors"
    );
    let fault = Instant::now();
    // The state: the migration session idle in its transaction, the authors locked.
    wait_for_zero(&test.db, &authors_locked(), Duration::from_secs(5)).await;
    // Its sessions, by pid: the next migrator's have the same application name.
    let pids = crate::query_strings(&test.db, &format!("SELECT pid::text FROM {}", ours())).await;
    assert!(
        !application_can_write_authors(&test.db).await,
        "the fault should block the application's writes to the authors"
    );
    // A second migrator started now succeeds by itself once the first one's lock is freed.
    let next = bounded_by(bound, migrator::toy_command(&test.url, &["up"]))
        .spawn()
        .expect("start the next migrator");

    assert_hung_migrator_ends_within(&test.db, hung, fault, &pids, bound).await;

    let next = next
        .wait_with_output()
        .await
        .expect("reap the next migrator");
    assert_waited_and_succeeded(&next);
    assert_same(
        &snapshot(&test.db).await,
        &clean,
        "after the hung run and the next one",
        "a clean run",
    );
    assert!(application_can_write_authors(&test.db).await);
}

/// The catalog of a database (named `name`) the toy migrated without a fault.
async fn a_clean_run(name: &str) -> Snapshot {
    let reference = TestDb::new(name).await;
    through(&reference.db, toy::INDEX).await;
    snapshot(&reference.db).await
}

/// Checks that the hung migrator exits and its sessions end within `bound` of the fault.
async fn assert_hung_migrator_ends_within(
    db: &DatabaseConnection,
    hung: tokio::process::Child,
    fault: Instant,
    pids: &[String],
    bound: Duration,
) {
    let lost = format!(
        "no answer to the heartbeat for {}s (--hang-timeout)",
        bound.as_secs()
    );
    let gone = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE pid IN ({})",
        pids.join(", ")
    );
    let after = measure(db, hung, fault, &gone, &lost).await;
    assert_exited_and_released_within("hung proxy", bound, after);
}

/// Prints how long after the fault (`fault` names it) the hung migrator exited and the server
/// released its sessions and locks, and checks that both came within `bound` and [`SLACK`].
fn assert_exited_and_released_within(
    fault: &str,
    bound: Duration,
    (exited, released): (Duration, Duration),
) {
    eprintln!(
        "{fault}, --hang-timeout {}s: migrator exited after {exited:?}, \
         server released its sessions and locks after {released:?}",
        bound.as_secs()
    );
    assert!(exited <= bound + SLACK, "exited after {exited:?}");
    assert!(released <= bound + SLACK, "released after {released:?}");
}

#[tokio::test]
async fn a_migrator_whose_session_alone_hangs_exits_within_its_bound() {
    let clean = a_clean_run("toy_hung_session_reference").await;
    let test = TestDb::new("toy_hung_session").await;
    through(&test.db, toy::AUTHORS).await;

    // Only the migration session's connection stops; the lock's heartbeat still gets through.
    let proxy = Proxy::start(&test.url, Fault::HangConnectionAfter(NEEDLE.to_vec())).await;
    let hung = bounded(migrator::toy_command(&faulty(&proxy, &test.url), &["up"]))
        .spawn()
        .expect("start the migrator");
    assert!(
        proxy.fired_within(Duration::from_secs(60)).await,
        "the migrator never sent the foreign key to the authors"
    );
    let fault = Instant::now();
    let lost = "the server ended the migration session (pid ";
    let gone = format!("SELECT count(*) FROM {}", ours());
    let after = measure(&test.db, hung, fault, &gone, lost).await;
    assert_exited_and_released_within("one hung connection", BOUND, after);
    let next = migrator::run_toy(&test.url, &["up"]).await;
    assert!(next.status.success(), "{}", migrator::printed(&next));
    assert_same(
        &snapshot(&test.db).await,
        &clean,
        "after the hung session and the next run",
        "a clean run",
    );
}

#[tokio::test]
async fn a_connection_reset_at_any_byte_leaves_only_whole_migrations() {
    let reference = TestDb::new("toy_reset_reference").await;
    let steps = toy_steps(&reference.db).await;
    drop(reference);

    // The bytes of a whole run, so the offsets spread over all of it, and of a run that finds
    // nothing to apply, below which few offsets land mid-migration.
    let whole = bytes_of_a_run("toy_reset_timing", false).await;
    let nothing = bytes_of_a_run("toy_reset_timing_nothing", true).await;
    let spread = |from: u64, rounds: u64, round: u64| {
        // Shifted by a prime so no offset lands on a message boundary twice.
        from + (whole - from) * (round + 1) / (rounds + 1) + round * 97
    };
    const ROUNDS: u64 = 12;
    let offsets = (0..ROUNDS)
        .map(|round| spread(0, ROUNDS, round))
        .chain((0..ROUNDS).map(|round| spread(nothing.min(whole), ROUNDS, round)));
    // The rounds wait on the server and the proxy more than they compute, so four run at once,
    // each on its own database. Not in a container: there, four at once coincided with the
    // server stalling for over a minute and closing a round's connection mid-query (CI,
    // 2026-12-06; cause not found), so the rounds run one at a time as before.
    let container = smoke_tests::server_is_a_container();
    let steps = std::sync::Arc::new(steps);
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(if container { 1 } else { 4 }));
    let mut rounds = tokio::task::JoinSet::new();
    for (round, offset) in offsets.enumerate() {
        let (steps, gate) = (steps.clone(), gate.clone());
        rounds.spawn(async move {
            let _turn = gate.acquire_owned().await.expect("the rounds' gate");
            reset_once(round, offset, &steps).await
        });
    }
    let mut partial = 0;
    while let Some(applied) = rounds.join_next().await {
        if (1..steps.len() - 1).contains(&applied.expect("a reset round")) {
            partial += 1;
        }
    }
    eprintln!(
        "connection resets: {partial} of {} landed mid-run",
        2 * ROUNDS
    );
    assert!(
        partial >= 3,
        "only {partial} of {} resets landed mid-run",
        2 * ROUNDS
    );
}

/// The bytes a toy run through a proxy sends and receives, on a new database, or on one
/// already migrated (`migrated`).
async fn bytes_of_a_run(name: &str, migrated: bool) -> u64 {
    let timing = TestDb::new(name).await;
    if migrated {
        through(&timing.db, toy::INDEX).await;
    }
    let proxy = Proxy::start(&timing.url, Fault::None).await;
    let output = migrator::run_toy(&proxy.url(&timing.url), &["up"]).await;
    assert!(output.status.success(), "{}", migrator::printed(&output));
    proxy.forwarded()
}

/// One migrator whose connections are reset at byte `offset`: it ends with one error line,
/// leaves whole migrations only (`steps[n]` is the catalog after n), and the next run
/// completes. Returns how many migrations the reset run left applied.
async fn reset_once(round: usize, offset: u64, steps: &[Snapshot]) -> usize {
    let test = TestDb::new(&format!("toy_reset_{round}")).await;
    let proxy = Proxy::start(&test.url, Fault::ResetAt(offset)).await;
    let run = bounded(migrator::toy_command(&faulty(&proxy, &test.url), &["up"])).output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("a reset migrator must not hang")
        .expect("run the migrator");
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
        assert_eq!(errors, 1, "round {round}: one error line: {stderr}");
    }
    let gone = format!("SELECT count(*) FROM {}", ours());
    wait_for_zero(&test.db, &gone, Duration::from_secs(10)).await;
    let applied = applied(&test.db).await.len();
    let name = format!("round {round}: reset at byte {offset}, {applied} applied");
    let whole = format!("exactly {applied} whole migration(s)");
    assert_same(&snapshot(&test.db).await, &steps[applied], &name, &whole);
    let output = migrator::run_toy(&test.url, &["up"]).await;
    assert!(
        output.status.success(),
        "round {round}: {}",
        migrator::printed(&output)
    );
    assert_same(
        &snapshot(&test.db).await,
        &steps[steps.len() - 1],
        &format!("round {round}: completed after the reset"),
        "a run never reset",
    );
    applied
}

/// A migrator with the tests' short bound.
pub fn bounded(command: tokio::process::Command) -> tokio::process::Command {
    bounded_by(BOUND, command)
}

/// A migrator with the given bound.
fn bounded_by(bound: Duration, mut command: tokio::process::Command) -> tokio::process::Command {
    command.env("MIGRATE_HANG_TIMEOUT", format!("{}s", bound.as_secs()));
    command
}

/// How long after `fault` the hung migrator exited (with one error line saying it lost the
/// server, and `why`), and the server ended every session of it (`gone` counts them).
async fn measure(
    db: &DatabaseConnection,
    hung: tokio::process::Child,
    fault: Instant,
    gone: &str,
    why: &str,
) -> (Duration, Duration) {
    let exited = async {
        let output = tokio::time::timeout(Duration::from_secs(60), hung.wait_with_output())
            .await
            .expect("the hung migrator never exited")
            .expect("reap the hung migrator");
        (output, fault.elapsed())
    };
    let released = async {
        wait_for_zero(db, gone, Duration::from_secs(60)).await;
        fault.elapsed()
    };
    let ((output, exited_after), released_after) = tokio::join!(exited, released);
    assert_lost(&output, why);
    (exited_after, released_after)
}

/// The next migrator waited, naming the holder of the lock, then finished the job.
fn assert_waited_and_succeeded(next: &Output) {
    assert!(next.status.success(), "{}", migrator::printed(next));
    let waited = String::from_utf8_lossy(&next.stderr);
    let holder = format!("application `{}`, client ", toy::APPLICATION);
    assert!(
        waited.contains("another migrator holds the migration lock: pid ")
            // The client address is the proxy's, or a container's gateway.
            && waited.contains(&holder)
            && waited.contains(" for ")
            && waited.contains("s (connected "),
        "the waiting migrator should name the holder: {waited}"
    );
}

/// The hung migrator's one error line: it lost its server (`why`), and says to run again.
fn assert_lost(output: &Output, why: &str) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        migrator::printed(output)
    );
    let line = migrator::last_stderr_line(output);
    assert!(
        line.starts_with("error: ")
            && line.contains("lost the database server: ")
            && line.contains(why)
            && line.ends_with("so run the command again"),
        "{line}"
    );
}

/// The application name of a migrator behind the proxy, for its main connection; its lock
/// and migration sessions carry the project's. Sessions are told apart by name and
/// database, not by client port: a container's NAT shows other ports than the proxy's.
pub const FAULTY: &str = "faulty-migrator";

/// `url` through `proxy`, naming the faulty migrator's main connection.
pub fn faulty(proxy: &Proxy, url: &str) -> String {
    format!("{}?application_name={FAULTY}", proxy.url(url))
}

/// The sessions of toy migrators on the test's database.
fn ours() -> String {
    format!(
        "pg_stat_activity WHERE datname = current_database() \
         AND application_name IN ('{}', '{FAULTY}')",
        toy::APPLICATION
    )
}

/// 0 once a migrator's session sits idle in its transaction holding a lock on the authors.
fn authors_locked() -> String {
    format!(
        "SELECT CASE WHEN count(*) > 0 THEN 0 ELSE 1 END::int8 \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.granted AND l.relation = 'toy_authors'::regclass \
           AND a.state = 'idle in transaction' \
           AND a.datname = current_database() AND a.application_name = '{}'",
        toy::APPLICATION
    )
}

/// Whether the application could write to the authors now, without waiting.
async fn application_can_write_authors(db: &DatabaseConnection) -> bool {
    let txn = db.begin().await.expect("begin");
    let locked = txn
        .execute_unprepared("LOCK TABLE toy_authors IN ROW EXCLUSIVE MODE NOWAIT")
        .await;
    txn.rollback().await.expect("rollback");
    locked.is_ok()
}
