//! `migrate --backup DIR`: a pg_dump of the database before anything is applied, encrypted
//! as it streams to disk when a key is configured.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use tokio::io::AsyncReadExt;

use dbconn::Liveness;
use dbconn::url::{database_name, password, redact, without_password};

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
    pub async fn dump(&self, url: &str, liveness: Liveness) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("create backup directory {}", self.dir.display()))?;
        let mut name = crate::backups::file_name(
            &database_name(url)?,
            chrono::Utc::now(),
            self.after.as_deref(),
        );
        let encrypted = !self.recipients.is_empty();
        if encrypted {
            name.push_str(crate::encryption::SUFFIX);
        }
        let file = self.dir.join(name);
        let result = self.run_pg_dump(url, liveness, &file, encrypted).await;
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
        file: &Path,
        encrypted: bool,
    ) -> anyhow::Result<()> {
        let mut child = match self.command(url, liveness, file, encrypted).await?.spawn() {
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
        file: &Path,
        encrypted: bool,
    ) -> anyhow::Result<tokio::process::Command> {
        let mut command = tokio::process::Command::new(&self.pg_dump);
        command
            .arg("--format=custom")
            .arg("--no-password")
            .arg(format!("--dbname={}", dump_target(url, liveness)?))
            .args(crate::backups::statistics_flag(&self.pg_dump).await)
            .env("PGOPTIONS", server_options(liveness))
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            // A migrator that gives up (a lost server) takes its pg_dump with it.
            .kill_on_drop(true);
        if encrypted {
            // Without --file, pg_dump writes the archive to stdout, encrypted on its way.
            command.stdout(Stdio::piped());
        } else {
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

/// The URL pg_dump connects to: no password, and libpq's own keepalives and
/// `tcp_user_timeout` set to the bound, so a lost network cannot hang the dump.
fn dump_target(url: &str, liveness: Liveness) -> anyhow::Result<String> {
    let direct = dbconn::tls::require_for_remote(&without_password(url)?)?;
    let mut target = url::Url::parse(&direct).context("database URL")?;
    let settings = liveness.session_settings();
    let get = |name: &str| {
        settings
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    target
        .query_pairs_mut()
        .append_pair("keepalives", "1")
        .append_pair("keepalives_idle", &get("tcp_keepalives_idle"))
        .append_pair("keepalives_interval", &get("tcp_keepalives_interval"))
        .append_pair("keepalives_count", &get("tcp_keepalives_count"))
        .append_pair("tcp_user_timeout", &get("tcp_user_timeout"));
    Ok(target.to_string())
}

/// The server side of the same bound, as `PGOPTIONS`. The idle limits are left out: pg_dump
/// turns `idle_in_transaction_session_timeout` off for its own long transaction.
fn server_options(liveness: Liveness) -> String {
    let mut options: Vec<String> = std::env::var("PGOPTIONS").ok().into_iter().collect();
    options.extend(
        liveness
            .session_settings()
            .into_iter()
            .filter(|(name, _)| name.starts_with("tcp_"))
            .map(|(name, value)| format!("-c {name}={value}")),
    );
    options.join(" ")
}
