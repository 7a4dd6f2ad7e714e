//! A whole migrator binary for a three-migration schema of two small tables, driven through
//! the deployer's command line: `cargo run -p deployer --example toy -- -u URL up | status | down`.

use deployer::Project;
use sea_orm_migration::prelude::*;

/// The toy's migrations, in the order they apply.
struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateAuthors),
            Box::new(CreateBooks),
            Box::new(IndexBooksByAuthor),
        ]
    }
}

/// Each toy migration is one statement up and one down.
macro_rules! migration {
    ($name:ident, $file:literal, $up:literal, $down:literal) => {
        struct $name;

        impl MigrationName for $name {
            fn name(&self) -> &str {
                $file
            }
        }

        #[async_trait::async_trait]
        impl MigrationTrait for $name {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                manager
                    .get_connection()
                    .execute_unprepared($up)
                    .await
                    .map(|_| ())
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                manager
                    .get_connection()
                    .execute_unprepared($down)
                    .await
                    .map(|_| ())
            }
        }
    };
}

migration!(
    CreateAuthors,
    "m20260101_000001_create_authors",
    "CREATE TABLE toy_authors (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)",
    "DROP TABLE toy_authors"
);
migration!(
    CreateBooks,
    "m20260101_000002_create_books",
    "CREATE TABLE toy_books (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
     author_id bigint NOT NULL REFERENCES toy_authors (id), title text NOT NULL)",
    "DROP TABLE toy_books"
);
migration!(
    IndexBooksByAuthor,
    "m20260101_000003_index_books_by_author",
    "CREATE INDEX toy_books_author_id_idx ON toy_books (author_id)",
    "DROP INDEX toy_books_author_id_idx"
);

fn main() -> std::process::ExitCode {
    let project = Project {
        application: "toy migrator",
        ..Project::default()
    };
    deployer::cli::main::<Migrator>(project)
}
