//! `cargo xtask ci`: everything CI checks, in the order that fails fastest: format, clippy,
//! unit tests, migration lint, smoke tests (which include drift, verify and the ERD check).

use anyhow::Context;
use xshell::cmd;

use crate::shell::clean_cargo_env;

use crate::flags::{BenchArgs, SmokeArgs};

pub async fn run() -> anyhow::Result<()> {
    let sh = crate::shell::workspace_shell()?;
    clean_cargo_env(cmd!(sh, "cargo fmt --all -- --check"))
        .run()
        .context("formatting differs: run `cargo fmt --all`")?;
    clean_cargo_env(cmd!(
        sh,
        "cargo clippy --workspace --all-targets --locked -- -D warnings"
    ))
    .run()
    .context("clippy found warnings")?;
    clean_cargo_env(cmd!(
        sh,
        "cargo test --workspace --locked --exclude smoke-tests"
    ))
    .run()
    .context("unit tests failed")?;
    crate::lint::run()
        .await
        .context("migration lint failed: see `cargo xtask lint`")?;
    // The smoke suite also checks that a migrated database has no drift and that
    // docs/schema.md is current (tests `drift::*` and `erd::*`).
    crate::smoke::run(SmokeArgs {
        test_args: Vec::new(),
    })
    .await
    .context("smoke tests failed")?;
    // Keeps the benchmark code working at a small scale; no time is asserted, and the report
    // goes to target/bench, so the tree stays clean.
    crate::bench::run(BenchArgs {
        scale: Vec::new(),
        reps: 1,
        quick: true,
    })
    .await
    .context("cargo xtask bench --quick failed")
}
