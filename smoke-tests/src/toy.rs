//! Toy migrators for the deployer's own tests: a few small tables, so a test of the lock,
//! the checksums, atomicity, timeouts or the dry run needs none of this project's schema.
//!
//! [`migrations`] are the three of `deployer/examples/toy.rs` (the binary `TOY_BIN`), with the
//! same names and SQL, so a database the binary migrated is one this library's deployer
//! accepts, and the other way round. The rest are the migrations a test adds after them or in
//! their place: an edit, a failure half-way, an online index outside a transaction, a
//! migration that locks both tables.

use std::time::Duration;

use deployer::online::{self, OnlineIndex};
use deployer::{Deployer, Project, Settings};
use sea_orm::{ConnectionTrait, DbErr};
use sea_orm_migration::prelude::*;

/// The toy's first migration: the authors.
pub const AUTHORS: &str = "m20260101_000001_create_authors";
/// The second: the books, with a foreign key to the authors.
pub const BOOKS: &str = "m20260101_000002_create_books";
/// The third: an index of the books by author.
pub const INDEX: &str = "m20260101_000003_index_books_by_author";

/// The `application_name` of the toy binary's migration sessions (its [`Project`]).
pub const APPLICATION: &str = "toy migrator";

/// The toy binary's project: the deployer's defaults, its own name.
pub fn project() -> Project {
    Project {
        application: APPLICATION,
        ..Project::default()
    }
}

/// The toy binary's three migrations, in order.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(authors()),
        Box::new(books("title text NOT NULL")),
        Box::new(SqlMigration::new(
            INDEX,
            "CREATE INDEX toy_books_author_id_idx ON toy_books (author_id)",
            "DROP INDEX toy_books_author_id_idx",
        )),
    ]
}

/// The names of `migrations`, in order.
pub fn names(migrations: &[Box<dyn MigrationTrait>]) -> Vec<String> {
    migrations.iter().map(|m| m.name().to_owned()).collect()
}

/// A deployer of the toy project for `migrations`.
pub async fn deployer(settings: Settings, migrations: Vec<Box<dyn MigrationTrait>>) -> Deployer {
    Deployer::with_migrations(settings, migrations)
        .await
        .expect("render the toy migrations")
        .with_project(project())
}

/// The toy's first migration.
pub fn authors() -> SqlMigration {
    SqlMigration::new(
        AUTHORS,
        "CREATE TABLE toy_authors (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)",
        "DROP TABLE toy_authors",
    )
}

/// The toy's second migration with `title` as the title column's definition: the toy's is
/// `title text NOT NULL`; any other is an edit made after it was applied.
pub fn books(title: &str) -> SqlMigration {
    SqlMigration {
        up: vec![format!(
            "CREATE TABLE toy_books (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
             author_id bigint NOT NULL REFERENCES toy_authors (id), {title})"
        )],
        ..SqlMigration::new(BOOKS, "", "DROP TABLE toy_books")
    }
}

/// Creates a table and fills it, then fails: all of it must vanish with the failure.
pub fn fails_half_way() -> SqlMigration {
    SqlMigration {
        up: vec![
            "CREATE TABLE toy_half_way (id int PRIMARY KEY)".into(),
            "INSERT INTO toy_half_way VALUES (1)".into(),
            "ALTER TABLE toy_no_such_table ADD COLUMN x int".into(),
        ],
        ..SqlMigration::new(
            "m20260101_000004_fails_half_way",
            "",
            "DROP TABLE toy_half_way",
        )
    }
}

/// Locks the authors, then the books, in one transaction, as a migration that changes
/// several tables does: the order a deadlock with the application needs.
pub fn locks_both_tables() -> SqlMigration {
    SqlMigration {
        up: vec![
            "ALTER TABLE toy_authors ADD COLUMN born date".into(),
            "ALTER TABLE toy_books ADD COLUMN published date".into(),
        ],
        ..SqlMigration::new(
            "m20260101_000004_add_dates",
            "",
            "ALTER TABLE toy_books DROP COLUMN published; ALTER TABLE toy_authors DROP COLUMN born",
        )
    }
}

/// The online index of the books by title, which runs outside a transaction.
pub const BY_TITLE: OnlineIndex<'static> = OnlineIndex {
    lock_timeout: Duration::from_millis(300),
    ..OnlineIndex::new("toy_books_title_idx", "public", "toy_books", &["title"])
};

/// Builds [`BY_TITLE`] with the deployer's online helper: `CREATE INDEX CONCURRENTLY`, which
/// PostgreSQL refuses in a transaction block, so it opts out of the migration's transaction.
pub struct IndexBooksByTitle;

/// The name of [`IndexBooksByTitle`].
pub const BY_TITLE_MIGRATION: &str = "m20260101_000004_index_books_by_title";

impl MigrationName for IndexBooksByTitle {
    fn name(&self) -> &str {
        BY_TITLE_MIGRATION
    }
}

#[async_trait::async_trait]
impl MigrationTrait for IndexBooksByTitle {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_connection() {
            SchemaManagerConnection::Connection(db) => {
                online::create_index_concurrently(db, &BY_TITLE).await
            }
            _ => Err(DbErr::Custom("an online index ran in a transaction".into())),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&BY_TITLE.drop_sql())
            .await
            .map(|_| ())
    }
}

/// A migration given as SQL, for tests that need one the code does not have: an edited one, a
/// failing one, one outside a transaction.
pub struct SqlMigration {
    pub name: &'static str,
    /// Statements `up` runs, in order.
    pub up: Vec<String>,
    pub down: &'static str,
    /// `false` opts out of the transaction, as `CREATE INDEX CONCURRENTLY` must.
    pub transactional: bool,
}

impl SqlMigration {
    /// A migration of one statement each way, in a transaction.
    pub fn new(name: &'static str, up: &str, down: &'static str) -> SqlMigration {
        SqlMigration {
            name,
            up: vec![up.to_owned()],
            down,
            transactional: true,
        }
    }
}

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    fn use_transaction(&self) -> Option<bool> {
        (!self.transactional).then_some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for statement in &self.up {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(self.down)
            .await
            .map(|_| ())
    }
}
