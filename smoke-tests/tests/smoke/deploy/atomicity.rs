//! A migration that fails half-way leaves no trace of itself, not even its record.

use deployer::{Deployer, Settings, Up};
use migration::MigrationTrait;
use smoke_tests::TestDb;

use super::{Snapshot, SqlMigration};

/// Creates a table, then fails: the table must vanish with the failure.
fn fails_half_way() -> SqlMigration {
    SqlMigration {
        name: "m20991231_000001_fails_half_way",
        up: vec![
            "CREATE TABLE half_way (id int PRIMARY KEY)".into(),
            "INSERT INTO half_way VALUES (1)".into(),
            "ALTER TABLE no_such_table ADD COLUMN x int".into(),
        ],
        down: "DROP TABLE half_way",
        transactional: true,
    }
}

#[tokio::test]
async fn a_migration_that_fails_half_way_leaves_no_trace() {
    let test = TestDb::new("a_migration_that_fails_half_way").await;
    let mut migrations = migration::PHASES[0..1]
        .iter()
        .flat_map(|p| (p.migrations)())
        .collect::<Vec<Box<dyn MigrationTrait>>>();
    migrations.push(Box::new(fails_half_way()));
    let deployer = Deployer::with_migrations(Settings::default(), migrations)
        .await
        .expect("deployer");
    let phase1 = Up {
        through: migration::through_phase(Some(1)).expect("phase 1"),
        ..Up::default()
    };
    deployer.up(&test.db, &phase1).await.expect("phase 1");
    let before = Snapshot::read(&test.db).await;

    let err = deployer
        .up(&test.db, &Up::default())
        .await
        .expect_err("the failing migration must fail")
        .to_string();
    assert!(
        err.starts_with("could not apply m20991231_000001_fails_half_way, so it was rolled back"),
        "{err}"
    );
    assert_eq!(Snapshot::read(&test.db).await, before);
    let status = deployer.status(&test.db).await.expect("status");
    assert_eq!(
        status.pending(),
        1,
        "the failed migration must stay pending"
    );
}
