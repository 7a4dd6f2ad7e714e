//! `cargo xtask smoke`: a throwaway PostgreSQL from devdb, then the smoke-tests crate on it.

use anyhow::Context;
use xshell::cmd;

use crate::shell::clean_cargo_env;

use crate::flags::SmokeArgs;

/// How many smoke tests run at once unless the caller says otherwise.
const SMOKE_TEST_THREADS: usize = 6;

pub async fn run(args: SmokeArgs) -> anyhow::Result<()> {
    let server = devdb::smoke_server::choose().await?;
    let sh = crate::shell::workspace_shell()?;
    // The deploy tests run the shipped binaries themselves, as a deploy would.
    clean_cargo_env(cmd!(
        sh,
        "cargo build --locked -q -p migrator --bin migration -p deployer --example toy -p seed --bin seed"
    ))
    .run()
    .context("build the migration and seed binaries")?;
    let debug = devdb::devdb_dir()
        .parent()
        .context("target directory")?
        .join("debug");
    // This very binary, for the tests of xtask's own command line.
    let xtask_bin = std::env::current_exe().context("find the xtask binary")?;
    let mut test_args = args.test_args.clone();
    // The tests wait on PostgreSQL, not on the CPU: more of them at once than there are cores
    // keeps the server busy (measured: 42 s with 2 threads, 29 s with 6 to 8).
    if !test_args.iter().any(|a| a.starts_with("--test-threads")) {
        test_args.push(format!("--test-threads={SMOKE_TEST_THREADS}"));
    }
    let test_args = &test_args;
    let result = clean_cargo_env(cmd!(
        sh,
        "cargo test --locked -p smoke-tests -- {test_args...}"
    ))
    .env("SMOKE_SERVER_URL", server.admin_url())
    .env("SMOKE_SERVER_KIND", server.kind())
    .env("MIGRATION_BIN", debug.join("migration"))
    .env("SEED_BIN", debug.join("seed"))
    // The deployer's toy example, the migrator of the deployer's own tests.
    .env("TOY_BIN", debug.join("examples").join("toy"))
    .env("XTASK_BIN", xtask_bin)
    .run()
    .context("smoke tests failed");
    // Containers and throwaway servers are removed when their handles drop, here.
    drop(server);
    result
}
