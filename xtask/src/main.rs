//! `cargo xtask`: the commands developers and CI run against the platform database.

mod bench;
mod ci;
mod db;
mod drift;
mod erd;
mod flags;
mod image;
mod lint;
mod migrate;
mod monitor;
mod repair;
mod reset;
mod seed;
mod shell;
mod smoke;
mod tidy;
mod verify;

use crate::flags::{Command, Xtask};

/// Errors end the process with one line (the context chain, outermost first) and exit code
/// 1, never a backtrace, whatever RUST_BACKTRACE says.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(migrator::monitor::exit_code(&err))
        }
    }
}

fn run() -> anyhow::Result<()> {
    dbconn::logging::init();
    // A bad flag or variable is one line and exit code 1, like every other error.
    let flags: Xtask = dbconn::cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match flags.command {
            Command::Db(cmd) => db::run(cmd).await,
            Command::Migrate(args) => migrate::run(*args).await,
            Command::Seed(args) => seed::run(args).await,
            Command::Reset(args) => reset::run(args).await,
            Command::Smoke(args) => smoke::run(args).await,
            Command::Drift => drift::run().await,
            Command::Verify(args) => verify::run(args).await,
            Command::Repair(args) => repair::run(args).await,
            Command::Monitor(args) => monitor::run(args).await,
            Command::Lint => lint::run().await,
            Command::Erd(args) => erd::run(args).await,
            Command::Ci => ci::run().await,
            Command::Bench(args) => bench::run(args).await,
            Command::Image(args) => image::run(args),
        }
    })
}
