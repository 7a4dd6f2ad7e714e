//! Backups and restore through the shipped binary: a dump named after its database, time and
//! last migration; a round trip that undoes damage; refusals of another schema history, of a
//! non-empty database, and of production without a backup decision.

use std::path::PathBuf;

use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, migrator};

use super::{dump_dir, dumps, embedded_tool, run_expecting};
use crate::{all_rows, owned_tables};

/// The name of this build's last migration.
fn last_migration() -> String {
    migration::migrations_through_phase(migration::last_phase())
        .pop()
        .expect("a migration")
}

/// Takes a dump of `url` into `dir` with `backups --take` and returns its path.
pub(crate) async fn take(url: &str, dir: &std::path::Path, extra: &[&str]) -> PathBuf {
    let pg_dump = embedded_tool("pg_dump");
    let dir_arg = dir.display().to_string();
    let mut args = vec!["backups", &dir_arg, "--take", "--pg-dump", &pg_dump];
    args.extend_from_slice(extra);
    let output = run_expecting(url, &args, 0).await;
    let said = String::from_utf8_lossy(&output.stderr);
    let taken = said
        .lines()
        .find_map(|l| l.strip_prefix("backups: took "))
        .unwrap_or_else(|| panic!("no `took` line: {said}"));
    PathBuf::from(taken)
}

#[tokio::test]
async fn a_restore_undoes_damage_and_the_database_checks_clean() {
    let test = TestDb::migrated("restore_round_trip").await;
    seed::run(&test.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    // Load data too: thousands of rows through COPY, and tables large enough that verify's
    // plan check sees the plans of a used database.
    seed::load::run(&test.db, 6, false).await.expect("load");
    let rows = all_rows(&test.db).await;
    let dir = dump_dir("restore_round_trip");
    let dump = take(&test.url, &dir, &[]).await;
    let name = dump
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with("smoke_restore_round_trip-"), "{name}");
    assert!(
        name.ends_with(&format!("Z-{}.dump", last_migration())),
        "{name}"
    );

    assert_listed_without_a_database(&dir, &name).await;
    let restore = damage_then_refuse_a_restore_over_it(&test, &dump, &rows).await;
    let mut args: Vec<&str> = restore.iter().map(String::as_str).collect();
    args.push("--clean");
    let output = run_expecting(&test.url, &args, 0).await;
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("every migration of this build is applied"),
        "{said}"
    );
    // The embedded pg_dump is PostgreSQL 18's: its dumps carry the planner's statistics.
    assert!(
        said.contains("the planner's statistics came back with the dump"),
        "{said}"
    );
    for check in [&["verify"][..], &["drift"], &["status", "--check"]] {
        run_expecting(&test.url, check, 0).await;
    }
    // A new connection: the old one's statements were prepared against the dropped tables.
    let fresh = test.connect().await;
    assert_eq!(all_rows(&fresh).await, rows, "the restored rows differ");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `backups DIR` lists the dump by its name; it reads the directory only, so it needs no
/// database.
async fn assert_listed_without_a_database(dir: &std::path::Path, name: &str) {
    let listing = migrator::command("unused", &["backups", &dir.display().to_string()])
        .env_remove("DATABASE_URL")
        .output()
        .await
        .expect("list");
    let listed = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.status.success() && listed.contains(name),
        "{listed}"
    );
    assert!(listed.contains("1 dump(s)"), "{listed}");
}

/// Deletes and drops data, then checks that a restore without --clean refuses the database
/// that is not empty; returns the restore's arguments.
async fn damage_then_refuse_a_restore_over_it(
    test: &TestDb,
    dump: &std::path::Path,
    rows: &[String],
) -> [String; 4] {
    test.db
        .execute_unprepared(
            "DELETE FROM messages; DROP TABLE health.allergies CASCADE; DELETE FROM tags",
        )
        .await
        .expect("damage");
    assert_ne!(all_rows(&test.db).await, rows);
    let pg_restore = embedded_tool("pg_restore");
    let restore = [
        "restore".to_owned(),
        dump.display().to_string(),
        "--pg-restore".to_owned(),
        pg_restore,
    ];
    let args: Vec<&str> = restore.iter().map(String::as_str).collect();
    let refused = run_expecting(&test.url, &args, 1).await;
    let line = migrator::last_stderr_line(&refused);
    assert!(
        line.contains("it is not empty (")
            && line.ends_with("--clean to drop everything the project owns first"),
        "{line}"
    );
    restore
}

#[tokio::test]
async fn a_dump_of_another_schema_history_is_refused_unless_forced() {
    let source = TestDb::migrated("restore_other_history_source").await;
    source
        .db
        .execute_unprepared(
            "UPDATE seaql_migrations_checksums SET checksum = repeat('0', 64) \
             WHERE version = (SELECT min(version) FROM seaql_migrations_checksums); \
             INSERT INTO seaql_migrations VALUES ('m29991231_000001_from_the_future', 0)",
        )
        .await
        .expect("rewrite the history");
    let dir = dump_dir("restore_other_history");
    let dump = take(&source.url, &dir, &[]).await.display().to_string();
    let target = TestDb::new("restore_other_history_target").await;
    let pg_restore = embedded_tool("pg_restore");
    let restore = ["restore", dump.as_str(), "--pg-restore", &pg_restore];
    let refused = run_expecting(&target.url, &restore, 1).await;
    let line = migrator::last_stderr_line(&refused);
    assert!(
        line.contains("its schema history is not this build's: migration "),
        "{line}"
    );
    assert!(
        line.contains("sent other SQL when the dump was taken (checksum 000000000000 there"),
        "{line}"
    );
    assert!(
        line.ends_with("(and 1 more): restore it with the build that took it, or pass --force"),
        "{line}"
    );
    assert!(
        owned_tables(&target.db).await.is_empty(),
        "the refusal restored something"
    );

    run_expecting(&target.url, &[&restore[..], &["--force"]].concat(), 0).await;
    assert_eq!(
        owned_tables(&target.db).await,
        owned_tables(&source.db).await
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `migration` command on `url` under `APP_ENV=production`, exiting with `code`.
pub(super) async fn in_production(url: &str, args: &[&str], code: i32) -> std::process::Output {
    let output = migrator::command(url, args)
        .env("APP_ENV", "production")
        .output()
        .await
        .expect("run the migration binary");
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}: {}",
        migrator::last_stderr_line(&output)
    );
    output
}

#[tokio::test]
async fn production_up_needs_a_backup_decision() {
    let test = TestDb::new("production_backup_decision").await;
    let refused = in_production(&test.url, &["up"], 1).await;
    assert_eq!(
        migrator::last_stderr_line(&refused),
        "error: refusing to migrate production without a backup decision: pass --backup DIR \
         to dump the database first, or --no-backup if it is backed up another way"
    );
    assert!(
        owned_tables(&test.db).await.is_empty(),
        "the refusal migrated"
    );
    // A dry run changes nothing, so it needs no decision; --no-backup is one.
    in_production(&test.url, &["up", "--dry-run"], 0).await;
    in_production(&test.url, &["up", "--no-backup"], 0).await;
    assert!(!owned_tables(&test.db).await.is_empty());
    let restore = in_production(&test.url, &["restore", "any.dump", "--clean"], 1).await;
    let line = migrator::last_stderr_line(&restore);
    assert!(
        line.starts_with("error: refusing to restore a dump into the database: APP_ENV=production"),
        "{line}"
    );
}

#[tokio::test]
async fn a_deploy_names_its_dump_after_the_last_migration_and_keeps_the_newest() {
    let test = TestDb::new("production_backup_keep").await;
    let dir = dump_dir("production_backup_keep");
    let dir_arg = dir.display().to_string();
    let pg_dump = embedded_tool("pg_dump");
    // Plain dumps, on purpose: their names are the subject (encrypted ones are
    // encrypted_backup.rs's).
    let backup = [
        "--backup",
        &dir_arg,
        "--keep",
        "1",
        "--pg-dump",
        &pg_dump,
        "--allow-unencrypted-backup",
    ];
    in_production(&test.url, &[&["up", "--num", "6"][..], &backup].concat(), 0).await;
    let first = dumps(&dir);
    assert_eq!(first.len(), 1);
    assert!(
        first[0].ends_with("-none.dump"),
        "nothing was applied before: {first:?}"
    );
    // Dump names count seconds: the next dump is a second newer.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    in_production(&test.url, &[&["up"][..], &backup].concat(), 0).await;
    let kept = dumps(&dir);
    let phase_1 = migration::migrations_through_phase(1)
        .pop()
        .expect("phase 1");
    assert_eq!(kept.len(), 1, "--keep 1 keeps the newest only: {kept:?}");
    assert!(kept[0].ends_with(&format!("-{phase_1}.dump")), "{kept:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
