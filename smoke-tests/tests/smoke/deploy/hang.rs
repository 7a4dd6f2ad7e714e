//! A migrator whose network fails mid-migration (a proxy that stops forwarding, connections reset at any byte) exits within its bound, the server frees everything within the same bound, and the next migrator finishes.

use std::process::Output;
use std::time::{Duration, Instant};

use dbcheck::catalog::{Snapshot, assert_same};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use smoke_tests::proxy::{Fault, Proxy};
use smoke_tests::{TestDb, migrator, snapshot};

use super::{catalog_at_each_step, rows_if_present};
use crate::count;

/// The test's --hang-timeout: short, so the test is quick.
const BOUND: Duration = Duration::from_secs(3);
/// What the measurements may exceed the bound by: polling, process exit, a loaded machine.
const SLACK: Duration = Duration::from_secs(3);

#[tokio::test]
async fn a_migrator_behind_a_hung_proxy_exits_and_frees_the_server_within_its_bound() {
    // Longer than the other tests' bound: the next migrator, started once the fault fires,
    // must reach the lock while the hung one still holds it, even on a loaded machine.
    let bound = Duration::from_secs(8);
    let reference = TestDb::migrated("hung_proxy_reference").await;
    let clean = snapshot(&reference.db).await;
    drop(reference);
    let test = TestDb::new("hung_proxy").await;
    through_identity_tables(&test.db).await;

    let proxy = Proxy::start(
        &test.url,
        Fault::BlackholeAfter(br#"REFERENCES "users""#.to_vec()),
    )
    .await;
    let hung = bounded_by(
        bound,
        migrator::command(&faulty(&proxy, &test.url), &["up"]),
    )
    .spawn()
    .expect("start the migrator");
    assert!(
        proxy.fired_within(Duration::from_secs(60)).await,
        "the migrator never sent a foreign key to users"
    );
    let fault = Instant::now();
    // The issue's state: the migration session idle in its transaction, users locked.
    wait_for(&test.db, USERS_LOCKED, Duration::from_secs(5)).await;
    // Its sessions, by pid: the next migrator's have the same application name.
    let pids = crate::query_strings(&test.db, &format!("SELECT pid::text FROM {OURS}")).await;
    assert!(
        !application_can_write_users(&test.db).await,
        "the fault should block the application's writes to users"
    );
    // A second migrator started now succeeds by itself once the first one's lock is freed.
    let next = bounded_by(bound, migrator::command(&test.url, &["up"]))
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
    assert!(application_can_write_users(&test.db).await);
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
    let (exited_after, released_after) = measure(db, hung, fault, &gone, &lost).await;
    eprintln!(
        "hung proxy, --hang-timeout {}s: migrator exited after {exited_after:?}, \
         server released its sessions and locks after {released_after:?}",
        bound.as_secs()
    );
    assert!(
        exited_after <= bound + SLACK,
        "exited after {exited_after:?}"
    );
    assert!(
        released_after <= bound + SLACK,
        "released after {released_after:?}"
    );
}

#[tokio::test]
async fn a_migrator_whose_session_alone_hangs_exits_within_its_bound() {
    let reference = TestDb::migrated("hung_session_reference").await;
    let clean = snapshot(&reference.db).await;
    drop(reference);
    let test = TestDb::new("hung_session").await;
    through_identity_tables(&test.db).await;

    // Only the migration session's connection stops; the lock's heartbeat still gets through.
    let needle = br#"REFERENCES "users""#.to_vec();
    let proxy = Proxy::start(&test.url, Fault::HangConnectionAfter(needle)).await;
    let hung = bounded(migrator::command(&faulty(&proxy, &test.url), &["up"]))
        .spawn()
        .expect("start the migrator");
    assert!(
        proxy.fired_within(Duration::from_secs(60)).await,
        "the migrator never sent a foreign key to users"
    );
    let fault = Instant::now();
    let lost = "the server ended the migration session (pid ";
    let gone = format!("SELECT count(*) FROM {OURS}");
    let (exited_after, released_after) = measure(&test.db, hung, fault, &gone, lost).await;
    eprintln!(
        "one hung connection, --hang-timeout {}s: migrator exited after {exited_after:?}, \
         server released its sessions and locks after {released_after:?}",
        BOUND.as_secs()
    );
    assert!(
        exited_after <= BOUND + SLACK,
        "exited after {exited_after:?}"
    );
    assert!(
        released_after <= BOUND + SLACK,
        "released after {released_after:?}"
    );
    let next = migrator::run(&test.url, &["up"]).await;
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
    let reference = TestDb::new("reset_reference").await;
    let steps = catalog_at_each_step(&reference.db).await;
    drop(reference);

    // The bytes of a whole run, so the offsets spread over all of it.
    let timing = TestDb::new("reset_timing").await;
    let proxy = Proxy::start(&timing.url, Fault::None).await;
    let output = migrator::run(&proxy.url(&timing.url), &["up"]).await;
    assert!(output.status.success(), "{}", migrator::printed(&output));
    let run_bytes = proxy.forwarded();
    drop((proxy, timing));

    const ROUNDS: u64 = 12;
    let mut partial = 0;
    for round in 0..ROUNDS {
        // Evenly spread, shifted by a prime so no offset lands on a message boundary twice.
        let offset = run_bytes * (round + 1) / (ROUNDS + 1) + round * 997;
        let applied = reset_once(round, offset, &steps).await;
        if (1..steps.len() - 1).contains(&applied) {
            partial += 1;
        }
    }
    assert!(
        partial >= 3,
        "only {partial} of {ROUNDS} resets landed mid-run"
    );
}

/// One migrator whose connections are reset at byte `offset`: it ends with one error line,
/// leaves whole migrations only (`steps[n]` is the catalog after n), and the next run
/// completes. Returns how many migrations the reset run left applied.
async fn reset_once(round: u64, offset: u64, steps: &[Snapshot]) -> usize {
    let test = TestDb::new(&format!("reset_{round}")).await;
    let proxy = Proxy::start(&test.url, Fault::ResetAt(offset)).await;
    let run = bounded(migrator::command(&faulty(&proxy, &test.url), &["up"])).output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("a reset migrator must not hang")
        .expect("run the migrator");
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
        assert_eq!(errors, 1, "round {round}: one error line: {stderr}");
    }
    let gone = format!("SELECT count(*) FROM {OURS}");
    wait_for(&test.db, &gone, Duration::from_secs(10)).await;
    let applied = rows_if_present(&test.db, "seaql_migrations", "version")
        .await
        .len();
    let name = format!("round {round}: reset at byte {offset}, {applied} applied");
    super::assert_whole_or_between(&snapshot(&test.db).await, steps, applied, &name);
    let output = migrator::run(&test.url, &["up"]).await;
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

/// Applies phase 1 up to the identity tables: `users` exists, committed, as on a live
/// system, and the next migration adds foreign keys to it, taking a SHARE ROW EXCLUSIVE
/// lock that blocks the application's writes.
async fn through_identity_tables(db: &DatabaseConnection) {
    let identity = deployer::Up {
        through: Some("m20261121_000002_create_identity_tables".into()),
        ..Default::default()
    };
    migration::deployer(Default::default())
        .await
        .expect("deployer")
        .up(db, &identity)
        .await
        .expect("through the identity tables");
}

/// A migrator with the tests' short bound.
fn bounded(command: tokio::process::Command) -> tokio::process::Command {
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
        wait_for(db, gone, Duration::from_secs(60)).await;
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
    assert!(
        waited.contains("another migrator holds the migration lock: pid ")
            // The client address is the proxy's, or a container's gateway.
            && waited.contains("application `agents-db migrator`, client ")
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
/// and migration sessions are `agents-db migrator`. Sessions are told apart by name and
/// database, not by client port: a container's NAT shows other ports than the proxy's.
const FAULTY: &str = "faulty-migrator";

/// `url` through `proxy`, naming the faulty migrator's main connection.
fn faulty(proxy: &Proxy, url: &str) -> String {
    format!("{}?application_name={FAULTY}", proxy.url(url))
}

/// The sessions of migrators on the test's database.
const OURS: &str = "pg_stat_activity WHERE datname = current_database() \
     AND application_name IN ('agents-db migrator', 'faulty-migrator')";

/// 0 once a migrator's session sits idle in its transaction holding a lock on users.
const USERS_LOCKED: &str = "SELECT CASE WHEN count(*) > 0 THEN 0 ELSE 1 END::int8 \
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
     WHERE l.granted AND l.relation = 'users'::regclass AND a.state = 'idle in transaction' \
       AND a.datname = current_database() AND a.application_name = 'agents-db migrator'";

/// Polls `sql` (a count) until it is 0, for at most `limit`.
async fn wait_for(db: &DatabaseConnection, sql: &str, limit: Duration) {
    let start = Instant::now();
    while count(db, sql).await != 0 {
        assert!(
            start.elapsed() < limit,
            "still not 0 after {limit:?}: {sql}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether the application could write to users now, without waiting.
async fn application_can_write_users(db: &DatabaseConnection) -> bool {
    let txn = db.begin().await.expect("begin");
    let locked = txn
        .execute_unprepared("LOCK TABLE users IN ROW EXCLUSIVE MODE NOWAIT")
        .await;
    txn.rollback().await.expect("rollback");
    locked.is_ok()
}

#[tokio::test]
async fn a_restore_behind_a_hung_proxy_exits_within_its_bound_and_the_next_run_ends_what_it_left() {
    let (dir, dump) = a_dump("hung_restore").await;
    // Not empty, so the restore drops the project's objects first (--clean), as in the issue.
    let test = TestDb::migrated("hung_restore").await;
    let proxy = Proxy::start(
        &test.url,
        Fault::BlackholeAfter(b"CREATE TABLE public.messages".to_vec()),
    )
    .await;
    let (file, url) = (dump.display().to_string(), faulty(&proxy, &test.url));
    let pg_restore = crate::operate::embedded_tool("pg_restore");
    let args = [
        "restore",
        &file,
        "--clean",
        "--force",
        "--pg-restore",
        &pg_restore,
    ];
    let hung = bounded(migrator::command(&url, &args))
        .spawn()
        .expect("start the restore");
    assert!(
        proxy.fired_within(Duration::from_secs(60)).await,
        "pg_restore never created messages"
    );
    let fault = Instant::now();
    let output = tokio::time::timeout(Duration::from_secs(60), hung.wait_with_output())
        .await
        .expect("the hung restore never exited")
        .expect("reap the hung restore");
    let exited_after = fault.elapsed();
    eprintln!("hung restore, --hang-timeout {BOUND:?}: exited after {exited_after:?}");
    assert!(
        exited_after <= BOUND + SLACK,
        "exited after {exited_after:?}"
    );
    assert_restore_lost(&output);
    // The dump turns the server's idle limits off for pg_restore's transaction, and this
    // proxy keeps its socket open, so the server keeps it and its locks: the fault as found.
    assert!(
        count(&test.db, RESTORING).await > 0,
        "pg_restore's session is gone already"
    );
    // The next run ends it before it works, instead of queueing behind its locks.
    let next = migrator::run(&test.url, &["up"]).await;
    assert!(next.status.success(), "{}", migrator::printed(&next));
    assert!(
        String::from_utf8_lossy(&next.stderr).contains("ended 1 pg_restore session(s)"),
        "{}",
        migrator::printed(&next)
    );
    assert_eq!(count(&test.db, RESTORING).await, 0);
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The hung restore's one line: it lost the server, and what the database holds now.
fn assert_restore_lost(output: &Output) {
    let line = migrator::last_stderr_line(output);
    assert!(
        line.starts_with("error: restore of ")
            && line.contains("lost the server: pg_restore's single transaction is rolled back")
            && line.contains("nothing of the project")
            && line.contains("no answer to the heartbeat"),
        "{line}"
    );
}

/// A dump of a migrated database, in a directory named after `test`.
async fn a_dump(test: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let source = TestDb::migrated(&format!("{test}_source")).await;
    let dir = crate::operate::dump_dir(test);
    let dump = crate::operate::backup::take(&source.url, &dir, &[]).await;
    (dir, dump)
}

/// The other sessions holding locks on the test database's tables: pg_restore's, by whatever
/// name it connected.
const RESTORING: &str = "SELECT count(DISTINCT l.pid) FROM pg_locks l \
     JOIN pg_database d ON d.oid = l.database \
     WHERE d.datname = current_database() AND l.locktype = 'relation' AND l.granted \
       AND l.pid <> pg_backend_pid()";
