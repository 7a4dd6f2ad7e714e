//! A migration that opts out of the transaction runs outside one, and can be run again.

use deployer::{Deployer, Resolution, Settings, Up};
use migration::MigrationTrait;
use smoke_tests::TestDb;

use super::SqlMigration;
use crate::count;

/// What a migration adding an index to a busy table looks like. PostgreSQL refuses
/// CONCURRENTLY inside a transaction block, so success proves the runner kept it outside one.
fn index_users_by_creation() -> SqlMigration {
    SqlMigration {
        name: "m20991231_000004_index_users_by_creation",
        up: vec![
            r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_test_idx ON users ("createdAt")"#
                .into(),
        ],
        down: "DROP INDEX CONCURRENTLY IF EXISTS users_created_at_test_idx",
        transactional: false,
    }
}

#[tokio::test]
async fn a_migration_outside_a_transaction_runs_and_reruns() {
    let test = TestDb::new("a_migration_outside_a_transaction").await;
    let mut migrations: Vec<Box<dyn MigrationTrait>> = (migration::PHASES[0].migrations)();
    migrations.push(Box::new(index_users_by_creation()));
    let deployer = Deployer::with_migrations(Settings::default(), migrations)
        .await
        .expect("deployer");
    deployer.up(&test.db, &Up::default()).await.expect("apply");
    let valid = "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE c.relname = 'users_created_at_test_idx' AND i.indisvalid";
    assert_eq!(count(&test.db, valid).await, 1);

    // As if the process died after the index was built but before it was recorded.
    deployer
        .resolve(
            &test.db,
            &Resolution::RolledBack("m20991231_000004_index_users_by_creation".into()),
        )
        .await
        .expect("forget it");
    let again = deployer.up(&test.db, &Up::default()).await.expect("re-run");
    assert_eq!(again, ["m20991231_000004_index_users_by_creation"]);
    assert_eq!(count(&test.db, valid).await, 1);
}
