//! What each deploy command does once dispatched: `up`'s report, `status` and its `--check`,
//! `backups`, `restore`, and the production rules on backups.

use std::path::PathBuf;

use anyhow::{Context, bail};
use sea_orm::DatabaseConnection;

use super::args::{BackupsArgs, RestoreArgs, UpArgs};
use crate::backup::Backup;
use crate::backups;
use crate::deploy::{Deployer, Up};
use crate::restore::Restore;
use crate::status::State;
use dbconn::url::{database_name, redact};

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

/// What `up` applies and how, from its flags; `through` limits it as xtask's `--phase` does.
pub fn up_of(args: &UpArgs, through: Option<String>) -> Up {
    Up {
        through,
        steps: args.num,
        dry_run: args.dry_run,
        backup: backup_of(args),
        allow_out_of_order: args.allow_out_of_order,
    }
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

/// `restore FILE`, after the guard: see [`crate::restore`].
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

/// `up`: the project's check first ([`crate::Project::before_up`]), then the deploy, then one
/// line saying what it did.
pub async fn up(
    deployer: &Deployer,
    db: &DatabaseConnection,
    url: &str,
    args: UpArgs,
    through: Option<String>,
) -> anyhow::Result<()> {
    let shown = &redact(url);
    if let Some(check) = deployer.project().before_up {
        let liveness = deployer.settings().liveness();
        liveness
            .deadline("the project's check before up", check(db, url))
            .await?;
    }
    let up = up_of(&args, through);
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

/// The one line a command that changed the schema prints.
pub fn report(verb: &str, names: &[String], shown: &str) {
    if names.is_empty() {
        eprintln!("migrate: nothing to do on {shown}");
    } else {
        eprintln!("migrate: {verb} {} migration(s) on {shown}", names.len());
    }
}

/// `status`: every migration with its group and state, then the problems that make `up`
/// refuse, if any.
pub async fn print_status(deployer: &Deployer, db: &DatabaseConnection) -> anyhow::Result<()> {
    let status = deployer.status(db).await.context("read migration status")?;
    let group_of = deployer.project().group_of;
    for (name, state) in &status.entries {
        let phase = match group_of(name) {
            Some(group) => format!("phase {} {:<16} ", group.number, group.name),
            None if *state == State::Unknown => "phase ? (not in this build) ".to_owned(),
            None => String::new(),
        };
        let state = match state {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Edited { .. } => "EDITED",
            State::Unrecorded => "applied (no checksum yet)",
            State::Unknown => "UNKNOWN",
            State::OutOfOrder => "OUT OF ORDER",
        };
        println!("{phase}{state:<8} {name}");
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
