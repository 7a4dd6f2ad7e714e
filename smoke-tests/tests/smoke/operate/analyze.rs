//! A deploy analyzes the existing tables its migrations changed, and says so; the tables it
//! created are left to the planner's never-analyzed estimate until they have rows.

use deployer::{Deployer, Settings, Up};
use smoke_tests::TestDb;

use crate::count;
use crate::deploy::SqlMigration;

/// The planner's row count of a table: -1 until it is first analyzed.
const GAUGES_ROWS: &str = "SELECT reltuples::int8 FROM pg_class WHERE relname = 'gauges'";

fn create() -> SqlMigration {
    SqlMigration {
        name: "m20991231_000001_create_gauges",
        up: vec!["CREATE TABLE gauges (id int PRIMARY KEY)".into()],
        down: "DROP TABLE gauges",
        transactional: true,
    }
}

fn fill() -> SqlMigration {
    SqlMigration {
        name: "m20991231_000002_fill_gauges",
        up: vec![
            "INSERT INTO gauges SELECT generate_series(1, 500)".into(),
            r#"ALTER TABLE "gauges" ADD COLUMN reading int"#.into(),
        ],
        down: "ALTER TABLE gauges DROP COLUMN reading",
        transactional: true,
    }
}

#[tokio::test]
async fn a_deploy_analyzes_the_existing_tables_its_migrations_changed() {
    let test = TestDb::new("deploy_analyzes").await;
    let first = Deployer::with_migrations(Settings::default(), vec![Box::new(create())])
        .await
        .expect("deployer");
    first.up(&test.db, &Up::default()).await.expect("create");
    assert_eq!(
        count(&test.db, GAUGES_ROWS).await,
        -1,
        "a new table stays unanalyzed"
    );

    let second = Deployer::with_migrations(
        Settings::default(),
        vec![Box::new(create()), Box::new(fill())],
    )
    .await
    .expect("deployer");
    second.up(&test.db, &Up::default()).await.expect("fill");
    // ANALYZE counted the migration's rows into the catalog.
    assert_eq!(count(&test.db, GAUGES_ROWS).await, 500);
}
