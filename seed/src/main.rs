//! The seeder as a binary, for deploys: `seed --profile prod` against `DATABASE_URL`.

use anyhow::Context;
use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, ValueEnum)]
enum ProfileArg {
    Dev,
    Prod,
    Load,
}

/// Seeds the database at DATABASE_URL; running it again changes nothing.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// `prod` bootstraps the super admin only; `dev` adds the sample data.
    #[arg(long, value_enum)]
    profile: ProfileArg,
    /// Users of the load profile (about 200 messages and 200 usage logs each).
    #[arg(long, default_value_t = seed::load::DEFAULT_SCALE)]
    scale: u64,
    /// Show a progress bar per table (load profile).
    #[arg(long)]
    progress: bool,
    /// The database to seed.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
}

/// Errors end the process with one line and exit code 1, never a backtrace.
fn main() -> std::process::ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let production = std::env::var("APP_ENV").is_ok_and(|e| e.eq_ignore_ascii_case("production"));
    let profile = match args.profile {
        ProfileArg::Load if production => {
            anyhow::bail!("refusing to load bulk data: APP_ENV=production (use --profile prod)")
        }
        ProfileArg::Load => {
            let db = sea_orm::Database::connect(args.database_url.as_str())
                .await
                .context("connect to DATABASE_URL")?;
            let report = seed::load::run(&db, args.scale, args.progress).await?;
            eprintln!("seed: load profile at scale {}:\n{report}", args.scale);
            return Ok(());
        }
        ProfileArg::Dev if production => {
            anyhow::bail!("refusing to seed dev data: APP_ENV=production (use --profile prod)")
        }
        ProfileArg::Dev => seed::Profile::Dev,
        ProfileArg::Prod => seed::Profile::prod_from_env()?,
    };
    let db = sea_orm::Database::connect(args.database_url.as_str())
        .await
        .context("connect to DATABASE_URL")?;
    let summary = seed::run(&db, &profile).await?;
    eprintln!("seed: {profile} profile: {summary}");
    Ok(())
}
