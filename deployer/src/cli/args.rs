//! The arguments of the deploy commands, as clap parses them from flags and `MIGRATE_*`,
//! `MIGRATION_BACKUP_*` variables.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Subcommand};

use crate::encryption::Recipients;

#[derive(Subcommand, Clone, Debug)]
pub enum Command {
    /// Apply pending migrations (the default).
    Up(UpArgs),
    /// Roll back the last migration, the last N, or all of them.
    Down(DownArgs),
    /// List every migration with its phase and state; refusals show here too. `--check`: one
    /// line, exit 0 only when fully migrated by this build and unedited (a readiness probe).
    Status(StatusArgs),
    /// Drop everything the project owns, then apply every migration (destructive).
    Fresh(ForceArgs),
    /// Roll back every migration, then apply every migration (destructive).
    Refresh(ForceArgs),
    /// Roll back every migration and drop the migration tables (destructive).
    Reset(ForceArgs),
    /// Record a deliberate decision about one migration, after an edit or a manual fix.
    Resolve(ResolveArgs),
    /// List the dumps in a backup directory, newest first; `--take` dumps the database
    /// first, `--keep N` prunes.
    Backups(BackupsArgs),
    /// Restore a dump into an empty database (or, with --clean, over this one), if it comes
    /// from this build's schema history (destructive).
    Restore(RestoreArgs),
}

#[derive(Args, Clone, Debug, Default)]
pub struct UpArgs {
    /// Apply at most this many pending migrations.
    #[arg(short = 'n', long = "num", value_name = "N", value_parser = dbconn::cli::whole::<usize>)]
    pub num: Option<usize>,
    /// Print the SQL each pending migration would run, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Dump the database into this directory first (pg_dump custom format, encrypted with
    /// --backup-recipient); apply nothing if the dump fails.
    #[arg(long, value_name = "DIR")]
    pub backup: Option<PathBuf>,
    /// Deploy without a dump: required instead of --backup under APP_ENV=production, so that
    /// skipping the backup is a decision.
    #[arg(long, conflicts_with = "backup")]
    pub no_backup: bool,
    /// Apply migrations that sit before one the database has applied (a branch merged after
    /// the later one was deployed), instead of refusing them.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// After the --backup dump, keep only the newest N dumps of the database in DIR.
    #[arg(long, value_name = "N", requires = "backup", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
    /// The pg_dump to run for --backup (default: the one on PATH).
    #[arg(long, value_name = "PATH")]
    pub pg_dump: Option<PathBuf>,
    #[command(flatten)]
    pub key: BackupKeyArgs,
}

#[derive(Args, Clone, Debug)]
pub struct DownArgs {
    /// How many migrations to roll back.
    #[arg(
        short = 'n',
        long = "num",
        alias = "steps",
        default_value_t = 1,
        value_name = "N",
        value_parser = dbconn::cli::whole::<usize>,
        conflicts_with = "all"
    )]
    pub num: usize,
    /// Roll back every migration (destructive: refused on production and remote hosts).
    #[arg(long)]
    pub all: bool,
    /// Allow `--all` on a non-local host (never with APP_ENV=production).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Clone, Debug)]
pub struct ForceArgs {
    /// Allow a non-local host (never with APP_ENV=production).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Clone, Debug)]
#[group(required = true, multiple = false)]
pub struct ResolveArgs {
    /// Count VERSION as applied with its current SQL (applied by hand, or an intended edit).
    #[arg(long, value_name = "VERSION")]
    pub applied: Option<String>,
    /// Count VERSION as not applied (undone by hand, or removed from the code on purpose).
    #[arg(long, value_name = "VERSION")]
    pub rolled_back: Option<String>,
}

#[derive(Args, Clone, Debug, Default)]
pub struct StatusArgs {
    /// Print one line and exit 0 only when the database is reachable, fully migrated by this
    /// build and unedited: a readiness probe or CI gate.
    #[arg(long)]
    pub check: bool,
}

/// How the dumps a command takes are encrypted.
#[derive(Args, Clone, Debug, Default)]
pub struct BackupKeyArgs {
    /// Encrypt each dump to this age public key (`age1...`; several separated by commas) as
    /// it streams out of pg_dump, into `*.dump.age`: no plaintext dump touches the disk.
    #[arg(long, env = "MIGRATION_BACKUP_RECIPIENT", value_name = "AGE_PUBLIC_KEY", value_parser = Recipients::parse)]
    pub backup_recipient: Option<Recipients>,
    /// Take an unencrypted dump under APP_ENV=production, which refuses one otherwise.
    #[arg(long)]
    pub allow_unencrypted_backup: bool,
}

impl BackupKeyArgs {
    /// The recipients dumps are encrypted to; none for a plain dump.
    pub fn recipients(&self) -> Recipients {
        self.backup_recipient.clone().unwrap_or_default()
    }

    /// Under `APP_ENV=production`, a dump must be encrypted, or its plaintext allowed on
    /// purpose: a dump holds every user's data, and backup volumes are copied and kept.
    pub fn require_encryption(&self) -> anyhow::Result<()> {
        if dbconn::guard::is_production()
            && self.backup_recipient.is_none()
            && !self.allow_unencrypted_backup
        {
            bail!(
                "refusing an unencrypted backup of production: set MIGRATION_BACKUP_RECIPIENT \
                 (or --backup-recipient) to an age public key to encrypt it, or pass \
                 --allow-unencrypted-backup"
            );
        }
        Ok(())
    }
}

#[derive(Args, Clone, Debug)]
pub struct BackupsArgs {
    /// The backup directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Dump the database into DIR first, under the migration lock.
    #[arg(long)]
    pub take: bool,
    /// Then delete all but the newest N dumps of each database in DIR.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
    /// The pg_dump for --take (default: the one on PATH).
    #[arg(long, value_name = "PATH")]
    pub pg_dump: Option<PathBuf>,
    #[command(flatten)]
    pub key: BackupKeyArgs,
}

#[derive(Args, Clone, Debug)]
pub struct RestoreArgs {
    /// The dump to restore: pg_dump's custom format, as `up --backup` and `backups --take`
    /// write it.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// When the database is not empty, drop everything the project owns first (destructive).
    #[arg(long)]
    pub clean: bool,
    /// Allow a non-local host, and a dump whose schema history differs from this build's
    /// (never with APP_ENV=production).
    #[arg(long)]
    pub force: bool,
    /// The pg_restore to run (default: the one on PATH).
    #[arg(long, value_name = "PATH")]
    pub pg_restore: Option<PathBuf>,
    /// The age identity file (the secret key, as age-keygen writes it) that decrypts an
    /// encrypted dump (`*.dump.age`).
    #[arg(long, env = "MIGRATION_BACKUP_IDENTITY", value_name = "FILE")]
    pub backup_identity: Option<PathBuf>,
}
