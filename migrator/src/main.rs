//! The shipped migrator: parses the command line and dispatches every command.
//!
//! `up`, `down`, `status`, `fresh`, `refresh`, `reset`, `resolve`, `backups` and `restore` are
//! the deployer's ([`deployer::cli`]: lock, checksums, timeouts); `drift` and `verify` are the
//! read-only checks of `dbcheck`, for after a deploy; `repair` sets derived counters back to
//! their recount; `rotate-key` re-seals every encrypted value with the current key; `monitor`
//! is dbcheck's read-only report for operators; SeaORM's file commands (`generate`, `init`) go
//! to `sea_orm_migration::cli::run_cli` unchanged. With `--targets FILE`, `up`, `status` and
//! `verify` run on every database of a fleet.
//!
//! The URL is `--database-url`, else `MIGRATION_DATABASE_URL`, else `DIRECT_URL`, else
//! `DATABASE_URL`: the application's URL may point at a pooler, migrations need the server.

use clap::{Parser, Subcommand};
use deployer::Settings;
use deployer::cli::{Command, UpArgs, watched};
use deployer::fleet::FleetArgs;
use deployer::online::LagArgs;
use migrator::monitor::{self, MonitorArgs};
use migrator::repair::{RepairArgs, VerifyArgs};
use migrator::rotate::RotateArgs;

#[derive(Parser)]
#[command(
    name = "migration",
    version,
    about = "Apply the platform's migrations safely."
)]
struct Cli {
    /// The database, instead of MIGRATION_DATABASE_URL, DIRECT_URL or DATABASE_URL (the first
    /// set wins); its password is never printed. Not needed with --targets.
    #[arg(short = 'u', long)]
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
    /// Re-seal every MCP token and medical text with the current key of APP_ENCRYPTION_KEYS,
    /// online, in short batches; a rerun resumes (values already on the key are skipped).
    RotateKey(RotateArgs),
    /// What to watch after a deploy, read-only: slow queries, sizes, unused, duplicate and
    /// invalid indexes, vacuum and analyze, long transactions, lock waits, connections,
    /// replication; `--fail-on` exits 2 (warn) or 3 (crit).
    Monitor(MonitorArgs),
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
    // A bad flag or MIGRATE_* variable is one line and exit code 1, like every other error.
    let cli: Cli = dbconn::cli::parse();
    // Errors are one line (the context chain) and exit code 1, never a backtrace.
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(monitor::exit_code(&err))
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    cli.lag.apply();
    let command = cli
        .command
        .unwrap_or(BinCommand::Migrate(Command::Up(UpArgs::default())));
    if cli.fleet.targets.is_some() {
        return match command {
            BinCommand::Migrate(command) => {
                let deployer = migrator::deployer(cli.settings).await?;
                deployer::cli::execute_fleet(&cli.fleet, deployer, command, None).await
            }
            BinCommand::Verify(args) => {
                migrator::fleet::verify(&cli.fleet, cli.settings.wait, args).await
            }
            _ => anyhow::bail!(
                "--targets works with up, status and verify: run drift, repair, rotate-key and \
                 monitor on one database at a time (DATABASE_URL)"
            ),
        };
    }
    // Listing and pruning dumps reads a directory, not a database.
    if let BinCommand::Migrate(Command::Backups(args)) = &command
        && !args.take
    {
        return deployer::cli::backups(args, None).await;
    }
    let url = deployer::cli::database_url(cli.database_url)?;
    if let BinCommand::Migrate(command) = &command {
        deployer::cli::guard(command, &url)?;
    }
    let liveness = cli.settings.liveness();
    let db = dbconn::connect_live(&url, cli.settings.wait, &liveness).await?;
    let origin = dbconn::url::redact(&url);
    match command {
        BinCommand::Migrate(command) => {
            let deployer = migrator::deployer(cli.settings).await?;
            deployer::cli::execute(&db, &url, deployer, command, None).await
        }
        // Read-only, but as bounded as a deploy: a heartbeat of its own watches the server.
        BinCommand::Drift => watched(&db, &liveness, migrator::drift(&db, &origin)).await,
        BinCommand::Verify(args) => {
            let verify = migrator::repair::verify(&db, &origin, &args);
            watched(&db, &liveness, verify).await
        }
        BinCommand::Repair(args) => migrator::repair::report(&db, &origin, &args).await,
        BinCommand::RotateKey(args) => migrator::rotate::report(&db, &origin, &args).await,
        BinCommand::Monitor(args) => {
            watched(&db, &liveness, monitor::run(&db, &origin, &args)).await
        }
    }
}
