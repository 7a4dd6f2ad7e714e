//! The SQL a migration sends, rendered without a database.
//!
//! A migration runs against a recording connection (SeaORM's proxy backend) that keeps each
//! statement and answers nothing, so what comes out is exactly the SQL the migration would
//! send to PostgreSQL. Checksums, `--dry-run` and the lint read this text, so editing a
//! comment or reformatting the Rust of a migration changes nothing, while changing its SQL
//! does.

use std::sync::{Arc, Mutex};

use sea_orm::{
    Database, DbBackend, DbErr, ProxyDatabaseTrait, ProxyExecResult, ProxyRow, Statement,
};
use sea_orm_migration::{MigrationTrait, SchemaManager};
use sha2::{Digest, Sha256};

/// A migration with the SQL its `up` sends, rendered once, and that SQL's checksum.
pub struct Rendered {
    pub migration: Box<dyn MigrationTrait>,
    pub statements: Vec<String>,
    pub checksum: String,
}

impl Rendered {
    /// The migration's name (its file stem), which databases record.
    pub fn name(&self) -> &str {
        self.migration.name()
    }
}

/// Renders every migration's `up`, in the order given: what the deployer checksums and the
/// lint reads.
pub async fn render_all(migrations: Vec<Box<dyn MigrationTrait>>) -> anyhow::Result<Vec<Rendered>> {
    let mut rendered = Vec::with_capacity(migrations.len());
    for migration in migrations {
        let statements = render_up(migration.as_ref())
            .await
            .map_err(|err| anyhow::anyhow!("render {}: {err}", migration.name()))?;
        rendered.push(Rendered {
            checksum: checksum_of(&statements),
            migration,
            statements,
        });
    }
    Ok(rendered)
}

/// The statements a migration's `up` sends, in order.
pub async fn render_up(migration: &dyn MigrationTrait) -> Result<Vec<String>, DbErr> {
    let (db, log) = recording_connection().await?;
    migration.up(&SchemaManager::new(&db)).await?;
    Ok(take(&log))
}

/// The statements a migration's `down` sends, in order.
pub async fn render_down(migration: &dyn MigrationTrait) -> Result<Vec<String>, DbErr> {
    let (db, log) = recording_connection().await?;
    migration.down(&SchemaManager::new(&db)).await?;
    Ok(take(&log))
}

/// The SHA-256 of the statements [`render_up`] rendered, as 64 hex digits: the checksum
/// recorded when a migration is applied.
pub fn checksum_of(statements: &[String]) -> String {
    let mut hasher = Sha256::new();
    for statement in statements {
        hasher.update(statement.trim().as_bytes());
        // A separator no statement ends with, so two statements never hash like one.
        hasher.update(b"\n;\n");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

type Log = Arc<Mutex<Vec<String>>>;

async fn recording_connection() -> Result<(sea_orm::DatabaseConnection, Log), DbErr> {
    let log = Log::default();
    let recorder = Recorder { log: log.clone() };
    let db = Database::connect_proxy(DbBackend::Postgres, Arc::new(Box::new(recorder))).await?;
    Ok((db, log))
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Keeps every statement; queries get no rows, so a migration that asks the database
/// questions renders as if it were empty.
#[derive(Debug)]
struct Recorder {
    log: Log,
}

#[async_trait::async_trait]
impl ProxyDatabaseTrait for Recorder {
    async fn query(&self, statement: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        self.record(statement);
        Ok(Vec::new())
    }

    async fn execute(&self, statement: Statement) -> Result<ProxyExecResult, DbErr> {
        self.record(statement);
        Ok(ProxyExecResult::default())
    }
}

impl Recorder {
    fn record(&self, statement: Statement) {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(statement.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm_migration::prelude::*;

    #[derive(DeriveMigrationName)]
    struct Migration;

    #[async_trait::async_trait]
    impl MigrationTrait for Migration {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            let db = manager.get_connection();
            db.execute_unprepared("CREATE TABLE t (id int PRIMARY KEY)")
                .await?;
            db.execute_unprepared("CREATE INDEX t_id ON t (id)").await?;
            Ok(())
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE t")
                .await?;
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_migration_renders_the_statements_it_sends_in_order() {
        let up = render_up(&Migration).await.unwrap();
        assert_eq!(
            up,
            [
                "CREATE TABLE t (id int PRIMARY KEY)",
                "CREATE INDEX t_id ON t (id)"
            ]
        );
        assert_eq!(render_down(&Migration).await.unwrap(), ["DROP TABLE t"]);
    }

    #[tokio::test]
    async fn a_checksum_is_the_sha256_of_the_statements_and_changes_with_them() {
        let up = render_up(&Migration).await.unwrap();
        let checksum = checksum_of(&up);
        assert_eq!(checksum.len(), 64);
        assert_eq!(checksum, checksum_of(&up));
        assert_ne!(checksum, checksum_of(&up[..1]));
    }
}
