//! An edited migration and a version the code lacks stop `up` before it changes anything;
//! `resolve` is the explicit way out.

use deployer::{Deployer, Resolution, Settings, Up};
use migration::MigrationTrait;
use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, migrator};

use super::{Snapshot, SqlMigration};

const WIDGETS: &str = "m20991231_000002_create_widgets";

/// The same migration before and after someone edited its SQL.
fn widgets(id_type: &str) -> SqlMigration {
    SqlMigration {
        name: WIDGETS,
        up: vec![format!("CREATE TABLE widgets (id {id_type} PRIMARY KEY)")],
        down: "DROP TABLE widgets",
        transactional: true,
    }
}

/// Phase 1, then widgets as given, then phase 2.
fn migrations(widgets: SqlMigration) -> Vec<Box<dyn MigrationTrait>> {
    let mut all: Vec<Box<dyn MigrationTrait>> = (migration::PHASES[0].migrations)();
    all.push(Box::new(widgets));
    all.extend((migration::PHASES[1].migrations)());
    all
}

#[tokio::test]
async fn an_edited_migration_is_refused_until_resolved() {
    let test = TestDb::new("an_edited_migration_is_refused").await;
    let original = Deployer::with_migrations(Settings::default(), migrations(widgets("int")))
        .await
        .expect("deployer");
    let through_widgets = Up {
        through: Some(WIDGETS.into()),
        ..Up::default()
    };
    original
        .up(&test.db, &through_widgets)
        .await
        .expect("apply the original");
    let before = Snapshot::read(&test.db).await;

    let edited = Deployer::with_migrations(Settings::default(), migrations(widgets("bigint")))
        .await
        .expect("deployer");
    let err = edited
        .up(&test.db, &Up::default())
        .await
        .expect_err("an edited migration must be refused")
        .to_string();
    assert!(
        err.starts_with(&format!(
            "refusing to migrate: migration {WIDGETS} changed after it was applied"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("`migrate resolve --applied {WIDGETS}`")),
        "{err}"
    );
    assert_eq!(
        Snapshot::read(&test.db).await,
        before,
        "the refusal changed the database"
    );

    let said = edited
        .resolve(&test.db, &Resolution::Applied(WIDGETS.into()))
        .await
        .expect("resolve");
    assert!(said.starts_with(&format!("accepted {WIDGETS}")), "{said}");
    let applied = edited
        .up(&test.db, &Up::default())
        .await
        .expect("up after resolve");
    assert_eq!(applied.len(), (migration::PHASES[1].migrations)().len());
}

#[tokio::test]
async fn a_database_newer_than_the_code_is_refused_until_resolved() {
    let test = TestDb::new("a_database_newer_than_the_code").await;
    migration::up_through_phase(&test.db, Some(1))
        .await
        .expect("phase 1");
    let future = "m20991231_000003_from_a_newer_build";
    test.db
        .execute_unprepared(&format!(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{future}', 0)"
        ))
        .await
        .expect("record a version this build lacks");
    let before = Snapshot::read(&test.db).await;

    let refused = migrator::run(&test.url, &["up"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        migrator::last_stderr_line(&refused),
        format!(
            "error: refusing to migrate: the database is newer than the code: migration {future} \
             is applied but this build does not have it; deploy a build that has it, or run \
             `migrate resolve --rolled-back {future}` if it was removed on purpose"
        )
    );
    assert_eq!(
        Snapshot::read(&test.db).await,
        before,
        "the refusal changed the database"
    );
    let status = migrator::run(&test.url, &["status"]).await;
    assert_eq!(
        status.status.code(),
        Some(1),
        "status must fail while refused"
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains(&format!("UNKNOWN  {future}")));

    let resolved = migrator::run(&test.url, &["resolve", "--rolled-back", future]).await;
    assert!(
        resolved.status.success(),
        "{}",
        migrator::last_stderr_line(&resolved)
    );
    let up = migrator::run(&test.url, &["up"]).await;
    assert!(up.status.success(), "{}", migrator::last_stderr_line(&up));
    let expected = migration::deployer(Settings::default())
        .await
        .expect("deployer");
    assert_eq!(
        expected.status(&test.db).await.expect("status").pending(),
        0
    );
}
