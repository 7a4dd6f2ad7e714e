//! A migration that opts out of the transaction runs outside one, and can be run again.

use deployer::{Resolution, Settings, Up};
use smoke_tests::{TestDb, toy};

use crate::count;

#[tokio::test]
async fn a_migration_outside_a_transaction_runs_and_reruns() {
    let test = TestDb::new("toy_a_migration_outside_a_transaction").await;
    let mut migrations = toy::migrations();
    // PostgreSQL refuses CONCURRENTLY inside a transaction block, so success proves the
    // runner kept it outside one.
    migrations.push(Box::new(toy::IndexBooksByTitle));
    let deployer = toy::deployer(Settings::default(), migrations).await;
    deployer.up(&test.db, &Up::default()).await.expect("apply");
    let valid = "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE c.relname = 'toy_books_title_idx' AND i.indisvalid";
    assert_eq!(count(&test.db, valid).await, 1);

    // As if the process died after the index was built but before it was recorded.
    deployer
        .resolve(
            &test.db,
            &Resolution::RolledBack(toy::BY_TITLE_MIGRATION.into()),
        )
        .await
        .expect("forget it");
    let again = deployer.up(&test.db, &Up::default()).await.expect("re-run");
    assert_eq!(again, [toy::BY_TITLE_MIGRATION]);
    assert_eq!(count(&test.db, valid).await, 1);
}
