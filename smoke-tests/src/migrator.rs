//! Running the shipped `migration` binary, as a deploy does, from the smoke tests.

use std::path::PathBuf;
use std::process::Output;

/// The `migration` binary `cargo xtask smoke` built (`MIGRATION_BIN`).
pub fn binary() -> PathBuf {
    std::env::var_os("MIGRATION_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!("MIGRATION_BIN is not set: run the smoke tests with `cargo xtask smoke`")
        })
}

/// A `migration` command on the database of `url`, with quick timeouts for tests.
pub fn command(url: &str, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(binary());
    command
        .args(args)
        .env("DATABASE_URL", url)
        .env_remove("APP_ENV")
        .env("MIGRATE_WAIT", "2s")
        .env("RUST_LOG", "info")
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command
}

/// Runs a `migration` command to its end.
pub async fn run(url: &str, args: &[&str]) -> Output {
    command(url, args)
        .output()
        .await
        .expect("run the migration binary")
}

/// The last line of the command's stderr: where the binary puts its one-line error.
pub fn last_stderr_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}
