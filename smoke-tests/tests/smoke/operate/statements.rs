//! The slow-query report against a real `pg_stat_statements`: Debian's PostgreSQL 15 with the
//! library preloaded, as a throwaway cluster (no pgvector needed to monitor).

use std::path::Path;

use sea_orm::ConnectionTrait;

use super::{findings, monitor_json};

const PG15: &str = "/usr/lib/postgresql/15/bin";

#[tokio::test]
async fn slow_queries_are_reported_where_pg_stat_statements_is_loaded() {
    if !Path::new(PG15).join("postgres").is_file() {
        eprintln!("skipped: {PG15} is missing (install postgresql-15 to run this test)");
        return;
    }
    let preload = "shared_preload_libraries = 'pg_stat_statements'";
    let server =
        devdb::embedded::Throwaway::start_with("pg15-statements", Path::new(PG15), preload)
            .expect("start PostgreSQL 15 with pg_stat_statements");
    let url = devdb::databases::ensure(server.admin_url(), "monitored")
        .await
        .expect("create a database");
    let db = dbconn::connect(&url).await.expect("connect");
    record_the_first_migration(&db).await;
    // Loaded, but not created in this database yet: the report names the one step left.
    let before = monitor_json(&url, &[], 0).await;
    assert_eq!(before["slow_queries"]["available"], false);
    assert_eq!(
        before["slow_queries"]["note"],
        dbcheck::monitor::NOT_CREATED
    );

    db.execute_unprepared("CREATE EXTENSION pg_stat_statements")
        .await
        .expect("create the extension");
    run_slow_and_heavy_statements(&db).await;
    let report = monitor_json(&url, &["--threshold", "slow_query=20ms,10s"], 0).await;
    let slow = &report["slow_queries"];
    assert_eq!(slow["available"], true, "{slow:#}");
    let by_mean = slow["by_mean"].as_array().expect("by mean");
    let sleep = by_mean
        .iter()
        .find(|q| q["query"].as_str().is_some_and(|t| t.contains("pg_sleep")))
        .unwrap_or_else(|| panic!("pg_sleep is not among the slowest: {by_mean:#?}"));
    assert_eq!(sleep["calls"], 12);
    assert!(sleep["mean_ms"].as_f64().expect("mean") >= 30.0, "{sleep}");
    let by_total = slow["by_total"].as_array().expect("by total");
    assert!(
        by_total.iter().any(|q| q["query"]
            .as_str()
            .is_some_and(|t| t.contains("generate_series"))),
        "{by_total:#?}"
    );
    // Run often enough and slower than the warn threshold: a finding; the heavy statement
    // ran three times only, so it is listed but not judged.
    let found = findings(&report, "slow query");
    assert!(
        found
            .iter()
            .any(|f| f.0 == "warn" && f.1.contains("pg_sleep")),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|f| f.1.contains("generate_series")),
        "{found:?}"
    );
    db.close().await.ok();
}

/// Twelve slow statements, and three heavy ones.
async fn run_slow_and_heavy_statements(db: &sea_orm::DatabaseConnection) {
    for _ in 0..12 {
        db.execute_unprepared("SELECT pg_sleep(0.03)")
            .await
            .expect("a slow statement");
    }
    for _ in 0..3 {
        db.execute_unprepared("SELECT count(*) FROM generate_series(1, 300000)")
            .await
            .expect("a heavy statement");
    }
}

/// The monitor refuses a database this build did not migrate, and PostgreSQL 15 here has no
/// pgvector to migrate with: the ledger records the first migration as SeaORM's own CLI would,
/// which makes it a partly migrated database of this build.
async fn record_the_first_migration(db: &sea_orm::DatabaseConnection) {
    let first = migration::migrations_through_phase(1).remove(0);
    db.execute_unprepared(&format!(
        "CREATE TABLE seaql_migrations (version varchar PRIMARY KEY, applied_at bigint NOT NULL); \
         INSERT INTO seaql_migrations VALUES ('{first}', 0)"
    ))
    .await
    .expect("record the first migration");
}
