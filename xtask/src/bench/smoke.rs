//! Smoke: the wall time of `cargo xtask smoke` on the embedded server, once built.

use std::time::Instant;

use anyhow::Context;
use xshell::cmd;

use super::{Figure, secs};
use crate::shell::clean_cargo_env;

pub fn run() -> anyhow::Result<Figure> {
    let sh = crate::shell::workspace_shell()?;
    // Build first, so that the figure is the run and not the compilation.
    // The deploy tests run the migration binary, which `cargo xtask smoke` builds first.
    clean_cargo_env(cmd!(sh, "cargo build --locked -p xtask -p migrator"))
        .run()
        .context("build xtask and the migration binary")?;
    clean_cargo_env(cmd!(sh, "cargo test --locked --no-run -p smoke-tests"))
        .run()
        .context("build the smoke tests")?;
    let started = Instant::now();
    clean_cargo_env(cmd!(sh, "cargo xtask smoke"))
        .env("SMOKE_DB", "embedded")
        .env_remove("DATABASE_URL")
        .run()
        .context("cargo xtask smoke")?;
    let wall = started.elapsed();
    Ok(Figure::new(
        "smoke: `cargo xtask smoke`, embedded, once built",
        secs(wall),
    )
    .target("< 30 s", wall.as_secs_f64() < 30.0))
}
