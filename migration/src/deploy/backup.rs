//! `migrate --backup DIR`: a pg_dump of the database before anything is applied.

use std::path::PathBuf;

use anyhow::{Context, bail};

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
    /// returns the file. The password goes through the environment, never the command line.
    pub fn dump(&self, url: &str) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("create backup directory {}", self.dir.display()))?;
        let name = super::backups::file_name(
            &database_name(url)?,
            chrono::Utc::now(),
            self.after.as_deref(),
        );
        let file = self.dir.join(name);
        let pg_dump = &self.pg_dump;
        let mut args = vec![
            "--format=custom".to_owned(),
            "--no-password".to_owned(),
            format!("--file={}", file.display()),
            format!("--dbname={}", without_password(url)?),
        ];
        args.extend(super::backups::statistics_flag(pg_dump).map(str::to_owned));
        let mut command = duct::cmd(pg_dump, args)
            .stdout_null()
            .stderr_capture()
            .unchecked();
        // Decoded, as libpq wants it; in the environment, which other users cannot read.
        if let Some(password) = password(url)? {
            command = command.env("PGPASSWORD", password);
        }
        let output = match command.run() {
            Ok(output) => output,
            Err(err) => bail!(
                "backup failed, nothing applied: cannot run {} ({err}): install pg_dump or pass --pg-dump PATH",
                pg_dump.display()
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
