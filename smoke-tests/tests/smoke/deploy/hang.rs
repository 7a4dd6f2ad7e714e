//! A restore whose network fails mid-restore exits within its bound, and the next run ends
//! the pg_restore session it left. It needs this schema's dump; the deployer's own hang tests
//! (a migrator behind a hung proxy, a hung session, resets at any byte) run on the toy, in
//! `deployer/hang.rs`.

use std::process::Output;
use std::time::{Duration, Instant};

use smoke_tests::proxy::{Fault, Proxy};
use smoke_tests::{TestDb, migrator};

use crate::count;
use crate::deployer::hang::{BOUND, SLACK, bounded, faulty};

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
