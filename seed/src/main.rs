//! The seeder as a binary, for deploys: `seed --profile prod` against `DATABASE_URL`.

use anyhow::Context;
use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, ValueEnum)]
enum ProfileArg {
    Dev,
    Prod,
}

/// Seeds the database at DATABASE_URL; running it again changes nothing.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// `prod` bootstraps the super admin only; `dev` adds the sample data.
    #[arg(long, value_enum)]
    profile: ProfileArg,
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
    let profile = match args.profile {
        ProfileArg::Dev
            if std::env::var("APP_ENV").is_ok_and(|e| e.eq_ignore_ascii_case("production")) =>
        {
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
