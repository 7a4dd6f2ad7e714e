//! Databases on a server: the dev database, and scratch databases that drop themselves.
//!
//! The smoke tests, `cargo xtask erd` and the bench all need a database of their own for a
//! while; they get it here, so creating, replacing and dropping one is written once.

use anyhow::Context;
use dbconn::url::{quote_ident, with_database};
use sea_orm::{ConnectionTrait, Statement};

/// Creates `database` on the server of `admin_url` if it is missing, and returns its URL.
pub async fn ensure(admin_url: &str, database: &str) -> anyhow::Result<String> {
    let admin = dbconn::connect(admin_url).await?;
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
            .with_context(|| format!("create database {database} (the user needs CREATEDB)"))?;
    }
    admin.close().await.ok();
    with_database(admin_url, database)
}

/// Creates `database` empty, replacing one of that name (a killed run's leftover), and
/// returns its URL.
pub async fn recreate(admin_url: &str, database: &str) -> anyhow::Result<String> {
    drop_if_exists(admin_url, database).await?;
    ensure(admin_url, database).await
}

/// Drops `database` if it exists, ending its sessions first.
pub async fn drop_if_exists(admin_url: &str, database: &str) -> anyhow::Result<()> {
    let admin = dbconn::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(database)
        ))
        .await
        .with_context(|| format!("drop database {database}"))?;
    admin.close().await.ok();
    Ok(())
}

/// A database that lives as long as this value: created empty (replacing a leftover of the
/// same name), dropped on drop, whether its user finished or panicked.
pub struct Scratch {
    pub url: String,
    pub name: String,
    admin_url: String,
}

impl Scratch {
    /// Creates `name` (at most 63 bytes are kept, PostgreSQL's limit) on the server of
    /// `admin_url`.
    pub async fn create(admin_url: &str, name: &str) -> anyhow::Result<Scratch> {
        let name: String = name.chars().take(63).collect();
        let url = recreate(admin_url, &name).await?;
        Ok(Scratch {
            url,
            name,
            admin_url: admin_url.to_owned(),
        })
    }

    /// Creates `name` as a copy of the database `template` (`CREATE DATABASE ... TEMPLATE`,
    /// which copies files instead of replaying the statements that made them), replacing a
    /// leftover of that name. Nobody may be connected to `template` meanwhile.
    pub async fn copy_of(admin_url: &str, name: &str, template: &str) -> anyhow::Result<Scratch> {
        let name: String = name.chars().take(63).collect();
        drop_if_exists(admin_url, &name).await?;
        let admin = dbconn::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_ident(&name),
                quote_ident(template)
            ))
            .await
            .with_context(|| format!("create database {name} from {template}"))?;
        admin.close().await.ok();
        Ok(Scratch {
            url: with_database(admin_url, &name)?,
            name,
            admin_url: admin_url.to_owned(),
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Drop may run inside a runtime we must not block, so the drop gets a thread and a
        // runtime of its own; FORCE ends the sessions still open on the database.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(drop_if_exists(&admin_url, &name))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop scratch database {}", self.name);
        }
    }
}
