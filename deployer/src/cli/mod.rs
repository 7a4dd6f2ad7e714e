//! The deploy commands' command line and their one dispatch, for any project's binary.
//!
//! They are SeaORM's CLI commands (`up`, `down`, `status`, `fresh`, `refresh`, `reset`) plus
//! `resolve`, `backups` and `restore`, all run through [`Deployer`], so a deploy gets the lock,
//! the checksums and the timeouts whichever way it is started. [`main`] is a whole binary for
//! a migrator; a project with commands of its own flattens [`Command`] into its own and hands
//! it to [`execute`] (or [`execute_fleet`] with `--targets`).

mod args;
mod commands;

use std::future::Future;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;

pub use self::args::{
    BackupKeyArgs, BackupsArgs, Command, DownArgs, ForceArgs, ResolveArgs, RestoreArgs, StatusArgs,
    UpArgs,
};
pub use self::commands::{backup_of, backups, require_backup_decision};
use crate::deploy::{Deployer, Resolution};
use crate::fleet::{self, FleetArgs};
use crate::online::LagArgs;
use crate::project::Project;
use crate::settings::Settings;
use dbconn::guard;
use dbconn::url::redact;

/// The command line of a migrator binary that has only the deploy commands.
#[derive(Parser)]
#[command(version, about = "Apply the migrations safely.")]
pub struct Cli {
    /// The database, instead of MIGRATION_DATABASE_URL, DIRECT_URL or DATABASE_URL (the first
    /// set wins); its password is never printed. Not needed with --targets.
    #[arg(short = 'u', long)]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub settings: Settings,
    #[command(flatten)]
    pub lag: LagArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A whole migrator binary for `M`'s migrations: parses [`Cli`], runs the command, and turns
/// an error into one line on stderr and exit code 1.
pub fn main<M: MigratorTrait>(project: Project) -> ExitCode {
    dbconn::logging::init();
    let cli: Cli = dbconn::cli::parse();
    let run = async move {
        cli.lag.apply();
        let command = cli.command.unwrap_or(Command::Up(UpArgs::default()));
        let deployer = Deployer::of::<M>(cli.settings).await?.with_project(project);
        if cli.fleet.targets.is_some() {
            return execute_fleet(&cli.fleet, deployer, command, None).await;
        }
        if let Command::Backups(args) = &command
            && !args.take
        {
            return backups(args, None).await;
        }
        let url = database_url(cli.database_url)?;
        guard(&command, &url)?;
        let db = connect(&deployer, &url).await?;
        execute(&db, &url, deployer, command, None).await
    };
    match tokio::runtime::Runtime::new().map(|runtime| runtime.block_on(run)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("error: start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `--database-url`, else the migration URL of the environment, else an error naming both.
pub fn database_url(flag: Option<String>) -> anyhow::Result<String> {
    match flag {
        Some(url) => Ok(url),
        None => dbconn::direct::migration_url().map(|(_, url)| url).context(
            "missing --database-url (or MIGRATION_DATABASE_URL, DIRECT_URL or DATABASE_URL, \
                 the first set wins, or --targets FILE), e.g. \
                 postgres://USER:PASSWORD@HOST:PORT/DATABASE",
        ),
    }
}

/// Connects to `url`, waiting for the server as the deployer's settings say, with every
/// session bounded against a lost peer.
pub async fn connect(deployer: &Deployer, url: &str) -> anyhow::Result<DatabaseConnection> {
    let settings = deployer.settings();
    dbconn::connect_live(url, settings.wait, &settings.liveness()).await
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
        Command::Up(args) => require_backup_decision(args),
        Command::Backups(args) if args.take => args.key.require_encryption(),
        _ => Ok(()),
    }
}

/// Runs `command` on `db` (whose URL is `url`), after [`guard`]. `through` limits `up` to the
/// migrations up to that one (xtask's `--phase`).
pub async fn execute(
    db: &DatabaseConnection,
    url: &str,
    deployer: Deployer,
    command: Command,
    through: Option<String>,
) -> anyhow::Result<()> {
    guard(&command, url)?;
    let deployer = deployer.with_url(url);
    if takes_lock(&command) {
        // Through a transaction pooler every later statement fails with the pooler's errors,
        // which name no fix: refuse it first.
        deployer.require_session(db).await?;
    }
    let shown = redact(url);
    match command {
        Command::Up(args) => commands::up(&deployer, db, url, args, through).await?,
        Command::Down(args) => {
            let steps = if args.all { None } else { Some(args.num) };
            let names = deployer.down(db, steps).await?;
            commands::report("rolled back", &names, &shown);
        }
        Command::Status(StatusArgs { check: false }) => {
            commands::print_status(&deployer, db).await?
        }
        Command::Status(StatusArgs { check: true }) => {
            commands::check_ready(&deployer, db, url).await?
        }
        Command::Backups(args) => commands::backups(&args, Some((&deployer, db))).await?,
        Command::Restore(args) => commands::restore(&deployer, db, url, args).await?,
        Command::Fresh(_) => {
            let names = deployer.fresh(db).await?;
            commands::report("dropped everything, then applied", &names, &shown);
        }
        Command::Refresh(_) => {
            let names = deployer.refresh(db).await?;
            commands::report("rolled back and reapplied", &names, &shown);
        }
        Command::Reset(_) => {
            let names = deployer.reset(db).await?;
            commands::report("rolled back", &names, &shown);
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

/// Runs `command` on every database of `--targets`: `up` and `status` have a fleet form.
pub async fn execute_fleet(
    args: &FleetArgs,
    deployer: Deployer,
    command: Command,
    through: Option<String>,
) -> anyhow::Result<()> {
    match command {
        Command::Up(up) => {
            // Each target is production as much as one database is.
            require_backup_decision(&up)?;
            fleet::up(args, deployer, commands::up_of(&up, through)).await
        }
        Command::Status(status) if !status.check => fleet::status(args, deployer).await,
        _ => anyhow::bail!(
            "--targets works with up and status: run other commands on one database at a \
             time (DATABASE_URL)"
        ),
    }
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

/// Runs `work` while a connection of its own answers a heartbeat, so a silent server ends a
/// command that is not a deploy (a read-only check, say) within the bound instead of hanging.
pub async fn watched(
    db: &DatabaseConnection,
    liveness: &dbconn::Liveness,
    work: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    use sea_orm::sqlx::{Connection, PgConnection};
    let options = liveness.apply((*db.get_postgres_connection_pool().connect_options()).clone());
    let mut heartbeat = liveness
        .deadline(
            "opening the heartbeat connection",
            PgConnection::connect_with(&options),
        )
        .await?;
    let result = liveness.watch(&mut heartbeat, work).await;
    if !result.as_ref().err().is_some_and(dbconn::liveness::is_lost) {
        heartbeat.close().await.ok();
    }
    result
}
