//! The shipped migrator: SeaORM's migration CLI, with every database command run safely.
//!
//! `up`, `down`, `status`, `fresh`, `refresh`, `reset` and `resolve` go through
//! [`migration::deploy::Deployer`] (lock, checksums, timeouts); `drift` and `verify` are the
//! read-only checks of `dbcheck`, for after a deploy; `repair` sets derived counters back to
//! their recount; SeaORM's file commands (`generate`, `init`) go to
//! `sea_orm_migration::cli::run_cli` unchanged. With `--targets FILE`, `up`, `status` and
//! `verify` run on every database of a fleet ([`migration::fleet`]).

use clap::{Parser, Subcommand};
use migration::cli::{Command, UpArgs};
use migration::deploy::Settings;
use migration::fleet::{FleetArgs, FleetCommand};
use migration::online::LagArgs;
use migration::repair::{RepairArgs, VerifyArgs};

#[derive(Parser)]
#[command(
    name = "migration",
    version,
    about = "Apply the platform's migrations safely."
)]
struct Cli {
    /// The database; its password is never printed. Not needed with --targets.
    #[arg(short = 'u', long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    #[command(flatten)]
    settings: Settings,
    #[command(flatten)]
    lag: LagArgs,
    #[command(flatten)]
    fleet: FleetArgs,
    #[command(subcommand)]
    command: Option<BinCommand>,
}

#[derive(Subcommand)]
enum BinCommand {
    #[command(flatten)]
    Migrate(Command),
    /// Compare the entities with the database, read-only; exit 1 on any difference.
    Drift,
    /// The post-deploy check, read-only: tables, indexes, keys, orphans, pgvector, RLS, and an
    /// index path for every critical query; exit 1 naming each failed check. `--deep` also
    /// recounts every derived counter in short read-only batches.
    Verify(VerifyArgs),
    /// Set derived counters that differ from their recount back to it, in short batches; a
    /// dry run unless `--apply` (allowed on production: it destroys nothing).
    Repair(RepairArgs),
}

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if matches!(
        std::env::args().nth(1).as_deref(),
        Some("generate" | "init")
    ) {
        runtime.block_on(sea_orm_migration::cli::run_cli(migration::Migrator));
        return std::process::ExitCode::SUCCESS;
    }
    dbconn::logging::init();
    let cli = Cli::parse();
    // Errors are one line (the context chain) and exit code 1, never a backtrace.
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    cli.lag.apply();
    let command = cli
        .command
        .unwrap_or(BinCommand::Migrate(Command::Up(UpArgs::default())));
    if cli.fleet.targets.is_some() {
        let command = match command {
            BinCommand::Migrate(command) => FleetCommand::migrate(command, None)?,
            BinCommand::Verify(args) => FleetCommand::Verify(args),
            _ => anyhow::bail!(
                "--targets works with up, status and verify: run drift and repair on one \
                 database at a time (DATABASE_URL)"
            ),
        };
        return migration::fleet::run(&cli.fleet, cli.settings, command).await;
    }
    // Checked here, not by clap: a `--targets` given after the subcommand makes it optional.
    let Some(url) = cli.database_url else {
        anyhow::bail!("no database: set DATABASE_URL, pass --database-url URL, or --targets FILE");
    };
    if let BinCommand::Migrate(command) = &command {
        migration::cli::guard(command, &url)?;
    }
    let db = dbconn::connect_waiting(&url, cli.settings.wait).await?;
    let origin = dbconn::url::redact(&url);
    match command {
        BinCommand::Migrate(command) => {
            migration::cli::execute(&db, &url, cli.settings, command, None).await
        }
        BinCommand::Drift => dbcheck::drift::report(&db, &origin).await,
        BinCommand::Verify(args) => migration::repair::verify(&db, &origin, &args).await,
        BinCommand::Repair(args) => migration::repair::report(&db, &origin, &args).await,
    }
}
