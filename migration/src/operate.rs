//! The operator's commands beside the migrate ones, for the binary and `cargo xtask`:
//! `status --check` (a readiness probe), `backups` (list, take, prune), `restore`, `monitor`,
//! and the production rule that `up` says how it is backed up.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use sea_orm::DatabaseConnection;

use crate::cli::{Command, UpArgs};
use crate::deploy::{Backup, Deployer, Recipients, Restore, State, backups};
use dbcheck::monitor::{self, Level};
use dbconn::url::{database_name, redact};

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

#[derive(Args, Clone, Debug)]
pub struct MonitorArgs {
    /// Print JSON, for alerting, instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Exit 2 (the worst finding is warn) or 3 (crit) when a finding is at LEVEL or worse.
    #[arg(long, value_name = "warn|crit")]
    pub fail_on: Option<Level>,
    /// How many rows the size and slow-query lists show.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Override a threshold, e.g. `transaction_age=2m,10m` or `connections=60,80`
    /// (repeatable; the names and defaults are in docs/operating.md).
    #[arg(long = "threshold", value_name = "NAME=WARN,CRIT")]
    pub thresholds: Vec<String>,
}

/// Under `APP_ENV=production`, `up` must be told how the database is backed up: `--backup
/// DIR`, encrypted unless allowed otherwise, or `--no-backup` when it is backed up another
/// way. A dry run changes nothing.
pub fn require_backup_decision(args: &UpArgs) -> anyhow::Result<()> {
    if !dbconn::guard::is_production() || args.dry_run {
        return Ok(());
    }
    if args.backup.is_none() && !args.no_backup {
        bail!(
            "refusing to migrate production without a backup decision: pass --backup DIR to \
             dump the database first, or --no-backup if it is backed up another way"
        );
    }
    if args.backup.is_some() {
        args.key.require_encryption()?;
    }
    Ok(())
}

/// The backup `up` takes, from its flags.
pub fn backup_of(args: &UpArgs) -> Option<Backup> {
    args.backup.clone().map(|dir| Backup {
        dir,
        pg_dump: args
            .pg_dump
            .clone()
            .unwrap_or_else(|| PathBuf::from("pg_dump")),
        after: None,
        keep: args.keep.map(|k| k as usize),
        recipients: args.key.recipients(),
    })
}

/// Runs the operator's commands that `cli::execute` hands over: `status --check`, `backups`
/// and `restore`.
pub async fn execute(
    deployer: &Deployer,
    db: &DatabaseConnection,
    url: &str,
    command: Command,
) -> anyhow::Result<()> {
    match command {
        Command::Status(_) => check_ready(deployer, db, url).await,
        Command::Backups(args) => backups(&args, Some((deployer, db))).await,
        Command::Restore(args) => restore(deployer, db, url, args).await,
        _ => bail!("not an operator's command"),
    }
}

/// Refuses a connection that does not keep its session (a transaction pooler) for a command
/// that takes the migration lock, before any other statement: through such a pooler those
/// fail with the pooler's errors, which name no fix.
pub async fn require_session_first(
    deployer: &Deployer,
    db: &DatabaseConnection,
    command: &Command,
) -> anyhow::Result<()> {
    if takes_lock(command) {
        deployer.require_session(db).await?;
    }
    Ok(())
}

/// Whether `command` takes the migration lock, and so needs a connection that keeps its
/// session (no transaction pooler).
pub fn takes_lock(command: &Command) -> bool {
    match command {
        Command::Up(args) => !args.dry_run,
        Command::Status(_) => false,
        Command::Backups(args) => args.take,
        Command::Down(_)
        | Command::Fresh(_)
        | Command::Refresh(_)
        | Command::Reset(_)
        | Command::Resolve(_)
        | Command::Restore(_) => true,
    }
}

/// `status --check`: one line, and an error unless everything of this build is applied as it
/// is now.
pub async fn check_ready(
    deployer: &Deployer,
    db: &DatabaseConnection,
    url: &str,
) -> anyhow::Result<()> {
    let status = deployer.status(db).await.context("read migration status")?;
    let shown = redact(url);
    let total = status.entries.len();
    if let Some(problem) = status.problems().first() {
        bail!("not ready: {problem}");
    }
    let unrecorded = status
        .entries
        .iter()
        .filter(|(_, s)| *s == State::Unrecorded)
        .count();
    match (status.pending(), unrecorded) {
        (0, 0) => {
            println!(
                "ready: all {total} migration(s) of this build applied, none edited, on {shown}"
            );
            Ok(())
        }
        (0, n) => bail!(
            "not ready: {n} migration(s) on {shown} were applied without a checksum, so an \
             edit cannot be ruled out: run `migration up` to record them"
        ),
        (n, _) => {
            bail!("not ready: {n} of {total} migration(s) pending on {shown}: run `migration up`")
        }
    }
}

/// `backups DIR`: take a dump first with `--take`, prune with `--keep`, then list.
pub async fn backups(
    args: &BackupsArgs,
    deployer: Option<(&Deployer, &DatabaseConnection)>,
) -> anyhow::Result<()> {
    let keep = args.keep.map(|k| k as usize);
    if args.take {
        let (deployer, db) = deployer.context("backups --take needs a database")?;
        let backup = Backup {
            dir: args.dir.clone(),
            pg_dump: args
                .pg_dump
                .clone()
                .unwrap_or_else(|| PathBuf::from("pg_dump")),
            after: None,
            keep,
            recipients: args.key.recipients(),
        };
        let file = deployer.backup(db, &backup).await?;
        eprintln!("backups: took {}", file.display());
    } else if let Some(keep) = keep {
        for path in backups::prune(&args.dir, None, keep)? {
            eprintln!("backups: deleted {} (--keep {keep})", path.display());
        }
    }
    print_backups(&args.dir)
}

fn print_backups(dir: &std::path::Path) -> anyhow::Result<()> {
    let dumps = backups::list(dir)?;
    if dumps.is_empty() {
        println!("no dumps in {}", dir.display());
        return Ok(());
    }
    println!(
        "{:<17} {:<20} {:>10}  {:<44} file",
        "taken (UTC)", "database", "size", "last migration"
    );
    for dump in &dumps {
        let name = dump.path.file_name().unwrap_or_default().to_string_lossy();
        println!(
            "{:<17} {:<20} {:>10}  {:<44} {name}",
            dump.taken,
            dump.database,
            megabytes(dump.bytes),
            dump.last_migration.as_deref().unwrap_or("(none)"),
        );
    }
    println!("{} dump(s) in {}", dumps.len(), dir.display());
    Ok(())
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// `restore FILE`, after the guard: see [`crate::deploy::restore`].
pub async fn restore(
    deployer: &Deployer,
    db: &DatabaseConnection,
    url: &str,
    args: RestoreArgs,
) -> anyhow::Result<()> {
    let restore = Restore {
        file: args.file,
        pg_restore: args
            .pg_restore
            .unwrap_or_else(|| PathBuf::from("pg_restore")),
        clean: args.clean,
        force: args.force,
        identity: args.backup_identity,
    };
    let restored = deployer.restore(db, &restore).await?;
    let at = restored.last_migration.as_deref().unwrap_or("no migration");
    eprintln!(
        "restore: restored {} into {} ({}), at {at}; {}",
        restore.file.display(),
        database_name(url)?,
        redact(url),
        match restored.pending {
            0 => "every migration of this build is applied".to_owned(),
            n => format!("{n} migration(s) of this build pending: run `migration up`"),
        }
    );
    Ok(())
}

/// `monitor`: the report on stdout as tables or JSON, and with `--fail-on` an [`monitor::Alert`]
/// error when a finding is at that level or worse ([`exit_code`] maps it).
pub async fn monitor(
    db: &DatabaseConnection,
    origin: &str,
    args: &MonitorArgs,
) -> anyhow::Result<()> {
    let mut options = monitor::Options {
        top: args.top,
        ..monitor::Options::default()
    };
    for spec in &args.thresholds {
        options.thresholds.set(spec)?;
    }
    let report = monitor::collect(db, &options)
        .await
        .with_context(|| format!("monitor {origin}"))?;
    if args.json {
        println!("{}", monitor::render::json_text(&report, args.top));
    } else {
        print!("{}", monitor::render::text(&report, args.top));
    }
    match args.fail_on.and_then(|level| report.alert(level)) {
        Some(alert) => Err(alert.into()),
        None => Ok(()),
    }
}

/// The process's exit code for an error: a monitor's alert says its own (2 or 3), anything
/// else is 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.downcast_ref::<monitor::Alert>()
        .map_or(1, monitor::Alert::exit_code)
}
