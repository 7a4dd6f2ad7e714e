//! Running the shipped binaries (`migration`, `seed`), the deployer's toy example and xtask, as a deploy does, from the smoke tests.

use std::path::PathBuf;
use std::process::Output;

/// The `migration` binary `cargo xtask smoke` built (`MIGRATION_BIN`).
pub fn binary() -> PathBuf {
    built("MIGRATION_BIN")
}

/// The deployer's toy example binary `cargo xtask smoke` built (`TOY_BIN`): a whole migrator
/// for the three migrations of [`crate::toy::migrations`].
pub fn toy_binary() -> PathBuf {
    built("TOY_BIN")
}

/// A binary `cargo xtask smoke` built or ran, named by the variable `var`.
fn built(var: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} is not set: run the smoke tests with `cargo xtask smoke`"))
}

/// A `migration` command on the database of `url`, with quick timeouts for tests.
pub fn command(url: &str, args: &[&str]) -> tokio::process::Command {
    command_of(binary(), url, args)
}

/// A toy migrator command ([`toy_binary`]) on the database of `url`, with quick timeouts for
/// tests.
pub fn toy_command(url: &str, args: &[&str]) -> tokio::process::Command {
    command_of(toy_binary(), url, args)
}

/// A `seed` command (`SEED_BIN`) on the database of `url`.
pub fn seed_command(url: &str, args: &[&str]) -> tokio::process::Command {
    command_of(built("SEED_BIN"), url, args)
}

/// The xtask binary `cargo xtask smoke` runs (`XTASK_BIN`).
pub fn xtask_binary() -> PathBuf {
    built("XTASK_BIN")
}

/// A `cargo xtask` command (`XTASK_BIN`) on the database of `url`, never on the dev server.
pub fn xtask_command(url: &str, args: &[&str]) -> tokio::process::Command {
    command_of(built("XTASK_BIN"), url, args)
}

/// `program` with `args` on the database of `url`: no inherited settings that would change
/// what a test sees, a short wait for the server, output captured.
fn command_of(program: PathBuf, url: &str, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env("DATABASE_URL", url)
        .env_remove("APP_ENV")
        .env_remove("SEED_SUPER_ADMIN_EMAIL")
        .env_remove("APP_ENCRYPTION_KEYS")
        .env_remove("TOKEN_ENCRYPTION_KEY")
        .env("MIGRATE_WAIT", "2s")
        .env("RUST_LOG", "info")
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("MIGRATE_") && name != "MIGRATE_WAIT" {
            command.env_remove(name);
        }
    }
    command
}

/// Runs a `migration` command to its end.
pub async fn run(url: &str, args: &[&str]) -> Output {
    finish(command(url, args)).await
}

/// Runs a toy migrator command to its end.
pub async fn run_toy(url: &str, args: &[&str]) -> Output {
    finish(toy_command(url, args)).await
}

/// Runs a command to its end.
pub async fn finish(mut command: tokio::process::Command) -> Output {
    command.output().await.expect("run the binary")
}

/// The last line of the command's stderr: where the binary puts its one-line error.
pub fn last_stderr_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// Everything the command printed, stdout then stderr.
pub fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
