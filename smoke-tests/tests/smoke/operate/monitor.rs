//! `migration monitor` on a database with planted problems reports each of them, its JSON
//! parses, and `--fail-on` exits by the documented thresholds.

use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use sea_orm::sqlx::{self, Connection, PgConnection};
use smoke_tests::{TestDb, migrator};

use super::{findings, monitor_json, run_expecting};
use crate::count;

/// Thresholds low enough that a planted one-second transaction and wait count.
const QUICK: [&str; 4] = [
    "--threshold",
    "transaction_age=1s,1h",
    "--threshold",
    "lock_wait=1s,1h",
];

#[tokio::test]
async fn a_freshly_migrated_database_has_nothing_to_warn_about() {
    let test = TestDb::migrated("monitor_fresh").await;
    let report = monitor_json(&test.url, &["--fail-on", "warn"], 0).await;
    assert_eq!(report["database"], "smoke_monitor_fresh");
    assert_eq!(report["counts"]["warn"], 0, "{report:#}");
    // The embedded server does not preload pg_stat_statements: the report says how to.
    assert_eq!(report["slow_queries"]["available"], false);
    assert_eq!(report["slow_queries"]["note"], dbcheck::monitor::NOT_LOADED);
    let tables = report["tables"]["heaviest"].as_array().expect("tables");
    assert_eq!(tables.len(), 20, "--top defaults to 20");
}

#[tokio::test]
async fn the_monitor_reports_planted_problems_and_exits_by_its_thresholds() {
    let test = TestDb::migrated("monitor_planted").await;
    plant_indexes_and_an_unanalyzed_table(&test).await;
    let (mut holder, holder_pid) = session(&test.url, "planted holder").await;
    sqlx::raw_sql("BEGIN; LOCK TABLE planted_never_analyzed IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .expect("hold a lock in a transaction");
    let (mut waiter, waiter_pid) = session(&test.url, "planted waiter").await;
    let waiting = tokio::spawn(async move {
        sqlx::raw_sql("SELECT count(*) FROM planted_never_analyzed")
            .execute(&mut waiter)
            .await
            .map(|_| ())
    });
    wait_until_blocked(&test, waiter_pid).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let report = monitor_json(&test.url, &QUICK, 0).await;
    assert_planted(&report, holder_pid, waiter_pid);
    let text = run_expecting(&test.url, &[&["monitor"][..], &QUICK].concat(), 0).await;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("sessions waiting on a lock"), "{text}");
    assert!(
        text.contains("sizes estimated: a table is locked"),
        "{text}"
    );

    assert_exit_codes(&test.url).await;

    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("release");
    waiting
        .await
        .expect("join")
        .expect("the waiter gets its answer");
}

/// `--fail-on` exits by the worst finding at or above its level, as the thresholds set it.
async fn assert_exit_codes(url: &str) {
    // The planted warnings fail `--fail-on warn` with 2; nothing is critical yet.
    let warn = [&["monitor", "--fail-on", "warn"][..], &QUICK].concat();
    let output = run_expecting(url, &warn, 2).await;
    let line = migrator::last_stderr_line(&output);
    assert!(
        line.contains("at warn or worse (the worst: warn), exit code 2"),
        "{line}"
    );
    run_expecting(
        url,
        &[&["monitor", "--fail-on", "crit"][..], &QUICK].concat(),
        0,
    )
    .await;
    // A transaction open for longer than a crit threshold of one second is critical.
    let crit = [
        "monitor",
        "--fail-on",
        "crit",
        "--threshold",
        "transaction_age=500ms,1s",
    ];
    run_expecting(url, &crit, 3).await;
}

/// An unused index, a duplicate of an existing one, and a table with rows never analyzed.
async fn plant_indexes_and_an_unanalyzed_table(test: &TestDb) {
    test.db
        .execute_unprepared(
            r#"CREATE INDEX planted_unused_idx ON users ("createdAt");
               CREATE INDEX planted_duplicate_idx ON agents (category);
               CREATE TABLE planted_never_analyzed (id int) WITH (autovacuum_enabled = false)"#,
        )
        .await
        .expect("plant");
    // On a connection of its own, closed at once: its statistics reach the server then.
    let writer = test.connect().await;
    writer
        .execute_unprepared("INSERT INTO planted_never_analyzed SELECT generate_series(1, 100)")
        .await
        .expect("fill the table");
    writer.close().await.expect("close");
    let deadline = Instant::now() + Duration::from_secs(15);
    let changed = "SELECT coalesce(sum(n_mod_since_analyze), 0)::int8 FROM pg_stat_user_tables \
                   WHERE relname = 'planted_never_analyzed'";
    while count(&test.db, changed).await < 100 {
        assert!(
            Instant::now() < deadline,
            "the inserts never reached the statistics"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A connection of its own, named, with its server pid.
async fn session(url: &str, name: &str) -> (PgConnection, i64) {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    sqlx::query("SELECT set_config('application_name', $1, false)")
        .bind(name)
        .execute(&mut conn)
        .await
        .expect("name the session");
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .expect("pid");
    (conn, i64::from(pid))
}

async fn wait_until_blocked(test: &TestDb, pid: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let sql = format!("SELECT cardinality(pg_blocking_pids({pid}))::int8");
    while count(&test.db, &sql).await == 0 {
        assert!(Instant::now() < deadline, "the waiter never blocked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn assert_planted(report: &serde_json::Value, holder: i64, waiter: i64) {
    let unused = findings(report, "unused index");
    assert!(
        unused.iter().any(|f| f.1 == "public.planted_unused_idx"),
        "{unused:?}"
    );
    let duplicate = findings(report, "duplicate index");
    assert!(
        duplicate
            .iter()
            .any(|f| f.1 == "public.planted_duplicate_idx"
                && f.2.contains("duplicates public.agents_category_idx")),
        "{duplicate:?}"
    );
    let analyze = findings(report, "analyze");
    assert_eq!(
        analyze.len(),
        1,
        "only the planted table lacks statistics: {analyze:?}"
    );
    assert_eq!(analyze[0].0, "warn");
    assert!(
        analyze[0].2.contains("never analyzed, 100 row(s) changed"),
        "{analyze:?}"
    );
    let transactions = findings(report, "transaction");
    let holder_subject = format!("pid {holder}");
    assert!(
        transactions
            .iter()
            .any(|f| f.0 == "warn" && f.1 == holder_subject),
        "{transactions:?}"
    );
    let waits = findings(report, "lock wait");
    let waiting = waits
        .iter()
        .find(|f| f.1 == format!("pid {waiter}"))
        .unwrap_or_else(|| panic!("no lock wait of pid {waiter}: {waits:?}"));
    assert_eq!(waiting.0, "warn");
    assert!(
        waiting.2.contains(&format!(
            "blocked by pid {holder} (idle in transaction, application `planted holder`"
        )),
        "{}",
        waiting.2
    );
    let listed = report["lock_waits"].as_array().expect("lock waits");
    assert!(
        listed
            .iter()
            .any(|w| w["pid"] == waiter && w["blocked_by"][0] == holder),
        "{listed:?}"
    );
    // The holder's exclusive lock makes exact sizes wait; the monitor estimates instead.
    assert_eq!(report["tables"]["estimated_sizes"], true);
    assert!(report["connections"]["used"].as_i64().expect("used") >= 3);
}
