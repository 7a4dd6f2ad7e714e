//! `cargo xtask ci`: everything CI checks, in the order that fails fastest: format, clippy,
//! unit tests, migration lint, smoke tests (which include drift, verify and the ERD check),
//! then a table of the steps and their times.

use std::time::{Duration, Instant};

use anyhow::Context;
use xshell::cmd;

use crate::shell::clean_cargo_env;

use crate::flags::{BenchArgs, SmokeArgs};

pub async fn run() -> anyhow::Result<()> {
    let mut steps = Steps::default();
    let result = all(&mut steps).await;
    eprintln!("{}", steps.table(result.is_ok()));
    result
}

async fn all(steps: &mut Steps) -> anyhow::Result<()> {
    let sh = crate::shell::workspace_shell()?;
    steps.run("fmt", || {
        clean_cargo_env(cmd!(sh, "cargo fmt --all -- --check"))
            .run()
            .context("formatting differs: run `cargo fmt --all`")
    })?;
    steps.run("clippy", || {
        clean_cargo_env(cmd!(
            sh,
            "cargo clippy --workspace --all-targets --locked -- -D warnings"
        ))
        .run()
        .context("clippy found warnings")
    })?;
    steps.run("unit tests", || {
        clean_cargo_env(cmd!(
            sh,
            "cargo test --workspace --locked --exclude smoke-tests"
        ))
        .run()
        .context("unit tests failed")
    })?;
    let started = Instant::now();
    let lint = crate::lint::run()
        .await
        .context("migration lint failed: see `cargo xtask lint`");
    steps.record("migration lint", started, lint)?;
    // The smoke suite also checks that a migrated database has no drift and that
    // docs/schema.md is current (tests `drift::*` and `erd::*`).
    let started = Instant::now();
    let smoke = crate::smoke::run(SmokeArgs {
        run: None,
        test_args: Vec::new(),
    })
    .await
    .context("smoke tests failed");
    steps.record("smoke tests (build included)", started, smoke)?;
    // Keeps the benchmark code working at a small scale; no time is asserted, and the report
    // goes to target/bench, so the tree stays clean.
    let started = Instant::now();
    let bench = crate::bench::run(BenchArgs {
        scale: Vec::new(),
        reps: 1,
        quick: true,
    })
    .await
    .context("cargo xtask bench --quick failed");
    steps.record("bench --quick", started, bench)
}

/// The steps run so far, with their times and whether each passed.
#[derive(Default)]
struct Steps(Vec<(&'static str, Duration, bool)>);

impl Steps {
    fn run(
        &mut self,
        name: &'static str,
        step: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        let result = step();
        self.record(name, started, result)
    }

    fn record(
        &mut self,
        name: &'static str,
        started: Instant,
        result: anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.0.push((name, started.elapsed(), result.is_ok()));
        result
    }

    /// A Markdown table, as docs/testing.md keeps it: each step, its time and result, the
    /// total.
    fn table(&self, passed: bool) -> String {
        let mut out = String::from("\n| step | time | result |\n|---|---:|---|\n");
        for (name, took, ok) in &self.0 {
            let result = if *ok { "passed" } else { "FAILED" };
            out.push_str(&format!(
                "| {name} | {:.1} s | {result} |\n",
                took.as_secs_f64()
            ));
        }
        let total: Duration = self.0.iter().map(|(_, took, _)| *took).sum();
        let verdict = if passed { "passed" } else { "FAILED" };
        out.push_str(&format!(
            "| total | {:.1} s | {verdict} |",
            total.as_secs_f64()
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_each_step_with_its_time_and_the_total() {
        let mut steps = Steps::default();
        steps.0.push(("fmt", Duration::from_millis(1500), true));
        steps.0.push(("clippy", Duration::from_secs(40), false));
        let table = steps.table(false);
        assert!(table.contains("| fmt | 1.5 s | passed |"), "{table}");
        assert!(table.contains("| clippy | 40.0 s | FAILED |"), "{table}");
        assert!(table.ends_with("| total | 41.5 s | FAILED |"), "{table}");
    }
}
