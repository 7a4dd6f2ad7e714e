//! The migrate commands, shared by the shipped `migration` binary and `cargo xtask migrate`.
//!
//! They are SeaORM's CLI commands (`up`, `down`, `status`, `fresh`, `refresh`, `reset`) plus
//! `resolve`, all run through [`Deployer`], so a deploy gets the lock, the checksums and the
//! timeouts whichever way it is started.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use sea_orm::DatabaseConnection;

use crate::deploy::{Deployer, Resolution, Settings, State, Up};
use crate::operate::{self, BackupKeyArgs, BackupsArgs, RestoreArgs, StatusArgs};
use dbconn::guard;
use dbconn::url::redact;

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

/// Refuses a destructive command on production or a remote host unless forced. It needs only
/// the URL, so callers run it before connecting: a refusal never waits for a database.
pub fn guard(command: &Command, url: &str) -> anyhow::Result<()> {
    match command {
        Command::Down(DownArgs {
            all: true, force, ..
        }) => guard::destructive("roll back every migration", url, *force),
        Command::Fresh(args) => {
            guard::destructive("drop everything and migrate afresh", url, args.force)
        }
        Command::Refresh(args) => {
            guard::destructive("roll back and reapply every migration", url, args.force)
        }
        Command::Reset(args) => guard::destructive("roll back every migration", url, args.force),
        Command::Restore(args) => {
            guard::destructive("restore a dump into the database", url, args.force)
        }
        Command::Up(args) => operate::require_backup_decision(args),
        Command::Backups(args) if args.take => args.key.require_encryption(),
        _ => Ok(()),
    }
}

/// Runs `command` on `db` (whose URL is `url`), after [`guard`]. `through` limits `up` to the
/// migrations up to that one (xtask's `--phase`).
pub async fn execute(
    db: &DatabaseConnection,
    url: &str,
    settings: Settings,
    command: Command,
    through: Option<String>,
) -> anyhow::Result<()> {
    guard(&command, url)?;
    let liveness = settings.liveness();
    let deployer = crate::deployer(settings).await?.with_url(url);
    operate::require_session_first(&deployer, db, &command).await?;
    let shown = redact(url);
    match command {
        Command::Up(args) => {
            liveness
                .deadline("the pgvector check", dbconn::require_pgvector(db, url))
                .await?;
            up(&deployer, db, args, through, &shown).await?;
        }
        Command::Down(args) => {
            let steps = if args.all { None } else { Some(args.num) };
            let names = deployer.down(db, steps).await?;
            report("rolled back", &names, &shown);
        }
        Command::Status(StatusArgs { check: false }) => print_status(&deployer, db).await?,
        command @ (Command::Status(_) | Command::Backups(_) | Command::Restore(_)) => {
            operate::execute(&deployer, db, url, command).await?
        }
        Command::Fresh(_) => {
            let names = deployer.fresh(db).await?;
            report("dropped everything, then applied", &names, &shown);
        }
        Command::Refresh(_) => {
            let names = deployer.refresh(db).await?;
            report("rolled back and reapplied", &names, &shown);
        }
        Command::Reset(_) => {
            let names = deployer.reset(db).await?;
            report("rolled back", &names, &shown);
        }
        Command::Resolve(args) => {
            let resolution = match (args.applied, args.rolled_back) {
                (Some(v), _) => Resolution::Applied(v),
                (None, Some(v)) => Resolution::RolledBack(v),
                (None, None) => {
                    anyhow::bail!("resolve needs --applied VERSION or --rolled-back VERSION")
                }
            };
            let said = deployer.resolve(db, &resolution).await?;
            eprintln!("migrate: {said}");
        }
    }
    Ok(())
}

async fn up(
    deployer: &Deployer,
    db: &DatabaseConnection,
    args: UpArgs,
    through: Option<String>,
    shown: &str,
) -> anyhow::Result<()> {
    let up = Up {
        through,
        steps: args.num,
        dry_run: args.dry_run,
        backup: operate::backup_of(&args),
    };
    let names = deployer.up(db, &up).await?;
    if up.dry_run {
        eprintln!(
            "migrate: dry run, {} migration(s) would be applied to {shown}; nothing changed",
            names.len()
        );
    } else {
        report("applied", &names, shown);
    }
    Ok(())
}

fn report(verb: &str, names: &[String], shown: &str) {
    if names.is_empty() {
        eprintln!("migrate: nothing to do on {shown}");
    } else {
        eprintln!("migrate: {verb} {} migration(s) on {shown}", names.len());
    }
}

async fn print_status(deployer: &Deployer, db: &DatabaseConnection) -> anyhow::Result<()> {
    let status = deployer.status(db).await.context("read migration status")?;
    for (name, state) in &status.entries {
        let phase = crate::phase_of(name).map_or_else(
            || "phase ? (not in this build)".to_owned(),
            |p| format!("phase {} {:<16}", p.number, p.name),
        );
        let state = match state {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Edited { .. } => "EDITED",
            State::Unrecorded => "applied (no checksum yet)",
            State::Unknown => "UNKNOWN",
        };
        println!("{phase} {state:<8} {name}");
    }
    println!(
        "{} migration(s), {} pending",
        status.entries.len(),
        status.pending()
    );
    let problems = status.problems();
    for problem in &problems {
        println!("problem: {problem}");
    }
    if !problems.is_empty() {
        anyhow::bail!(
            "{} problem(s) above: migrate refuses to run until they are fixed",
            problems.len()
        );
    }
    Ok(())
}
