//! Where the database comes from: `DATABASE_URL`, an embedded PostgreSQL, or a container.
//!
//! xtask and the smoke tests both ask this crate for a database, so the rules live in one
//! place: an explicit `DATABASE_URL` wins, otherwise an embedded server with pgvector is
//! started on demand under `target/devdb/`, and smoke runs may use a container instead.

pub mod container;
pub mod databases;
pub mod embedded;
pub mod pgbouncer;
pub mod smoke_server;

use std::path::PathBuf;

use dbconn::url::{is_local, parse, redact};

/// The database name the embedded dev server serves the platform's schema from.
pub const DEV_DATABASE: &str = "agents_dev";

/// The workspace root, found from this crate's own location so that every binary agrees.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Where embedded servers keep binaries and data: `target/devdb` unless `CARGO_TARGET_DIR`
/// moves the target directory.
pub fn devdb_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("devdb")
}

/// A database to work on, and a line that says where it came from.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    pub origin: String,
}

impl Target {
    /// The URL with its password replaced, fit for logs and errors.
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }

    /// Whether the host is this machine, which destructive commands take as a sign of a
    /// development database.
    pub fn is_local(&self) -> bool {
        is_local(&self.url)
    }
}

/// The database `cargo xtask migrate` works on: `MIGRATION_DATABASE_URL` or `DIRECT_URL` when
/// set (the server itself, where `DATABASE_URL` may be a pooler), else [`dev_target`].
pub async fn migration_target() -> anyhow::Result<Target> {
    match dbconn::direct::migration_url() {
        Some((name, url)) if name != "DATABASE_URL" => {
            parse(&url)?;
            Ok(Target {
                origin: format!("{name} ({})", redact(&url)),
                url,
            })
        }
        _ => dev_target().await,
    }
}

/// The database every xtask command works on: `DATABASE_URL` when set, else the embedded dev
/// server, started if needed.
pub async fn dev_target() -> anyhow::Result<Target> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => {
            parse(&url)?;
            Ok(Target {
                origin: format!("DATABASE_URL ({})", redact(&url)),
                url,
            })
        }
        _ => {
            let server = embedded::Server::dev();
            let admin = server.ensure_running()?;
            let url = databases::ensure(&admin, DEV_DATABASE).await?;
            Ok(Target {
                origin: format!("embedded dev server ({})", redact(&url)),
                url,
            })
        }
    }
}
