//! Creating the dev and test databases; connecting itself lives in `migration::conn`.

use anyhow::Context;
use sea_orm::{ConnectionTrait, Statement};

pub use migration::conn::{connect, quote_ident, require_pgvector};

use crate::url::with_database;

/// Creates `database` on the server of `admin_url` if it is missing, and returns its URL.
pub async fn ensure_database(admin_url: &str, database: &str) -> anyhow::Result<String> {
    let admin = connect(admin_url).await?;
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [database.into()],
        ))
        .await
        .context("look up database")?
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE {}", quote_ident(database)))
            .await
            .with_context(|| format!("create database {database}"))?;
    }
    admin.close().await.ok();
    with_database(admin_url, database)
}
