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
    use crate::{Migrator, MigratorTrait};

    #[tokio::test]
    async fn every_migration_renders_sql_both_ways() {
        for migration in Migrator::migrations() {
            let up = render_up(migration.as_ref()).await.unwrap();
            let down = render_down(migration.as_ref()).await.unwrap();
            assert!(!up.is_empty(), "{} renders no up SQL", migration.name());
            assert!(!down.is_empty(), "{} renders no down SQL", migration.name());
        }
    }

    #[tokio::test]
    async fn checksums_are_stable_and_differ_between_migrations() {
        let migrations = Migrator::migrations();
        let mut seen = std::collections::HashSet::new();
        let checksum = async |m: &dyn MigrationTrait| checksum_of(&render_up(m).await.unwrap());
        for migration in &migrations {
            let first = checksum(migration.as_ref()).await;
            assert_eq!(first, checksum(migration.as_ref()).await);
            assert_eq!(first.len(), 64);
            assert!(seen.insert(first), "{} shares a checksum", migration.name());
        }
    }

    #[tokio::test]
    async fn the_first_migration_renders_the_extensions_it_creates() {
        let first = &Migrator::migrations()[0];
        let sql = render_up(first.as_ref()).await.unwrap().join("\n");
        assert!(sql.contains("vector"), "{sql}");
    }
}
