//! The seeder as a binary, for deploys: `seed --profile prod` against `DATABASE_URL`.

use clap::Parser;
use seed::cli::SeedArgs;

/// Seeds the database at DATABASE_URL; running it again changes nothing.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The database to seed; its password is never printed.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    database_url: String,
    #[command(flatten)]
    args: SeedArgs,
}

/// Errors end the process with one line and exit code 1, never a backtrace.
fn main() -> std::process::ExitCode {
    dbconn::logging::init();
    // A bad flag is one line and exit code 1, like every other error.
    let cli: Cli = dbconn::cli::parse();
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            let origin = dbconn::url::redact(&cli.database_url);
            runtime.block_on(seed::cli::run(&cli.database_url, &origin, &cli.args))
        });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
