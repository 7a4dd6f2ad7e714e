//! `migrate --backup DIR`: a pg_dump of the database before anything is applied.

use std::path::PathBuf;

use anyhow::{Context, bail};

use dbconn::Liveness;
use dbconn::url::{database_name, password, redact, without_password};

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
}

impl Backup {
    /// Dumps the database of `url` in pg_dump's custom format (restore with pg_restore) and
    /// returns the file. The password goes through the environment, never the command line;
    /// pg_dump's connection gets the same keepalive bounds as the migrator's own.
    pub async fn dump(&self, url: &str, liveness: Liveness) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("create backup directory {}", self.dir.display()))?;
        let name = super::backups::file_name(
            &database_name(url)?,
            chrono::Utc::now(),
            self.after.as_deref(),
        );
        let file = self.dir.join(name);
        let mut command = tokio::process::Command::new(&self.pg_dump);
        command
            .arg("--format=custom")
            .arg("--no-password")
            .arg(format!("--file={}", file.display()))
            .arg(format!("--dbname={}", dump_target(url, liveness)?))
            .args(super::backups::statistics_flag(&self.pg_dump))
            .env("PGOPTIONS", server_options(liveness))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            // A migrator that gives up (a lost server) takes its pg_dump with it.
            .kill_on_drop(true);
        // Decoded, as libpq wants it; in the environment, which other users cannot read.
        match password(url)? {
            Some(password) => command.env("PGPASSWORD", password),
            None => command.env_remove("PGPASSWORD"),
        };
        let output = match command.output().await {
            Ok(output) => output,
            Err(err) => bail!(
                "backup failed, nothing applied: cannot run {} ({err}): install pg_dump or pass --pg-dump PATH",
                self.pg_dump.display()
            ),
        };
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let _ = std::fs::remove_file(&file);
            bail!(
                "backup of {} failed, nothing applied: {}: fix pg_dump (it must be at least the server's version) or deploy without --backup",
                redact(url),
                first.trim()
            );
        }
        Ok(file)
    }
}

/// The URL pg_dump connects to: no password, and libpq's own keepalives and
/// `tcp_user_timeout` set to the bound, so a lost network cannot hang the dump.
fn dump_target(url: &str, liveness: Liveness) -> anyhow::Result<String> {
    let mut target = url::Url::parse(&without_password(url)?).context("database URL")?;
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
