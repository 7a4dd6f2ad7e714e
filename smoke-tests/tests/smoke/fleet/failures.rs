//! A failing target stops a rollout: inside the canary nothing else starts; after it, no new
//! target starts, unless `--keep-going`. The summary, the JSON and the exit code say which;
//! `status --targets` shows the fleet as a matrix.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use smoke_tests::migrator;

use super::{Fleet, row_of, total};
use crate::deploy::rows_if_present;

/// How many migrations target `i` has recorded.
async fn applied(fleet: &Fleet, i: usize) -> usize {
    let db = fleet.connect(i).await;
    let n = rows_if_present(&db, "seaql_migrations", "version")
        .await
        .len();
    db.close().await.ok();
    n
}

/// Records an edited first migration on `db`: applied with a checksum this build does not
/// have, so the deployer refuses the database before changing anything.
async fn record_an_edit(db: &DatabaseConnection, url: &str) {
    let output = migrator::run(url, &["up", "--num", "1"]).await;
    assert!(
        output.status.success(),
        "{}",
        migrator::last_stderr_line(&output)
    );
    db.execute_unprepared("UPDATE seaql_migrations_checksums SET checksum = repeat('0', 64)")
        .await
        .expect("record an edit");
}

#[tokio::test]
async fn a_canary_failure_starts_no_other_target() {
    if super::skipped_in_a_container() {
        return;
    }
    let fleet = Fleet::new("fleet_canary", 6).await;
    let edited = fleet.connect(1).await;
    record_an_edit(&edited, &fleet.dbs[1].url).await;
    edited.close().await.ok();

    let output = fleet.run(&["up", "--canary", "2", "--parallel", "4"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let t00 = row_of(&stdout, "t00");
    assert!(t00.starts_with(&format!("t00 {} ", total())), "{stdout}");
    assert!(t00.ends_with("ok (canary, verified)"), "{stdout}");
    let t01 = row_of(&stdout, "t01");
    assert!(
        t01.contains("FAILED: refusing to migrate: migration m20261121_000001"),
        "{stdout}"
    );
    for i in 2..6 {
        let row = row_of(&stdout, &Fleet::name(i));
        assert!(row.ends_with("- - not started: canary t01 failed"), "{row}");
        assert_eq!(applied(&fleet, i).await, 0, "{}: untouched", Fleet::name(i));
    }
    let error = migrator::last_stderr_line(&output);
    assert!(
        error.starts_with("error: 1 of 6 target(s) failed: t01; 4 not started"),
        "{error}"
    );
    assert!(
        !stdout.contains("postgres://"),
        "the table names targets, never URLs"
    );
    the_matrix_shows_current_edited_behind_and_unreachable(&fleet).await;
    fleet.close().await;
}

/// After the canary stopped: t00 current, t01 edited, the rest behind, and an unreachable
/// target added to the list, its password never shown.
async fn the_matrix_shows_current_edited_behind_and_unreachable(fleet: &Fleet) {
    fleet.write_targets(&["dead=postgres://nobody:hunter2@127.0.0.1:9/gone"]);
    let output = fleet.run(&["status", "--wait", "1s"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(row_of(&stdout, "t00").ends_with("current"), "{stdout}");
    let t01 = row_of(&stdout, "t01");
    assert!(
        t01.contains(" E.") && t01.contains("EDITED m20261121_000001"),
        "{stdout}"
    );
    let behind = format!("behind: {} pending", total());
    assert!(row_of(&stdout, "t02").ends_with(&behind), "{stdout}");
    assert!(
        row_of(&stdout, "dead").contains("FAILED: unreachable"),
        "{stdout}"
    );
    let printed = [&output.stdout, &output.stderr].map(|b| String::from_utf8_lossy(b).into_owned());
    assert!(
        !printed.iter().any(|text| text.contains("hunter2")),
        "{printed:?}"
    );
    assert_eq!(
        migrator::last_stderr_line(&output),
        "error: 2 target(s) need attention: t01, dead (see their state above)"
    );
}

#[tokio::test]
async fn after_the_canary_a_failure_stops_new_starts_and_keep_going_finishes_the_rest() {
    if super::skipped_in_a_container() {
        return;
    }
    let fleet = Fleet::new("fleet_stop", 6).await;
    let t03 = fleet.connect(3).await;
    // A table in the way: the second migration creates `users`, and fails on this one.
    t03.execute_unprepared("CREATE TABLE users (id integer)")
        .await
        .expect("a table in the way");
    t03.close().await.ok();

    let output = fleet.run(&["up", "--canary", "1", "--parallel", "1"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for i in 0..3 {
        let row = row_of(&stdout, &Fleet::name(i));
        assert!(row.contains(&format!(" {} ", total())), "{stdout}");
    }
    let t03 = row_of(&stdout, "t03");
    assert!(
        t03.contains("FAILED: could not apply m20261121_000002"),
        "{stdout}"
    );
    for i in 4..6 {
        let row = row_of(&stdout, &Fleet::name(i));
        assert!(row.ends_with("not started: t03 failed"), "{stdout}");
        assert_eq!(applied(&fleet, i).await, 0);
    }
    let error = migrator::last_stderr_line(&output);
    assert!(
        error.starts_with("error: 1 of 6 target(s) failed: t03; 2 not started"),
        "{error}"
    );
    keep_going_finishes_all_but_t03(&fleet).await;
    verify_passes_all_but_t03(&fleet).await;
    fleet.close().await;
}

/// The same rollout again with `--keep-going` and `--json`: t03 fails again, the rest
/// finish, and the JSON says so target by target.
async fn keep_going_finishes_all_but_t03(fleet: &Fleet) {
    let output = fleet
        .run(&["up", "--keep-going", "--parallel", "2", "--json"])
        .await;
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    assert_eq!(doc["ok"], false);
    let results: Vec<(String, String, Option<u64>)> = doc["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            let text = |field: &str| t[field].as_str().unwrap_or_default().to_owned();
            (text("target"), text("result"), t["applied"].as_u64())
        })
        .collect();
    let n = Some(total() as u64);
    let expected = [
        ("t00", "ok", Some(0)),
        ("t01", "ok", Some(0)),
        ("t02", "ok", Some(0)),
        ("t03", "failed", None),
        ("t04", "ok", n),
        ("t05", "ok", n),
    ]
    .map(|(t, r, a)| (t.to_owned(), r.to_owned(), a));
    assert_eq!(results, expected);
    assert_eq!(
        applied(fleet, 3).await,
        1,
        "t03 keeps its one whole migration"
    );
    let error = migrator::last_stderr_line(&output);
    assert!(
        error.starts_with("error: 1 of 6 target(s) failed: t03"),
        "{error}"
    );
}

/// `verify --targets`: every complete target passes, t03 does not.
async fn verify_passes_all_but_t03(fleet: &Fleet) {
    let output = fleet.run(&["verify"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for name in ["t00", "t04", "t05"] {
        assert!(row_of(&stdout, name).ends_with("ok (verified)"), "{stdout}");
    }
    assert!(row_of(&stdout, "t03").contains("FAILED:"), "{stdout}");
}
