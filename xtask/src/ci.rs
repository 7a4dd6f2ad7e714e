//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use anyhow::Context;
use xshell::{Shell, cmd};

use crate::flags::SmokeArgs;

pub async fn run() -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(devdb::workspace_root());
    cmd!(sh, "cargo fmt --all -- --check")
        .run()
        .context("formatting differs: run `cargo fmt --all`")?;
    cmd!(
        sh,
        "cargo clippy --workspace --all-targets --locked -- -D warnings"
    )
    .run()
    .context("clippy found warnings")?;
    cmd!(sh, "cargo test --workspace --locked --exclude smoke-tests")
        .run()
        .context("unit tests failed")?;
    crate::smoke::run(SmokeArgs {
        test_args: Vec::new(),
    })
    .await
    .context("smoke tests failed")
}
