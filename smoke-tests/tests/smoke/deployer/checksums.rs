//! An edited migration and a version the code lacks stop `up` before it changes anything;
//! `resolve` is the explicit way out.

use deployer::{Resolution, Settings, Up};
use sea_orm::ConnectionTrait;
use smoke_tests::{TestDb, migrator, toy};

use super::Snapshot;

/// The toy's migrations with the books' title column defined as `title`.
fn toy_with_books(title: &str) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    let mut migrations = toy::migrations();
    migrations[1] = Box::new(toy::books(title));
    migrations
}

#[tokio::test]
async fn an_edited_migration_is_refused_until_resolved() {
    let test = TestDb::new("toy_an_edited_migration_is_refused").await;
    super::through(&test.db, toy::BOOKS).await;
    let before = Snapshot::read(&test.db).await;

    // Someone changed the applied migration's SQL afterwards.
    let edited = toy::deployer(
        Settings::default(),
        toy_with_books("title varchar(200) NOT NULL"),
    )
    .await;
    let err = edited
        .up(&test.db, &Up::default())
        .await
        .expect_err("an edited migration must be refused")
        .to_string();
    let books = toy::BOOKS;
    assert!(
        err.starts_with(&format!(
            "refusing to migrate: migration {books} changed after it was applied"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("`migrate resolve --applied {books}`")),
        "{err}"
    );
    assert_eq!(
        Snapshot::read(&test.db).await,
        before,
        "the refusal changed the database"
    );

    let said = edited
        .resolve(&test.db, &Resolution::Applied(books.into()))
        .await
        .expect("resolve");
    assert!(said.starts_with(&format!("accepted {books}")), "{said}");
    let applied = edited
        .up(&test.db, &Up::default())
        .await
        .expect("up after resolve");
    assert_eq!(applied, [toy::INDEX]);
}

#[tokio::test]
async fn a_database_newer_than_the_code_is_refused_until_resolved() {
    let test = TestDb::new("toy_a_database_newer_than_the_code").await;
    super::through(&test.db, toy::AUTHORS).await;
    let future = "m20991231_000003_from_a_newer_build";
    test.db
        .execute_unprepared(&format!(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{future}', 0)"
        ))
        .await
        .expect("record a version this build lacks");
    let before = Snapshot::read(&test.db).await;

    let refused = migrator::run_toy(&test.url, &["up"]).await;
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
    let status = migrator::run_toy(&test.url, &["status"]).await;
    assert_eq!(
        status.status.code(),
        Some(1),
        "status must fail while refused"
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains(&format!("UNKNOWN  {future}")));

    let resolved = migrator::run_toy(&test.url, &["resolve", "--rolled-back", future]).await;
    assert!(
        resolved.status.success(),
        "{}",
        migrator::last_stderr_line(&resolved)
    );
    let up = migrator::run_toy(&test.url, &["up"]).await;
    assert!(up.status.success(), "{}", migrator::last_stderr_line(&up));
    let expected = toy::deployer(Settings::default(), toy::migrations()).await;
    assert_eq!(
        expected.status(&test.db).await.expect("status").pending(),
        0
    );
}
