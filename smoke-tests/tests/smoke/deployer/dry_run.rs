//! `--dry-run` prints the SQL of each pending migration, says which run outside a
//! transaction, and changes nothing.

use deployer::{Settings, Up};
use smoke_tests::{TestDb, migrator, toy};

use super::Snapshot;

#[tokio::test]
async fn a_dry_run_prints_each_pending_migration_and_changes_nothing() {
    let test = TestDb::new("toy_a_dry_run_changes_nothing").await;
    super::through(&test.db, toy::AUTHORS).await;
    let before = Snapshot::read(&test.db).await;
    let output = migrator::run_toy(&test.url, &["up", "--dry-run"]).await;
    assert!(
        output.status.success(),
        "{}",
        migrator::last_stderr_line(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let headers: Vec<&str> = stdout.lines().filter(|l| l.starts_with("-- m")).collect();
    assert_eq!(
        headers,
        [
            format!("-- {} (in one transaction)", toy::BOOKS),
            format!("-- {} (in one transaction)", toy::INDEX),
        ],
        "{stdout}"
    );
    assert!(
        stdout.contains("REFERENCES toy_authors (id)"),
        "the books' SQL is missing:\n{stdout}"
    );
    assert!(
        stdout.contains("CREATE INDEX toy_books_author_id_idx"),
        "the index's SQL is missing:\n{stdout}"
    );
    assert_eq!(Snapshot::read(&test.db).await, before);
}

/// The job of [`a_dry_run_says_which_migrations_run_outside_a_transaction`]'s child: a dry
/// run of the toy and its online index on `SMOKE_DRY_RUN_URL`, printed on stdout.
const URL: &str = "SMOKE_DRY_RUN_URL";

#[tokio::test]
async fn a_dry_run_says_which_migrations_run_outside_a_transaction() {
    let test = TestDb::new("toy_a_dry_run_outside_a_transaction").await;
    super::through(&test.db, toy::INDEX).await;
    let before = Snapshot::read(&test.db).await;
    // The dry run prints on the process's stdout: run it in a process of its own.
    let output = tokio::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "deployer::dry_run::dry_run_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(URL, &test.url)
        .kill_on_drop(true)
        .output()
        .await
        .expect("run the dry run's child");
    assert!(output.status.success(), "{}", migrator::printed(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // libtest's own line ("test ... ") precedes the first header on its line.
    let headers: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.find("-- m").map(|at| &l[at..]))
        .collect();
    assert_eq!(
        headers,
        [format!(
            "-- {} (outside a transaction)",
            toy::BY_TITLE_MIGRATION
        )],
        "{stdout}"
    );
    assert!(
        stdout.contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS"),
        "the online index's SQL is missing:\n{stdout}"
    );
    assert_eq!(Snapshot::read(&test.db).await, before);
}

#[tokio::test]
#[ignore = "the child process of a dry run test, which starts it itself"]
async fn dry_run_child() {
    let Ok(url) = std::env::var(URL) else {
        return;
    };
    let db = dbconn::connect(&url).await.expect("connect");
    let mut migrations = toy::migrations();
    migrations.push(Box::new(toy::IndexBooksByTitle));
    let dry_run = Up {
        dry_run: true,
        ..Up::default()
    };
    toy::deployer(Settings::default(), migrations)
        .await
        .up(&db, &dry_run)
        .await
        .expect("dry run");
}
