//! A migration that fails half-way leaves no trace of itself, not even its record.

use migration::deploy::{Deployer, Settings, Up};
use migration::{MigrationName, MigrationTrait, SchemaManager};
use sea_orm::DbErr;
use smoke_tests::TestDb;

use super::Snapshot;

/// Creates a table, then fails: the table must vanish with the failure.
struct FailsHalfWay;

impl MigrationName for FailsHalfWay {
    fn name(&self) -> &str {
        "m20991231_000001_fails_half_way"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FailsHalfWay {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE TABLE half_way (id int PRIMARY KEY)")
            .await?;
        db.execute_unprepared("INSERT INTO half_way VALUES (1)")
            .await?;
        db.execute_unprepared("ALTER TABLE no_such_table ADD COLUMN x int")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE half_way")
            .await?;
        Ok(())
    }
}

use sea_orm::ConnectionTrait;

#[tokio::test]
async fn a_migration_that_fails_half_way_leaves_no_trace() {
    let test = TestDb::new("a_migration_that_fails_half_way").await;
    let mut migrations = migration::PHASES[0..1]
        .iter()
        .flat_map(|p| (p.migrations)())
        .collect::<Vec<Box<dyn MigrationTrait>>>();
    migrations.push(Box::new(FailsHalfWay));
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
