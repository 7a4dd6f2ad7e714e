//! `migrate --backup DIR`: a pg_dump of the database before anything is applied, encrypted
//! as it streams to disk when a key is configured.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use std::process::Stdio;

use anyhow::{Context, bail};
use tokio::io::AsyncReadExt;

use dbconn::Liveness;
use dbconn::url::{database_name, password, redact};

use crate::child;
use crate::encryption::Recipients;

/// Where to dump and with which pg_dump.
#[derive(Clone, Debug)]
pub struct Backup {
    /// The directory the dump goes to; created if missing.
    pub dir: PathBuf,
    /// The pg_dump to run; it must be at least as new as the server.
    pub pg_dump: PathBuf,
    /// The last migration applied when the dump is taken, for its name ([`super::backups`]).
    pub after: Option<String>,
    /// Once the dump is taken, keep only this many dumps of the database in `dir`.
    pub keep: Option<usize>,
    /// Encrypt the dump to these public keys as it streams out of pg_dump (`*.dump.age`);
    /// none: a plain `*.dump`.
    pub recipients: Recipients,
}

impl Backup {
    /// Dumps the database of `url` in pg_dump's custom format (restore with pg_restore) and
    /// returns the file, encrypted on its way to disk when there are recipients. The password
    /// goes through the environment, never the command line; pg_dump's connection gets the
    /// same keepalive bounds as the migrator's own, and TLS as the migrator's own.
    pub async fn dump(
        &self,
        url: &str,
        liveness: Liveness,
        application: &str,
    ) -> anyhow::Result<PathBuf> {
        crate::files::create_private_dir(&self.dir)
            .with_context(|| format!("create backup directory {}", self.dir.display()))?;
        let mut name = file_name(
            &database_name(url)?,
            chrono::Utc::now(),
            self.after.as_deref(),
        );
        let encrypted = !self.recipients.is_empty();
        if encrypted {
            name.push_str(crate::encryption::SUFFIX);
        }
        let file = self.dir.join(name);
        let result = self
            .run_pg_dump(url, liveness, application, &file, encrypted)
            .await;
        if result.is_err() {
            let _ = std::fs::remove_file(&file);
        }
        result.map(|()| file)
    }

    /// Runs pg_dump into `file`: directly, or through its stdout and the encryption.
    async fn run_pg_dump(
        &self,
        url: &str,
        liveness: Liveness,
        application: &str,
        file: &Path,
        encrypted: bool,
    ) -> anyhow::Result<()> {
        let mut child = match self
            .command(url, liveness, application, file, encrypted)
            .await?
            .spawn()
        {
            Ok(child) => child,
            Err(err) => bail!(
                "backup failed, nothing applied: cannot run {} ({err}): install pg_dump or pass --pg-dump PATH",
                self.pg_dump.display()
            ),
        };
        // Read at once, so pg_dump never blocks on a full stderr pipe while stdout streams.
        let mut stderr = child.stderr.take().context("pg_dump's stderr")?;
        let errors = tokio::spawn(async move {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text).await;
            text
        });
        // Dropping stdout on a failed write ends pg_dump (a broken pipe).
        let written = match child.stdout.take() {
            Some(mut stdout) => self.recipients.encrypt_stream(&mut stdout, file).await,
            None => Ok(0),
        };
        let status = child.wait().await.context("wait for pg_dump")?;
        let stderr = errors.await.unwrap_or_default();
        written.context("backup failed, nothing applied")?;
        if !status.success() {
            let stderr = String::from_utf8_lossy(&stderr);
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            bail!(
                "backup of {} failed, nothing applied: {}: fix pg_dump (it must be at least the server's version) or deploy without --backup",
                redact(url),
                first.trim()
            );
        }
        Ok(())
    }

    /// The pg_dump command: into `file`, or to stdout when the dump is to be encrypted.
    async fn command(
        &self,
        url: &str,
        liveness: Liveness,
        application: &str,
        file: &Path,
        encrypted: bool,
    ) -> anyhow::Result<tokio::process::Command> {
        let mut command = child::command(&self.pg_dump);
        command
            .arg("--format=custom")
            .arg("--no-password")
            .arg(format!(
                "--dbname={}",
                child::bounded_url(url, liveness, application)?
            ))
            .args(statistics_flag(&self.pg_dump).await)
            .env("PGOPTIONS", child::server_options(liveness, false))
            .stderr(Stdio::piped());
        if encrypted {
            // Without --file, pg_dump writes the archive to stdout, encrypted on its way.
            command.stdout(Stdio::piped());
        } else {
            // Created first, so pg_dump's --file keeps the owner-only mode.
            crate::files::create_private(file)
                .with_context(|| format!("create {}", file.display()))?;
            command
                .arg(format!("--file={}", file.display()))
                .stdout(Stdio::null());
        }
        // Decoded, as libpq wants it; in the environment, which other users cannot read.
        match password(url)? {
            Some(password) => command.env("PGPASSWORD", password),
            None => command.env_remove("PGPASSWORD"),
        };
        Ok(command)
    }
}

/// The name's last part when no migration had been applied yet.
pub const NO_MIGRATION: &str = "none";
/// The extension of a dump file, before `.age` when encrypted.
pub const EXTENSION: &str = ".dump";

/// `--statistics` where pg_dump can dump the planner's statistics (PostgreSQL 18 on), so a
/// restore plans as the source did without an `ANALYZE` of every table; `None` for an older
/// pg_dump, or one that cannot say its version (its dump then fails with its own message).
pub async fn statistics_flag(pg_dump: &Path) -> Option<&'static str> {
    let version = crate::child::version(pg_dump).await?;
    // `pg_dump (PostgreSQL) 18.3`, or `... 18beta1`.
    let number = version.split_whitespace().last()?;
    let major: u32 = number
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    (major >= 18).then_some("--statistics")
}

/// The file name of a dump of `database` taken at `at`, after migration `last`.
pub fn file_name(database: &str, at: DateTime<Utc>, last: Option<&str>) -> String {
    format!(
        "{database}-{}-{}{EXTENSION}",
        at.format("%Y%m%dT%H%M%SZ"),
        last.unwrap_or(NO_MIGRATION)
    )
}
