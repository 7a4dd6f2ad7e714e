//! Migrate: every phase on an empty database with the `migration` binary, against
//! `psql -1 -f` of the `pg_dump --schema-only` of the result (the same DDL with no tool).

use std::time::{Duration, Instant};

use anyhow::Context;
use xshell::cmd;

use super::{Bench, Figure, median, secs};

pub async fn run(bench: &Bench) -> anyhow::Result<Vec<Figure>> {
    let mut tool = Vec::new();
    let mut url = String::new();
    for _ in 0..bench.reps {
        url = bench.fresh_database("bench_migrate").await?;
        tool.push(bench.migrate(&url)?);
    }
    let dump = bench.work.join("schema.sql");
    let pg_dump = bench.pg_tool("pg_dump");
    let sh = crate::shell::workspace_shell()?;
    cmd!(sh, "{pg_dump} --schema-only --no-owner --file={dump} {url}")
        .quiet()
        .run()
        .with_context(|| format!("pg_dump --schema-only into {}", dump.display()))?;
    let psql = bench.pg_tool("psql");
    let mut floor = Vec::new();
    for _ in 0..bench.reps {
        let url = bench.fresh_database("bench_migrate_floor").await?;
        let started = Instant::now();
        cmd!(sh, "{psql} -X -q -1 -v ON_ERROR_STOP=1 -d {url} -f {dump}")
            .quiet()
            .ignore_stdout()
            .run()
            .context("psql -1 -f of the schema dump")?;
        floor.push(started.elapsed());
    }
    let (tool, floor): (Duration, Duration) = (median(&mut tool), median(&mut floor));
    let ratio = tool.as_secs_f64() / floor.as_secs_f64();
    Ok(vec![
        Figure::new("migrate: all phases, empty database", secs(tool))
            .floor(format!(
                "{} (psql -1 -f of pg_dump --schema-only)",
                secs(floor)
            ))
            .ratio(format!("{ratio:.2}x"))
            .target("<= 1.5x", ratio <= 1.5),
    ])
}
